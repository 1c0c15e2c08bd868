// CrashLoopBackOff as the kubelet does it: the first restart is immediate; later ones wait
// 10 s, 20 s, 40 s ... up to 300 s after the container finished. A container that ran for more
// than 2 × 300 s since the last restart starts over at 10 s.
import type { BackoffEntry } from './model/state.js';

export const CRASH_BACKOFF = { initialMs: 10_000, maxMs: 300_000 } as const;

function expired(entry: BackoffEntry, eventTime: number, maxMs: number): boolean {
  return eventTime - entry.lastUpdate > 2 * maxMs;
}

/** When a container that finished at `finishedAt` may be restarted; `undefined` means now. */
export function restartAllowedAt(
  entry: BackoffEntry | undefined,
  finishedAt: number,
  now: number,
  policy = CRASH_BACKOFF,
): number | undefined {
  if (!entry || expired(entry, finishedAt, policy.maxMs)) return undefined;
  const at = finishedAt + entry.delayMs;
  return now < at ? at : undefined;
}

/**
 * Until when a restart of the container that finished at `finishedAt` is held back by its
 * CrashLoopBackOff, if it is. An entry dated by this very exit was set when its restart was
 * issued: that restart is under way, nothing is held back (the kubelet's BackOff comes only then).
 */
export function restartHeldUntil(entry: BackoffEntry | undefined, finishedAt: number, now: number): number | undefined {
  if (entry?.lastUpdate === finishedAt) return undefined;
  return restartAllowedAt(entry, finishedAt, now);
}

/** The entry after restarting a container that finished at `finishedAt`. */
export function nextBackoff(entry: BackoffEntry | undefined, finishedAt: number, policy = CRASH_BACKOFF): BackoffEntry {
  if (!entry || expired(entry, finishedAt, policy.maxMs)) {
    return { delayMs: policy.initialMs, lastUpdate: finishedAt };
  }
  return { delayMs: Math.min(entry.delayMs * 2, policy.maxMs), lastUpdate: finishedAt };
}

/** Retry delay after the `count`-th consecutive failure of a step: base doubling up to max. */
export function failureDelay(count: number, baseMs: number, maxMs: number): number {
  return Math.min(baseMs * 2 ** Math.max(0, count - 1), maxMs);
}

/** Retry timing of failed steps other than container starts. */
export const STEP_RETRY = { baseMs: 1_000, maxMs: 60_000 } as const;
/** Retry timing of failed container starts (image pulls included): the kubelet's 10 s → 300 s. */
export const START_RETRY = { baseMs: 10_000, maxMs: 300_000 } as const;
/** Retry timing of failed API calls (mirror pods): the API server may be down for a while. */
export const API_RETRY = { baseMs: 1_000, maxMs: 30_000 } as const;
