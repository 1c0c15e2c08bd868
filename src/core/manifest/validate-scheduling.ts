// Validation of the carried fields: they only matter to the scheduler or the API server, so
// staticlet does not act on them, but it copies them (tolerations get the static pod's own
// NoExecute toleration added, and the mirror pod carries them all). Each must have its type;
// the deep rules of affinity and topology spread are the API server's.
import { quantity } from './field-checks.js';
import type { FieldPath } from './parse.js';
import type { Json, Validator } from './validator.js';

const MAX_INT32 = 2_147_483_647;

export function validateScheduling(v: Validator, path: FieldPath, spec: Json): void {
  v.stringMap([...path, 'nodeSelector'], spec.nodeSelector);
  v.object([...path, 'affinity'], spec.affinity, 'affinity');
  v.string([...path, 'priorityClassName'], spec.priorityClassName, {});
  v.integer([...path, 'priority'], spec.priority, -MAX_INT32 - 1, MAX_INT32);
  v.string([...path, 'schedulerName'], spec.schedulerName, {});
  v.oneOf([...path, 'preemptionPolicy'], spec.preemptionPolicy, ['PreemptLowerPriority', 'Never']);
  v.mappings([...path, 'topologySpreadConstraints'], spec.topologySpreadConstraints, 'a topology spread constraint');
  for (const { path: tp, item } of v.mappings([...path, 'tolerations'], spec.tolerations, 'a toleration')) {
    v.knownKeys(tp, item, ['key', 'operator', 'value', 'effect', 'tolerationSeconds']);
    v.string([...tp, 'key'], item.key, {});
    v.oneOf([...tp, 'operator'], item.operator, ['Exists', 'Equal']);
    v.string([...tp, 'value'], item.value, {});
    v.oneOf([...tp, 'effect'], item.effect, ['', 'NoSchedule', 'PreferNoSchedule', 'NoExecute']);
    v.integer([...tp, 'tolerationSeconds'], item.tolerationSeconds, Number.MIN_SAFE_INTEGER);
  }
  for (const { path: rp, item } of v.mappings([...path, 'readinessGates'], spec.readinessGates, 'a readiness gate')) {
    v.knownKeys(rp, item, ['conditionType']);
    v.string([...rp, 'conditionType'], item.conditionType, { required: true });
  }
  for (const { path: gp, item } of v.mappings(
    [...path, 'schedulingGates'],
    spec.schedulingGates,
    'a scheduling gate',
  )) {
    v.knownKeys(gp, item, ['name']);
    v.string([...gp, 'name'], item.name, { required: true });
  }
  const overhead = v.object([...path, 'overhead'], spec.overhead, 'overhead');
  for (const [name, value] of Object.entries(overhead ?? {})) quantity(v, [...path, 'overhead', name], value);
}
