// Random damage to valid manifests, for the property tests of manifest validation: a mutation
// picks a path in the manifest and puts a null, a value of another type, an empty string, an
// unknown key or a list there, or deletes it; a serialisation writes the result as YAML or JSON,
// with or without a byte-order mark and CRLF line endings.
import fc from 'fast-check';
import { stringify } from 'yaml';

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
export type JsonPath = readonly (string | number)[];

/** Every path in `value`, the root first, parents before children. */
export function pathsOf(value: JsonValue, at: JsonPath = []): JsonPath[] {
  const out: JsonPath[] = [at];
  if (Array.isArray(value)) value.forEach((item, i) => out.push(...pathsOf(item, [...at, i])));
  else if (value !== null && typeof value === 'object') {
    for (const [k, item] of Object.entries(value)) out.push(...pathsOf(item, [...at, k]));
  }
  return out;
}

export type Mutation =
  | { readonly kind: 'replace'; readonly at: number; readonly value: JsonValue }
  | { readonly kind: 'delete'; readonly at: number }
  | { readonly kind: 'wrap'; readonly at: number }
  | { readonly kind: 'insert'; readonly at: number; readonly key: string; readonly value: JsonValue };

/** Sets an own property, even `__proto__` (which plain assignment would take as the prototype). */
function setOwn(obj: Record<string, JsonValue>, key: string, value: JsonValue): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

function clone(value: JsonValue): JsonValue {
  if (Array.isArray(value)) return value.map(clone);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, JsonValue> = {};
  for (const [k, v] of Object.entries(value)) setOwn(out, k, clone(v));
  return out;
}

/** `root` with one mutation applied (a copy; `root` is untouched). `at` is taken modulo the paths. */
export function applyMutation(root: JsonValue, m: Mutation): JsonValue {
  const copy = clone(root);
  const paths = pathsOf(copy);
  const path = paths[m.at % paths.length]!;
  const current = get(copy, path);
  let next: JsonValue | undefined;
  switch (m.kind) {
    case 'replace':
      next = clone(m.value);
      break;
    case 'wrap':
      next = [current];
      break;
    case 'delete':
      next = undefined;
      break;
    case 'insert':
      if (current === null || typeof current !== 'object' || Array.isArray(current)) {
        next = { [m.key === '__proto__' ? 'x' : m.key]: clone(m.value) };
      } else {
        setOwn(current, m.key, clone(m.value));
        return copy;
      }
      break;
  }
  if (path.length === 0) return next === undefined ? {} : next;
  const parent = get(copy, path.slice(0, -1)) as Record<string, JsonValue> | JsonValue[];
  const last = path[path.length - 1]!;
  if (Array.isArray(parent)) {
    if (next === undefined) parent.splice(last as number, 1);
    else parent[last as number] = next;
  } else if (next === undefined) delete parent[last as string];
  else setOwn(parent, last as string, next);
  return copy;
}

function get(value: JsonValue, path: JsonPath): JsonValue {
  let v: JsonValue = value;
  for (const part of path) v = (v as Record<string | number, JsonValue>)[part]!;
  return v;
}

/** Values of every type, and the ones a validator is most likely to mistake for another. */
const oddValue: fc.Arbitrary<JsonValue> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom<JsonValue>(null, '', ' ', 'x', 'true', '1', 'null', '-') },
  { weight: 3, arbitrary: fc.constantFrom<JsonValue>(0, 1, -1, 1.5, 65536, 2 ** 53, true, false) },
  { weight: 3, arbitrary: fc.constantFrom<JsonValue>([], {}, [null], [''], [{}], { name: null }, { name: 'x' }) },
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<JsonValue> },
);

const oddKey = fc.oneof(
  fc.constantFrom('__proto__', 'constructor', 'toString', 'valueOf', 'hasOwnProperty', 'name', 'x', '', 'null'),
  fc.string({ maxLength: 8 }),
);

export const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('replace' as const), at: fc.nat(), value: oddValue }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('delete' as const), at: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('wrap' as const), at: fc.nat() }) },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), key: oddKey, value: oddValue }),
  },
);

export interface Serialisation {
  readonly format: 'yaml' | 'yaml-flow' | 'json' | 'json-pretty';
  readonly bom: boolean;
  readonly crlf: boolean;
}

export const serialisation: fc.Arbitrary<Serialisation> = fc.record({
  format: fc.constantFrom('yaml', 'yaml-flow', 'json', 'json-pretty'),
  bom: fc.boolean(),
  crlf: fc.boolean(),
});

export function serialise(value: JsonValue, s: Serialisation): string {
  let text: string;
  switch (s.format) {
    case 'yaml':
      text = stringify(value);
      break;
    case 'yaml-flow':
      text = stringify(value, { collectionStyle: 'flow' });
      break;
    case 'json':
      text = JSON.stringify(value);
      break;
    case 'json-pretty':
      text = JSON.stringify(value, null, 2) + '\n';
      break;
  }
  if (s.crlf) text = text.replace(/\n/g, '\r\n');
  return s.bom ? `\uFEFF${text}` : text;
}
