// Go-style durations, as the kubelet's flags and config take them: "20s", "1m30s", "500ms".
const UNITS: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Milliseconds, or an Error naming what is wrong. */
export function parseDuration(text: string): number | Error {
  const s = text.trim();
  if (s === '0') return 0;
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/y;
  let total = 0;
  let pos = 0;
  while (pos < s.length) {
    re.lastIndex = pos;
    const m = re.exec(s);
    if (!m) return new Error(`"${text}" is not a duration (examples: 20s, 1m30s, 500ms)`);
    total += Number(m[1]) * UNITS[m[2]!]!;
    pos = re.lastIndex;
  }
  if (s.length === 0) return new Error('the duration is empty');
  return total;
}
