// Kubernetes resource quantities (`250m`, `1`, `0.5`, `128Mi`, `1G`, `1e3`), kept exact: a quantity
// is a fraction of two bigints, so comparisons and sums never round, and the conversions round the
// way Kubernetes does (Value and MilliValue round up).

/** An exact non-negative or negative rational number: num / den, den > 0. */
export interface Quantity {
  readonly num: bigint;
  readonly den: bigint;
}

const BINARY: Record<string, number> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };
const DECIMAL: Record<string, number> = { n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
const SHAPE = /^([+-]?)(\d+(?:\.\d*)?|\.\d+)(.*)$/;

/**
 * Parses a quantity as written in a manifest: a string, or a number (YAML `cpu: 1`, `cpu: 0.5`).
 * Undefined when it is not a quantity.
 */
export function parseQuantity(value: unknown): Quantity | undefined {
  let text: string;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return undefined;
    text = numberText(value);
  } else if (typeof value === 'string') {
    text = value.trim() === value ? value : '';
  } else {
    return undefined;
  }
  const m = SHAPE.exec(text);
  if (!m) return undefined;
  const [, sign, digits, suffix] = m as unknown as [string, string, string, string];
  const [whole, frac = ''] = digits.split('.') as [string, string?];
  let num = BigInt((whole || '0') + frac);
  let den = 10n ** BigInt(frac.length);
  if (sign === '-') num = -num;
  if (suffix in BINARY) {
    num *= 2n ** BigInt(BINARY[suffix]!);
  } else if (suffix in DECIMAL) {
    const exp = DECIMAL[suffix]!;
    if (exp >= 0) num *= 10n ** BigInt(exp);
    else den *= 10n ** BigInt(-exp);
  } else {
    const e = /^[eE]([+-]?\d+)$/.exec(suffix);
    if (!e) return undefined;
    const exp = Number(e[1]);
    if (!Number.isSafeInteger(exp) || Math.abs(exp) > 100) return undefined;
    if (exp >= 0) num *= 10n ** BigInt(exp);
    else den *= 10n ** BigInt(-exp);
  }
  return reduce(num, den);
}

/** A JS number as plain decimal text (no exponent), for parsing. */
function numberText(n: number): string {
  const s = String(n);
  if (!/e/i.test(s)) return s;
  // 1e21 and beyond, or tiny values: let the exponent form through, parseQuantity accepts it.
  return s.replace('e+', 'e');
}

function gcd(a: bigint, b: bigint): bigint {
  a = a < 0n ? -a : a;
  while (b !== 0n) [a, b] = [b, a % b];
  return a;
}

function reduce(num: bigint, den: bigint): Quantity {
  if (num === 0n) return { num: 0n, den: 1n };
  const g = gcd(num, den);
  return { num: num / g, den: den / g };
}

export const ZERO: Quantity = { num: 0n, den: 1n };

export function add(a: Quantity, b: Quantity): Quantity {
  return reduce(a.num * b.den + b.num * a.den, a.den * b.den);
}

/** -1, 0 or 1. */
export function compare(a: Quantity, b: Quantity): number {
  const l = a.num * b.den;
  const r = b.num * a.den;
  return l < r ? -1 : l > r ? 1 : 0;
}

export function isZero(q: Quantity | undefined): boolean {
  return q === undefined || q.num === 0n;
}

/** ceil(num / den) for den > 0. */
function ceilDiv(num: bigint, den: bigint): bigint {
  const q = num / den;
  return num % den !== 0n && num > 0n ? q + 1n : q;
}

/** Kubernetes' Value(): the quantity in whole units, rounded up. */
export function value(q: Quantity | undefined): bigint {
  return q ? ceilDiv(q.num, q.den) : 0n;
}

/** Kubernetes' MilliValue(): the quantity in thousandths, rounded up. */
export function milliValue(q: Quantity | undefined): bigint {
  return q ? ceilDiv(q.num * 1000n, q.den) : 0n;
}

/** A number for the few places that need one (bytes and millicores fit well within 2^53). */
export function toNumber(n: bigint): number {
  return Number(n);
}

export function fromInteger(n: number | bigint): Quantity {
  return { num: BigInt(n), den: 1n };
}
