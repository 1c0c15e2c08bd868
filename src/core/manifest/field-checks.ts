// Small checks shared by the pod field rule files: nested keys by policy group, user and group
// ids, quantities and relative paths. Each records its problems on the Validator.
import { parseQuantity, type Quantity } from '../quantity.js';
import type { FieldPath } from './parse.js';
import { describe, type Json, type Validator } from './validator.js';

const MAX_ID = 2_147_483_647;
const NONE = new Set<string>();

/** A nested mapping's keys: `supported` and `accepted` pass; `unsupported` ones must be empty. */
export function keys(
  v: Validator,
  path: FieldPath,
  obj: Json,
  supported: readonly string[],
  unsupported: readonly string[],
  forbidden: Record<string, string> = {},
): void {
  for (const [key, val] of Object.entries(obj)) {
    v.classify([...path, key], key, val, new Set(supported), NONE, forbidden, new Set(unsupported));
  }
}

/** A quantity (string or number), not negative. */
export function quantity(v: Validator, path: FieldPath, value: unknown): Quantity | undefined {
  if (value === undefined || value === null) return undefined;
  const q = parseQuantity(value);
  if (!q) {
    v.problem(
      path,
      `${typeof value === 'string' ? `"${value}"` : describe(value)} is not a valid quantity (like 250m, 1, 0.5, 128Mi, 1G)`,
    );
    return undefined;
  }
  if (q.num < 0n) {
    v.problem(path, 'must be greater than or equal to 0');
    return undefined;
  }
  return q;
}

export function id(v: Validator, path: FieldPath, value: unknown): number | undefined {
  return v.integer(path, value, 0, MAX_ID);
}

/** A relative path that stays below its base: not absolute, no `..` element. */
export function localDescendingPath(v: Validator, path: FieldPath, p: string): void {
  if (p.startsWith('/')) v.problem(path, `"${p}" must be a relative path`);
  if (p.split('/').includes('..')) v.problem(path, `"${p}" must not contain '..'`);
}
