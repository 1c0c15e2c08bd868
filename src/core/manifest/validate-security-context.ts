// Validation of the pod's and each container's security context: ids, seccomp, capabilities and
// privilege, with nested fields grouped as in field-policy.ts.
import { id, keys, localDescendingPath } from './field-checks.js';
import type { FieldPath } from './parse.js';
import type { Validator } from './validator.js';

function seccompProfile(v: Validator, path: FieldPath, value: unknown): void {
  const sp = v.object(path, value, 'seccompProfile');
  if (!sp) return;
  v.knownKeys(path, sp, ['type', 'localhostProfile']);
  const type = v.string([...path, 'type'], sp.type, { required: true });
  v.oneOf([...path, 'type'], sp.type, ['RuntimeDefault', 'Unconfined', 'Localhost']);
  const local = v.string([...path, 'localhostProfile'], sp.localhostProfile, {});
  if (type === 'Localhost') {
    if (!local) v.problem([...path, 'localhostProfile'], 'localhostProfile is required when the type is Localhost');
    else localDescendingPath(v, [...path, 'localhostProfile'], local);
  } else if (local !== undefined) {
    v.problem([...path, 'localhostProfile'], 'may only be set when the type is Localhost');
  }
}

export function validatePodSecurityContext(v: Validator, path: FieldPath, value: unknown): void {
  const sc = v.object(path, value, 'securityContext');
  if (!sc) return;
  keys(
    v,
    path,
    sc,
    [
      'runAsUser',
      'runAsGroup',
      'runAsNonRoot',
      'supplementalGroups',
      'fsGroup',
      'seccompProfile',
      'supplementalGroupsPolicy',
      // Windows-only: no effect on a Linux node, as with the kubelet.
      'windowsOptions',
    ],
    ['seLinuxOptions', 'sysctls', 'fsGroupChangePolicy', 'appArmorProfile', 'seLinuxChangePolicy'],
  );
  id(v, [...path, 'runAsUser'], sc.runAsUser);
  id(v, [...path, 'runAsGroup'], sc.runAsGroup);
  id(v, [...path, 'fsGroup'], sc.fsGroup);
  v.boolean([...path, 'runAsNonRoot'], sc.runAsNonRoot);
  (v.array([...path, 'supplementalGroups'], sc.supplementalGroups) ?? []).forEach((g, i) =>
    id(v, [...path, 'supplementalGroups', i], g),
  );
  const policy = v.string([...path, 'supplementalGroupsPolicy'], sc.supplementalGroupsPolicy, {});
  if (policy === 'Strict')
    v.problem(
      [...path, 'supplementalGroupsPolicy'],
      'supplementalGroupsPolicy Strict is not supported yet (only Merge)',
    );
  else v.oneOf([...path, 'supplementalGroupsPolicy'], sc.supplementalGroupsPolicy, ['Merge']);
  seccompProfile(v, [...path, 'seccompProfile'], sc.seccompProfile);
  v.object([...path, 'windowsOptions'], sc.windowsOptions, 'windowsOptions');
}

/** Validates a container's security context; returns whether the container is privileged. */
export function validateContainerSecurityContext(v: Validator, path: FieldPath, value: unknown): boolean {
  const sc = v.object(path, value, 'securityContext');
  if (!sc) return false;
  keys(
    v,
    path,
    sc,
    [
      'capabilities',
      'privileged',
      'runAsUser',
      'runAsGroup',
      'runAsNonRoot',
      'readOnlyRootFilesystem',
      'allowPrivilegeEscalation',
      'seccompProfile',
      'procMount',
      'windowsOptions',
    ],
    ['seLinuxOptions', 'appArmorProfile'],
  );
  const privileged = v.boolean([...path, 'privileged'], sc.privileged) === true;
  id(v, [...path, 'runAsUser'], sc.runAsUser);
  id(v, [...path, 'runAsGroup'], sc.runAsGroup);
  for (const flag of ['runAsNonRoot', 'readOnlyRootFilesystem']) v.boolean([...path, flag], sc[flag]);
  const escalation = v.boolean([...path, 'allowPrivilegeEscalation'], sc.allowPrivilegeEscalation);
  const procMount = v.string([...path, 'procMount'], sc.procMount, {});
  if (procMount === 'Unmasked')
    v.problem([...path, 'procMount'], 'procMount Unmasked is not supported yet (only Default)');
  else v.oneOf([...path, 'procMount'], sc.procMount, ['Default']);
  seccompProfile(v, [...path, 'seccompProfile'], sc.seccompProfile);
  v.object([...path, 'windowsOptions'], sc.windowsOptions, 'windowsOptions');
  const caps = v.object([...path, 'capabilities'], sc.capabilities, 'capabilities');
  if (caps) {
    v.knownKeys([...path, 'capabilities'], caps, ['add', 'drop']);
    v.stringArray([...path, 'capabilities', 'add'], caps.add);
    v.stringArray([...path, 'capabilities', 'drop'], caps.drop);
  }
  if (escalation === false) {
    if (privileged)
      v.problem(
        [...path, 'allowPrivilegeEscalation'],
        'cannot set allowPrivilegeEscalation to false and privileged to true',
      );
    if (Array.isArray(caps?.add) && caps.add.includes('CAP_SYS_ADMIN')) {
      v.problem(
        [...path, 'allowPrivilegeEscalation'],
        'cannot set allowPrivilegeEscalation to false and capabilities.add CAP_SYS_ADMIN',
      );
    }
  }
  return privileged;
}
