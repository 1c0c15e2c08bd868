// Validation of a volume mount's extras: subPath and mount propagation.
import { localDescendingPath } from './field-checks.js';
import type { FieldPath } from './parse.js';
import type { Json, Validator } from './validator.js';

export function validateMountExtras(v: Validator, path: FieldPath, mount: Json, privileged: boolean): void {
  const subPath = v.string([...path, 'subPath'], mount.subPath, {});
  if (subPath) localDescendingPath(v, [...path, 'subPath'], subPath);
  const propagation = v.string([...path, 'mountPropagation'], mount.mountPropagation, {});
  v.oneOf([...path, 'mountPropagation'], mount.mountPropagation, ['None', 'HostToContainer', 'Bidirectional']);
  if (propagation === 'Bidirectional' && !privileged) {
    v.problem(
      [...path, 'mountPropagation'],
      'Bidirectional mount propagation is available only to privileged containers',
    );
  }
}
