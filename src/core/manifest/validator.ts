// The generic checks every manifest rule is written with: each records a problem at a field path
// and returns the value when it has the right type. No Kubernetes rules here.
// Totality: a rule reads into a value only through these checks, so whatever the manifest holds
// (null, a value of another type, a key named like an Object.prototype member) gives a problem,
// never a TypeError, and nothing unchecked reaches the pod.
import type { FieldPath } from './parse.js';

export type Json = Record<string, unknown>;

export interface FieldProblem {
  readonly path: FieldPath;
  readonly message: string;
}

/** An empty value ({}, [], null, false, ''): accepted for a field staticlet does not implement. */
export function isEmptyValue(value: unknown): boolean {
  if (value === null || value === undefined || value === false || value === '') return true;
  if (Array.isArray(value)) return value.length === 0;
  if (typeof value === 'object') return Object.keys(value).length === 0;
  return false;
}

/** Collects problems; each check returns the value when it has the right type. */
export class Validator {
  readonly problems: FieldProblem[] = [];

  problem(path: FieldPath, message: string): void {
    this.problems.push({ path, message });
  }

  classify(
    path: FieldPath,
    key: string,
    value: unknown,
    supported: Set<string>,
    carried: Set<string>,
    forbidden: Record<string, string>,
    unsupported: Set<string>,
  ): void {
    if (supported.has(key) || carried.has(key)) return;
    const why = ownString(forbidden, key);
    if (isEmptyValue(value) && (why !== undefined || unsupported.has(key))) return;
    if (why) this.problem(path, why);
    else if (unsupported.has(key))
      this.problem(path, `${key} is not supported yet: staticlet refuses it rather than ignore it`);
    else this.problem(path, `unknown field "${key}"`);
  }

  /** A mapping. Absent or null is a problem when `required`, at the root and for a list item. */
  object(path: FieldPath, value: unknown, what: string, required = false): Json | undefined {
    if (value === undefined || value === null) {
      if (required || path.length === 0 || typeof path[path.length - 1] === 'number') {
        this.problem(path, value === null ? `${what} must be a mapping, found null` : `${what} is missing`);
      }
      return undefined;
    }
    if (typeof value !== 'object' || Array.isArray(value)) {
      this.problem(path, `${what} must be a mapping, found ${describe(value)}`);
      return undefined;
    }
    return value as Json;
  }

  knownKeys(path: FieldPath, obj: Json, keys: readonly string[]): void {
    for (const key of Object.keys(obj)) {
      if (!keys.includes(key)) this.problem([...path, key], `unknown field "${key}"`);
    }
  }

  /** A list of mappings (absent or null: none); each item that is not a mapping is a problem. */
  mappings(path: FieldPath, value: unknown, what: string): { path: FieldPath; item: Json; index: number }[] {
    const out: { path: FieldPath; item: Json; index: number }[] = [];
    (this.array(path, value) ?? []).forEach((raw, index) => {
      const item = this.object([...path, index], raw, what, true);
      if (item) out.push({ path: [...path, index], item, index });
    });
    return out;
  }

  array(path: FieldPath, value: unknown): unknown[] | undefined {
    if (value === undefined || value === null) return undefined;
    if (!Array.isArray(value)) {
      this.problem(path, `must be a list, found ${describe(value)}`);
      return undefined;
    }
    return value;
  }

  string(path: FieldPath, value: unknown, opts: { required?: boolean }): string | undefined {
    if (value === undefined || value === null) {
      if (opts.required) this.problem(path, `${String(path[path.length - 1])} is required`);
      return undefined;
    }
    if (typeof value !== 'string') {
      this.problem(
        path,
        `must be a string, found ${describe(value)}${typeof value === 'number' || typeof value === 'boolean' ? ' (quote it)' : ''}`,
      );
      return undefined;
    }
    return value;
  }

  exactString(path: FieldPath, value: unknown, expected: string): void {
    const s = this.string(path, value, { required: true });
    if (s !== undefined && s !== expected) this.problem(path, `must be "${expected}", found "${s}"`);
  }

  oneOf(path: FieldPath, value: unknown, allowed: readonly string[]): void {
    const s = this.string(path, value, {});
    if (s !== undefined && !allowed.includes(s)) {
      this.problem(path, `"${s}" is not one of ${allowed.join(', ')}`);
    }
  }

  stringArray(path: FieldPath, value: unknown): void {
    (this.array(path, value) ?? []).forEach((item, i) => this.string([...path, i], item, { required: true }));
  }

  stringMap(path: FieldPath, value: unknown): Record<string, string> | undefined {
    const obj = this.object(path, value, String(path[path.length - 1]));
    if (!obj) return undefined;
    const out: Record<string, string> = {};
    for (const [k, val] of Object.entries(obj)) {
      const s = this.string([...path, k], val, { required: true });
      if (s !== undefined) out[k] = s;
    }
    return out;
  }

  boolean(path: FieldPath, value: unknown): boolean | undefined {
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'boolean') {
      this.problem(path, `must be true or false, found ${describe(value)}`);
      return undefined;
    }
    return value;
  }

  integer(
    path: FieldPath,
    value: unknown,
    min: number,
    max = Number.MAX_SAFE_INTEGER,
    required = false,
  ): number | undefined {
    if (value === undefined || value === null) {
      if (required) this.problem(path, `${String(path[path.length - 1])} is required`);
      return undefined;
    }
    if (typeof value !== 'number' || !Number.isInteger(value)) {
      this.problem(path, `must be a whole number, found ${describe(value)}`);
      return undefined;
    }
    if (value < min || value > max) {
      this.problem(path, `${value} is out of range (${min} to ${max})`);
      return undefined;
    }
    return value;
  }
}

/** A record's own entry: never a member of Object.prototype (a key named `constructor`). */
export function ownString(record: Readonly<Record<string, string>>, key: string): string | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

/** A value as a problem message shows it; never throws, whatever the value. */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return `the string "${value.length > 40 ? value.slice(0, 40) + '…' : value}"`;
  return `${typeof value} ${String(value)}`;
}
