// When to relist the runtime. Without a working event stream, every `fastMs` (the relist is then
// the only way a change is seen). While the stream is up, events drive the reactions (each one,
// and a few follow-ups after it, asks for a relist) and the periodic relist slows to a safety net
// every `safetyNetMs`, which repairs what the stream missed. Each change of the stream's health
// relists at once: on a break, the fast relist takes over without waiting; on a (re)connect,
// what happened while it was away may never be announced.
import {
  distinctUntilChanged,
  map,
  merge,
  startWith,
  switchMap,
  timer,
  type Observable,
  type SchedulerLike,
} from 'rxjs';
import { followUps } from './follow-ups.js';

/** Why a relist is due: `poll` (no working stream), `safety-net` (the stream is up), `event` (a
 * runtime event or its follow-up), `stream-up` / `stream-down` (the stream's health changed). */
export type RelistReason = 'poll' | 'safety-net' | 'event' | 'stream-up' | 'stream-down';

export interface RelistPeriods {
  readonly fastMs: number;
  readonly safetyNetMs: number;
}

/** Extra relists after a runtime event (the latest of a burst), until the CRI shows what the
 * event announced. containerd 1.6 publishes a task's exit before its CRI view has it, and on a
 * loaded node that lag passed 100 ms: with the periodic relist slowed to a safety net, the late
 * follow-ups are what bring the exit's reason and termination message, and an exit that came
 * before its container was known (a container that ends at once), without a minute's wait. */
export const EVENT_FOLLOW_UP_MS = [10, 30, 100, 300, 1_000, 3_000] as const;

/**
 * The slow period, as a multiple of the relist period (`--relist-period`, 1 s by default, so 60 s).
 * Evidence in docs/behaviour.md: a safety net finds nothing while the stream works, and a relist
 * at 100 pods costs a few ms; 60 s keeps a dropped event's worst delay at a minute while cutting
 * the idle relists by 60×; the kubelet's evented PLEG waits 300 s.
 */
export const SAFETY_NET_FACTOR = 60;

export function relistTicks(
  periods: RelistPeriods,
  scheduler: SchedulerLike,
  triggers: Observable<unknown>,
  streamUp: Observable<boolean>,
): Observable<RelistReason> {
  const periodic = streamUp.pipe(
    startWith(false),
    distinctUntilChanged(),
    switchMap((up, i) => {
      const first: RelistReason = i === 0 ? 'poll' : up ? 'stream-up' : 'stream-down';
      return timer(0, up ? periods.safetyNetMs : periods.fastMs, scheduler).pipe(
        map((n): RelistReason => (n === 0 ? first : up ? 'safety-net' : 'poll')),
      );
    }),
  );
  // The runtime's event can come before its CRI view catches up (containerd updates the
  // container's status after publishing the task exit): look again shortly after each event.
  const events = triggers.pipe(
    followUps(EVENT_FOLLOW_UP_MS, scheduler),
    map((): RelistReason => 'event'),
  );
  return merge(periodic, events);
}
