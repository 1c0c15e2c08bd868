// Validation of a container's resources: cpu and memory limits and requests, as Kubernetes checks them.
import { compare, type Quantity } from '../quantity.js';
import { keys, quantity } from './field-checks.js';
import type { FieldPath } from './parse.js';
import { describe, type Json, type Validator } from './validator.js';

const RESOURCE_CARRIED = new Set(['ephemeral-storage']);

export function validateResources(v: Validator, path: FieldPath, value: unknown): void {
  const res = v.object(path, value, 'resources');
  if (!res) return;
  keys(v, path, res, ['limits', 'requests'], [], { claims: 'static pods may not reference ResourceClaims' });
  const lists: Record<string, Map<string, Quantity>> = {};
  for (const kind of ['limits', 'requests'] as const) {
    const list = v.object([...path, kind], res[kind], kind);
    const parsed = new Map<string, Quantity>();
    lists[kind] = parsed;
    for (const [name, raw] of Object.entries(list ?? {})) {
      const rp = [...path, kind, name];
      if (name.startsWith('hugepages-')) {
        v.problem(rp, `${name} is not supported yet: staticlet refuses it rather than ignore it`);
        continue;
      }
      if (name !== 'cpu' && name !== 'memory' && !RESOURCE_CARRIED.has(name)) {
        v.problem(rp, `resource "${name}" is not supported (supported: cpu, memory; ephemeral-storage is accepted)`);
        continue;
      }
      const q = quantity(v, rp, raw);
      if (q) parsed.set(name, q);
    }
  }
  for (const [name, req] of lists['requests']!) {
    const lim = lists['limits']!.get(name);
    if (lim && compare(req, lim) > 0) {
      v.problem(
        [...path, 'requests', name],
        `must be less than or equal to the ${name} limit (${limitText((res.limits as Json)[name])})`,
      );
    }
  }
}

/** A limit as written (it parsed as a quantity, so a string or a number). */
function limitText(value: unknown): string {
  return typeof value === 'string' || typeof value === 'number' ? String(value) : describe(value);
}
