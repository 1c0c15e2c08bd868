// Source of runtime signals: container events, so an exit is seen at once instead of at the next
// relist. The CRI's own stream (GetContainerEvents) where the runtime has it (containerd 2.x);
// else containerd's events service on the same socket (containerd 1.6 answers Unimplemented to
// the CRI call); else nothing, and the periodic relist alone observes the runtime. A stream that
// breaks or ends is subscribed again with back-off; the relist goes on meanwhile.
import * as grpc from '@grpc/grpc-js';
import {
  asyncScheduler,
  catchError,
  defer,
  EMPTY,
  filter,
  map,
  Observable,
  repeat,
  retry,
  timer,
  type MonoTypeOperatorFunction,
  type SchedulerLike,
} from 'rxjs';
import type { EventBody } from '../core/model/events.js';
import type { ContainerEvent } from '../cri-api/messages.js';
import { containerdTaskEvents, type TaskEvent } from '../runtime/containerd/events.js';
import { nanosToMillis } from '../runtime/cri/observations.js';
import type { ExpectedExits } from '../runtime/expected-exits.js';
import type { CriRuntime } from '../cri-api/runtime-service.js';

export type EventSourceKind = 'cri' | 'containerd' | 'none';

/** A runtime event: something changed (look again), with the facts of a main process's exit
 * where the stream carries them (containerd's TaskExit does, and a CRI stopped event's container
 * statuses do). */
export interface RuntimeSignal {
  readonly exit?: { readonly containerId: string; readonly exitCode: number; readonly finishedAt?: number };
}

/** A CRI stream counts as up once it has stayed open this long without an error (or brought an
 * event): the runtime sends nothing, not even headers, before its first event, while a runtime
 * without the call refuses it at once. */
export const CRI_STREAM_SETTLE_MS = 1000;
/** Wait before subscribing again after a break: doubling from the first to the last, and from the
 * first again once a stream is up. */
export const RESUBSCRIBE_BACKOFF_MS = { first: 1000, max: 30_000 } as const;

/** The exits the signals carry, as events for the loop: a restart need not wait for a relist. */
export function runtimeExits(signals: Observable<RuntimeSignal>): Observable<EventBody> {
  return signals.pipe(
    map((signal) => signal.exit),
    filter((exit): exit is NonNullable<RuntimeSignal['exit']> => exit !== undefined),
    map((exit): EventBody => ({ type: 'ContainerExited', ...exit })),
  );
}

/** Signals less the exits of what the agent itself stops (see ExpectedExits): those exits are the
 * agent's own doing, reported by its action's result, so they need neither a relist nor a step. */
export function withoutExpectedExits(
  expected: Pick<ExpectedExits, 'isExpected'>,
): MonoTypeOperatorFunction<RuntimeSignal> {
  return filter((signal) => signal.exit === undefined || !expected.isExpected(signal.exit.containerId));
}

/**
 * The runtime's container events as signals. `onChoice` is told the source each time a
 * subscription takes (so again after every reconnection); `onBreak` each time a stream fails or
 * ends, with the wait before the next try.
 */
export function runtimeContainerEvents(
  cri: CriRuntime,
  endpoint: string,
  onChoice: (kind: EventSourceKind, why: string) => void,
  onBreak: (why: string, retryInMs: number) => void = () => undefined,
  scheduler: SchedulerLike = asyncScheduler,
): Observable<RuntimeSignal> {
  return defer(() => {
    let failures = 0;
    let relistOnly = false;
    const up = (kind: EventSourceKind, why: string): void => {
      failures = 0;
      onChoice(kind, why);
    };
    const again = (why: string): Observable<number> => {
      if (relistOnly) return EMPTY; // nothing to subscribe to: done
      const ms = Math.min(RESUBSCRIBE_BACKOFF_MS.first * 2 ** failures, RESUBSCRIBE_BACKOFF_MS.max);
      failures++;
      onBreak(why, ms);
      return timer(ms, scheduler);
    };

    const containerdEvents = containerdTaskEvents(endpoint).pipe(
      map(signalOfTask),
      catchError((cerr: grpc.ServiceError) => {
        if (cerr.code === grpc.status.UNIMPLEMENTED) {
          relistOnly = true;
          onChoice('none', 'the runtime has no container event stream: relisting only');
          return EMPTY;
        }
        throw cerr;
      }),
      (events) =>
        new Observable<RuntimeSignal>((subscriber) => {
          up(
            'containerd',
            'the CRI has no GetContainerEvents: using containerd task events, with the relist as a safety net',
          );
          return events.subscribe(subscriber);
        }),
    );

    return criSignals(cri, scheduler, () =>
      up('cri', 'the runtime streams container events (CRI GetContainerEvents), with the relist as a safety net'),
    ).pipe(
      catchError((err: { code?: string }) => {
        if (err.code !== 'UNIMPLEMENTED') throw err;
        return containerdEvents;
      }),
      retry({ delay: (err: unknown) => again(`stream failed: ${messageOf(err)}`) }),
      repeat({ delay: () => again('stream ended') }),
    );
  });
}

/** GetContainerEvents as signals; `onUp` once the stream is seen to work (see CRI_STREAM_SETTLE_MS). */
function criSignals(cri: CriRuntime, scheduler: SchedulerLike, onUp: () => void): Observable<RuntimeSignal> {
  return new Observable<RuntimeSignal>((subscriber) => {
    let isUp = false;
    const markUp = (): void => {
      if (isUp) return;
      isUp = true;
      onUp();
    };
    const settled = scheduler.schedule(markUp, CRI_STREAM_SETTLE_MS);
    const sub = cri.containerEvents().subscribe({
      next: (event) => {
        markUp();
        subscriber.next(signalOfCriEvent(event));
      },
      error: (err) => subscriber.error(err),
      complete: () => subscriber.complete(),
    });
    return () => {
      settled.unsubscribe();
      sub.unsubscribe();
    };
  });
}

/** A CRI event as a signal: a stopped container's exit facts from the statuses the event carries
 * (a sandbox's stop, or an event without statuses, only says "look again"). */
export function signalOfCriEvent(e: ContainerEvent): RuntimeSignal {
  if (e.eventType !== 'CONTAINER_STOPPED_EVENT') return {};
  const status = e.containersStatuses.find((c) => c.id === e.containerId);
  if (status?.state !== 'CONTAINER_EXITED') return {};
  const finishedAt = nanosToMillis(status.finishedAt);
  return {
    exit: {
      containerId: e.containerId,
      exitCode: status.exitCode,
      ...(finishedAt !== undefined ? { finishedAt } : {}),
    },
  };
}

/** A containerd task event as a signal: an exit's facts only for the container's main process
 * (an exec's exit, a probe's say, is not the container's). */
function signalOfTask(e: TaskEvent): RuntimeSignal {
  if (!e.exit?.mainProcess) return {};
  const { exitCode, exitedAt } = e.exit;
  return {
    exit: { containerId: e.containerId, exitCode, ...(exitedAt !== undefined ? { finishedAt: exitedAt } : {}) },
  };
}

function messageOf(err: unknown): string {
  if (err && typeof err === 'object' && 'message' in err && typeof err.message === 'string') return err.message;
  return String(err);
}
