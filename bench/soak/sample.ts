// What the soak samples from outside the agent (/proc, the event log's size, the heap file the
// probe writes) and how a series is judged: a least-squares slope per hour with a 95 % confidence
// bound, fitted on batch means so that the samples' serial correlation (a GC's sawtooth) does not
// make the bound look tighter than it is.
import { readdir, readFile, readlink, stat } from 'node:fs/promises';

export interface Sample {
  /** ms since the soak's start. */
  t: number;
  rssBytes: number;
  /** Resident part of the [heap] mapping: glibc's main malloc arena (Buffers' backing stores,
   * HTTP/2 and libuv allocations; not the V8 heap, which is mmap'd). */
  mallocHeapBytes: number;
  /** From the heap probe; NaN when it has written nothing (yet). */
  heapUsedBytes: number;
  /** heapUsed less V8's code space: the objects the agent keeps. */
  heapObjectsBytes: number;
  heapCodeBytes: number;
  heapTotalBytes: number;
  /** Memory outside the V8 heap held by JS objects (Buffers and other ArrayBuffers among it). */
  externalBytes: number;
  /** Active libuv handles and requests (sockets, watchers, child processes, fs requests). */
  activeHandles: number;
  activeTimers: number;
  fds: number;
  inotifyWatches: number;
  eventLogBytes: number;
}

/** What bench/soak/heap-probe.ts writes. */
interface ProbeSample {
  heapUsed: number;
  heapTotal: number;
  codeUsed: number;
  external: number;
  handles: number;
  timers: number;
}

export const METRICS = [
  { key: 'rssBytes', label: 'RSS (VmRSS)', unit: 'MiB', scale: 2 ** -20 },
  { key: 'mallocHeapBytes', label: 'malloc heap ([heap] RSS)', unit: 'MiB', scale: 2 ** -20 },
  { key: 'heapUsedBytes', label: 'V8 heap used', unit: 'MiB', scale: 2 ** -20 },
  { key: 'heapObjectsBytes', label: 'V8 heap used, code excluded', unit: 'MiB', scale: 2 ** -20 },
  { key: 'heapCodeBytes', label: 'V8 code space used', unit: 'MiB', scale: 2 ** -20 },
  { key: 'heapTotalBytes', label: 'V8 heap reserved', unit: 'MiB', scale: 2 ** -20 },
  { key: 'externalBytes', label: 'external (Buffers)', unit: 'MiB', scale: 2 ** -20 },
  { key: 'activeHandles', label: 'active handles', unit: '', scale: 1 },
  { key: 'activeTimers', label: 'active timers', unit: '', scale: 1 },
  { key: 'fds', label: 'open file descriptors', unit: '', scale: 1 },
  { key: 'inotifyWatches', label: 'inotify watches', unit: '', scale: 1 },
  { key: 'eventLogBytes', label: 'event log size', unit: 'MiB', scale: 2 ** -20 },
] as const;

export type MetricKey = (typeof METRICS)[number]['key'];

export async function sample(pid: number, t: number, eventLog: string, heapFile: string): Promise<Sample> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const rssBytes = Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? NaN) * 1024;
  const smaps = await readFile(`/proc/${pid}/smaps`, 'utf8').catch(() => '');
  const heapMapping = /\[heap\]\n(?:.*\n)*?Rss:\s+(\d+) kB/.exec(smaps);
  const mallocHeapBytes = heapMapping ? Number(heapMapping[1]) * 1024 : NaN;
  const fdNames = await readdir(`/proc/${pid}/fd`);
  let inotifyWatches = 0;
  for (const fd of fdNames) {
    const target = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => '');
    if (target !== 'anon_inode:inotify') continue;
    const info = await readFile(`/proc/${pid}/fdinfo/${fd}`, 'utf8').catch(() => '');
    inotifyWatches += info.split('\n').filter((l) => l.startsWith('inotify wd:')).length;
  }
  const eventLogBytes = (await stat(eventLog).catch(() => ({ size: 0 }))).size;
  const probe = await readFile(heapFile, 'utf8').then(
    (text) => JSON.parse(text) as Partial<ProbeSample>,
    () => ({}) as Partial<ProbeSample>,
  );
  const n = (v: number | undefined) => v ?? NaN;
  return {
    t,
    rssBytes,
    mallocHeapBytes,
    heapUsedBytes: n(probe.heapUsed),
    heapObjectsBytes: n(probe.heapUsed) - n(probe.codeUsed),
    heapCodeBytes: n(probe.codeUsed),
    heapTotalBytes: n(probe.heapTotal),
    externalBytes: n(probe.external),
    activeHandles: n(probe.handles),
    activeTimers: n(probe.timers),
    fds: fdNames.length,
    inotifyWatches,
    eventLogBytes,
  };
}

export interface Trend {
  n: number;
  /** Points the line was fitted on (batch means). */
  points: number;
  first: number;
  last: number;
  min: number;
  max: number;
  /** Units per hour. */
  slopePerHour: number;
  /** Half-width of the 95 % confidence interval of the slope, per hour. */
  bound: number;
  verdict: 'flat' | 'rising' | 'falling' | 'too few samples';
}

/** Two-sided 97.5 % quantiles of Student's t for small degrees of freedom; 1.96 past 30. */
function tQuantile(df: number): number {
  const table = [12.71, 4.3, 3.18, 2.78, 2.57, 2.45, 2.36, 2.31, 2.26, 2.23, 2.2, 2.18, 2.16, 2.14, 2.13];
  if (df < 1) return Infinity;
  if (df <= table.length) return table[df - 1]!;
  return df <= 30 ? 2.09 : 1.96;
}

/**
 * The series' slope per hour, fitted after `warmUpMs` on means of batches of consecutive samples
 * (about 30 batches); "flat" when its 95 % interval holds zero.
 */
export function trend(samples: readonly Sample[], key: MetricKey, warmUpMs: number): Trend {
  const all = samples.map((s) => ({ t: s.t, y: s[key] })).filter((p) => Number.isFinite(p.y));
  const ys = all.map((p) => p.y);
  const base = {
    n: all.length,
    first: ys[0] ?? NaN,
    last: ys.at(-1) ?? NaN,
    min: ys.length ? Math.min(...ys) : NaN,
    max: ys.length ? Math.max(...ys) : NaN,
  };
  const fitted = all.filter((p) => p.t >= warmUpMs);
  const size = Math.max(1, Math.floor(fitted.length / 30));
  const points: { x: number; y: number }[] = [];
  for (let i = 0; i + size <= fitted.length; i += size) {
    const batch = fitted.slice(i, i + size);
    points.push({
      x: batch.reduce((a, p) => a + p.t, 0) / size / 3_600_000,
      y: batch.reduce((a, p) => a + p.y, 0) / size,
    });
  }
  if (points.length < 4)
    return { ...base, points: points.length, slopePerHour: NaN, bound: NaN, verdict: 'too few samples' };
  const mx = points.reduce((a, p) => a + p.x, 0) / points.length;
  const my = points.reduce((a, p) => a + p.y, 0) / points.length;
  const sxx = points.reduce((a, p) => a + (p.x - mx) ** 2, 0);
  const sxy = points.reduce((a, p) => a + (p.x - mx) * (p.y - my), 0);
  const slope = sxy / sxx;
  const sse = points.reduce((a, p) => a + (p.y - my - slope * (p.x - mx)) ** 2, 0);
  const se = Math.sqrt(sse / (points.length - 2) / sxx);
  const bound = tQuantile(points.length - 2) * se;
  const verdict = Math.abs(slope) <= bound ? 'flat' : slope > 0 ? 'rising' : 'falling';
  return { ...base, points: points.length, slopePerHour: slope, bound, verdict };
}
