// Validation of an env var's valueFrom: the downward API's fieldRef and resourceFieldRef.
import { isQualifiedName } from '../names.js';
import { compare, parseQuantity } from '../quantity.js';
import { ENV_FIELD_PATHS, ENV_SUBSCRIPT, RESOURCE_FIELDS } from '../spec/env.js';
import { keys, quantity } from './field-checks.js';
import type { FieldPath } from './parse.js';
import type { Json, Validator } from './validator.js';

const CPU_DIVISORS = ['1m', '1'].map((d) => parseQuantity(d)!);
const MEMORY_DIVISORS = ['1', '1k', '1M', '1G', '1T', '1P', '1E', '1Ki', '1Mi', '1Gi', '1Ti', '1Pi', '1Ei'].map((d) =>
  parseQuantity(d)!,
);

export function validateEnvSource(v: Validator, path: FieldPath, env: Json, containerNames: ReadonlySet<string>): void {
  const fp = [...path, 'valueFrom'];
  const from = v.object(fp, env.valueFrom, 'valueFrom');
  if (!from) return;
  if (typeof env.value === 'string' && env.value !== '')
    v.problem(fp, 'may not be specified when `value` is not empty');
  keys(v, fp, from, ['fieldRef', 'resourceFieldRef'], ['fileKeyRef'], {
    secretKeyRef: 'static pods may not reference Secrets',
    configMapKeyRef: 'static pods may not reference ConfigMaps',
  });
  const sources = Object.keys(from).filter((k) => from[k] !== undefined && from[k] !== null);
  if (sources.length !== 1) {
    v.problem(
      fp,
      `needs exactly one of fieldRef, resourceFieldRef${sources.length > 1 ? `, found ${sources.join(' and ')}` : ''}`,
    );
    return;
  }
  if (from.fieldRef !== undefined) {
    const rp = [...fp, 'fieldRef'];
    const ref = v.object(rp, from.fieldRef, 'fieldRef');
    if (!ref) return;
    v.knownKeys(rp, ref, ['apiVersion', 'fieldPath']);
    const apiVersion = v.string([...rp, 'apiVersion'], ref.apiVersion, {});
    if (apiVersion !== undefined && apiVersion !== 'v1')
      v.problem([...rp, 'apiVersion'], `unsupported apiVersion "${apiVersion}" (only v1)`);
    const fieldPath = v.string([...rp, 'fieldPath'], ref.fieldPath, { required: true });
    if (fieldPath === undefined) return;
    const sub = ENV_SUBSCRIPT.exec(fieldPath);
    if (sub) {
      if (!isQualifiedName(sub[2]!))
        v.problem(
          [...rp, 'fieldPath'],
          `"${sub[2]}" is not a valid ${sub[1] === 'labels' ? 'label' : 'annotation'} key`,
        );
    } else if (!(ENV_FIELD_PATHS as readonly string[]).includes(fieldPath)) {
      v.problem(
        [...rp, 'fieldPath'],
        `"${fieldPath}" is not supported (supported: ${ENV_FIELD_PATHS.join(', ')}, metadata.labels['<key>'], metadata.annotations['<key>'])`,
      );
    }
    return;
  }
  if (from.resourceFieldRef !== undefined) {
    const rp = [...fp, 'resourceFieldRef'];
    const ref = v.object(rp, from.resourceFieldRef, 'resourceFieldRef');
    if (!ref) return;
    v.knownKeys(rp, ref, ['containerName', 'resource', 'divisor']);
    const name = v.string([...rp, 'containerName'], ref.containerName, {});
    if (name && !containerNames.has(name))
      v.problem([...rp, 'containerName'], `no container named "${name}" in the pod`);
    const resource = v.string([...rp, 'resource'], ref.resource, { required: true });
    if (resource === undefined) return;
    if (/^(limits|requests)\.(ephemeral-storage|hugepages-.+)$/.test(resource)) {
      v.problem([...rp, 'resource'], `${resource} is not supported yet (supported: ${RESOURCE_FIELDS.join(', ')})`);
      return;
    }
    if (!(RESOURCE_FIELDS as readonly string[]).includes(resource)) {
      v.problem([...rp, 'resource'], `"${resource}" is not one of ${RESOURCE_FIELDS.join(', ')}`);
      return;
    }
    const divisor = quantity(v, [...rp, 'divisor'], ref.divisor);
    if (divisor && divisor.num !== 0n) {
      const cpu = resource.endsWith('.cpu');
      const allowed = cpu ? CPU_DIVISORS : MEMORY_DIVISORS;
      if (!allowed.some((d) => compare(d, divisor) === 0)) {
        v.problem(
          [...rp, 'divisor'],
          `is not a valid divisor for ${resource} (${cpu ? '1m or 1' : '1, 1k, 1M, 1G, 1T, 1P, 1E, 1Ki, 1Mi, 1Gi, 1Ti, 1Pi or 1Ei'})`,
        );
      }
    }
  }
}
