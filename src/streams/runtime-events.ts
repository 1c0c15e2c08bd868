// Source of runtime signals: container events, so an exit is seen at once instead of at the next
// relist. The CRI's own stream (GetContainerEvents) where the runtime has it (containerd 2.x);
// else containerd's events service on the same socket (containerd 1.6 answers Unimplemented to the
// CRI call); else nothing, and the periodic relist alone observes the runtime. A stream that
// breaks or ends is re-subscribed with back-off; its health (up once it has held for
// STREAM_SETTLE_MS, down when it breaks) comes out too, for the relist's pace (relist-ticks.ts).
import {
  asyncScheduler,
  catchError,
  defer,
  EMPTY,
  filter,
  map,
  Observable,
  retry,
  timer,
  type MonoTypeOperatorFunction,
  type SchedulerLike,
} from 'rxjs';
import type { EventBody } from '../core/model/events.js';
import { changeAsksForLook, type RuntimeChange } from '../core/runtime-change.js';
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
  /** Not an event but the stream's health: `up` once a subscription has held, `down` when it broke. */
  readonly stream?: 'up' | 'down';
  /** A container or a sandbox stopped without exit facts to trust (a sandbox's stop, or a stop
   * whose status does not yet say exited): its id, so the agent's own stops can be told apart. */
  readonly stopped?: string;
  /** A container (or a sandbox's pause container) was removed: its id, where the stream says. */
  readonly deleted?: string;
}

/** A subscription that has neither failed nor ended this long is up: a runtime without the call,
 * or with no socket, answers at once (and one with it sends nothing, not even headers, before its
 * first event). */
export const STREAM_SETTLE_MS = 1_000;
/** Wait before subscribing again after a break: doubling from the first to the last, and from the
 * first again once a stream was up. */
export const RESUBSCRIBE_BACKOFF_MS = { first: 1000, max: 30_000 } as const;

/** Whether the event stream is up, from the signals. */
export function streamHealth(signals: Observable<RuntimeSignal>): Observable<boolean> {
  return signals.pipe(
    filter((s) => s.stream !== undefined),
    map((s) => s.stream === 'up'),
  );
}

/** The signals that are events (each asks for a relist), without the health ones. */
export function runtimeEvents(signals: Observable<RuntimeSignal>): Observable<RuntimeSignal> {
  return signals.pipe(filter((s) => s.stream === undefined));
}

/** The exits the signals carry, as events for the loop: a restart need not wait for a relist. */
export function runtimeExits(signals: Observable<RuntimeSignal>): Observable<EventBody> {
  return signals.pipe(
    map((signal) => signal.exit),
    filter((exit): exit is NonNullable<RuntimeSignal['exit']> => exit !== undefined),
    map((exit): EventBody => ({ type: 'ContainerExited', ...exit })),
  );
}

/** Signals less the exits and removals of what the agent itself stops (see ExpectedExits): those
 * are the agent's own doing, reported by its action's result, so they need neither a relist nor a
 * step. */
export function withoutExpectedExits(
  expected: Pick<ExpectedExits, 'isExpected'>,
): MonoTypeOperatorFunction<RuntimeSignal> {
  return filter((signal) => {
    const id = signal.exit?.containerId ?? signal.stopped ?? signal.deleted;
    return id === undefined || !expected.isExpected(id);
  });
}

/**
 * The runtime's container events as signals, with the stream's health. `onChoice` is told the
 * source each time a subscription takes (so again after every reconnection: the CRI's once its
 * stream is up); `onBreak` each time a stream fails or ends, with the wait before the next try.
 */
export function runtimeContainerEvents(
  cri: CriRuntime,
  endpoint: string,
  onChoice: (kind: EventSourceKind, why: string) => void,
  scheduler: SchedulerLike = asyncScheduler,
  onBreak: (why: string, retryInMs: number) => void = () => undefined,
): Observable<RuntimeSignal> {
  const criEvents = new Observable<RuntimeSignal>((subscriber) => {
    const sub = cri.containerEvents(CRI_EVENT_TYPES_OF_USE).subscribe({
      next: (event) => {
        if (criEventAsksForLook(event)) subscriber.next(signalOfCriEvent(event));
      },
      error: (err) => subscriber.error(err),
      complete: () => subscriber.complete(),
    });
    return () => sub.unsubscribe();
  });
  const resubscribe = retry<RuntimeSignal>({
    delay: (err: unknown, n) => {
      const ms = Math.min(RESUBSCRIBE_BACKOFF_MS.first * 2 ** (n - 1), RESUBSCRIBE_BACKOFF_MS.max);
      onBreak(messageOf(err), ms);
      return timer(ms, scheduler);
    },
    resetOnSuccess: true,
  });

  return defer(() => {
    // Set when the runtime has no stream at all: then the end is the end, not a break.
    let none = false;
    // Set when the CRI has no stream and containerd's task events stand in (they report themselves).
    let fellBack = false;
    const attempt = subscribeOnce(cri, endpoint, onChoice, criEvents, {
      onNone: () => (none = true),
      onFallback: () => (fellBack = true),
    });
    const onUp = () => {
      if (!fellBack)
        onChoice(
          'cri',
          'the runtime streams container events (CRI GetContainerEvents), with the relist as a safety net',
        );
    };
    return withHealth(attempt, () => none, scheduler, onUp);
  }).pipe(resubscribe);
}

/** One subscription: the CRI's stream, else containerd's task events, else nothing. */
function subscribeOnce(
  cri: CriRuntime,
  endpoint: string,
  onChoice: (kind: EventSourceKind, why: string) => void,
  criEvents: Observable<RuntimeSignal>,
  told: { onNone: () => void; onFallback: () => void },
): Observable<RuntimeSignal> {
  return criEvents.pipe(
    catchError((err: { code?: string; message?: string }) => {
      if (err.code !== 'UNIMPLEMENTED') throw err;
      told.onFallback();
      return containerdTaskEvents(endpoint).pipe(
        filter(taskEventAsksForLook),
        map(signalOfTask),
        catchError((cerr: { code?: string }) => {
          // containerd's events service is not there either (a GrpcCallError, by status name).
          if (cerr.code === 'UNIMPLEMENTED') {
            told.onNone();
            onChoice('none', 'the runtime has no container event stream: relisting only');
            return EMPTY;
          }
          throw cerr;
        }),
        (events) =>
          new Observable<RuntimeSignal>((subscriber) => {
            onChoice(
              'containerd',
              'the CRI has no GetContainerEvents: using containerd task events, with the relist as a safety net',
            );
            return events.subscribe(subscriber);
          }),
      );
    }),
  );
}

/**
 * A subscription's signals with its health: `up` once it has held for STREAM_SETTLE_MS (or sooner,
 * with its first event), `down` when it fails or ends after that. An end is a break (errored, so
 * the retry re-subscribes) unless the runtime has no stream at all (`noStream`).
 */
function withHealth(
  source: Observable<RuntimeSignal>,
  noStream: () => boolean,
  scheduler: SchedulerLike,
  onUp: () => void,
): Observable<RuntimeSignal> {
  return new Observable<RuntimeSignal>((subscriber) => {
    let up = false;
    const goUp = () => {
      if (up) return;
      up = true;
      settle.unsubscribe();
      onUp();
      subscriber.next({ stream: 'up' });
    };
    const settle = scheduler.schedule(goUp, STREAM_SETTLE_MS);
    const broke = (err: unknown) => {
      settle.unsubscribe();
      if (up) subscriber.next({ stream: 'down' });
      subscriber.error(err);
    };
    const sub = source.subscribe({
      next: (signal) => {
        goUp();
        subscriber.next(signal);
      },
      error: broke,
      complete: () => {
        if (noStream()) {
          settle.unsubscribe();
          subscriber.complete();
        } else broke(new Error('the runtime event stream ended'));
      },
    });
    return () => {
      settle.unsubscribe();
      sub.unsubscribe();
    };
  });
}

/** The change a CRI event reports. */
const CHANGE_OF_CRI_EVENT = {
  CONTAINER_CREATED_EVENT: 'created',
  CONTAINER_STARTED_EVENT: 'started',
  CONTAINER_STOPPED_EVENT: 'stopped',
  CONTAINER_DELETED_EVENT: 'deleted',
} as const satisfies Record<ContainerEvent['eventType'], RuntimeChange>;

/** Whether a CRI event asks for a look (changeAsksForLook: stops and removals do, creations and
 * starts not). */
export function criEventAsksForLook(e: ContainerEvent): boolean {
  return changeAsksForLook(CHANGE_OF_CRI_EVENT[e.eventType]);
}

/** The CRI event types that ask for a look: the stream is asked for these only, and the runtime's
 * other events are dropped before they are decoded. */
export const CRI_EVENT_TYPES_OF_USE: ReadonlySet<ContainerEvent['eventType']> = new Set(
  (Object.keys(CHANGE_OF_CRI_EVENT) as ContainerEvent['eventType'][]).filter((t) =>
    changeAsksForLook(CHANGE_OF_CRI_EVENT[t]),
  ),
);

/** The change a containerd task event reports: exits, OOM kills and removals only
 * (src/runtime/containerd/events.ts subscribes to no other topic). An exit is a stop unless it is
 * an exec's. */
function changeOfTask(e: TaskEvent): RuntimeChange {
  if (e.topic === '/containers/delete') return 'deleted';
  if (e.topic === '/tasks/oom') return 'oom-killed';
  return e.exit?.mainProcess === false ? 'exec-exited' : 'stopped';
}

/** Whether a containerd task event asks for a look (changeAsksForLook: exits of a main process,
 * OOM kills and removals do, an exec's exit not). */
export function taskEventAsksForLook(e: TaskEvent): boolean {
  return changeAsksForLook(changeOfTask(e));
}

/** A CRI event as a signal: a stopped container's exit facts from the statuses the event carries;
 * a sandbox's stop, or a stop without the container's exited status, only its id (the relist
 * brings the facts); a deletion's id. Every one names its id: anonymous, a removal's sandbox
 * stops each asked for a relist of the whole node (docs/benchmarks.md, run V). */
export function signalOfCriEvent(e: ContainerEvent): RuntimeSignal {
  if (e.eventType === 'CONTAINER_DELETED_EVENT') return { deleted: e.containerId };
  if (e.eventType !== 'CONTAINER_STOPPED_EVENT') return {};
  const status = e.containersStatuses.find((c) => c.id === e.containerId);
  if (status?.state !== 'CONTAINER_EXITED') return { stopped: e.containerId };
  const finishedAt = nanosToMillis(status.finishedAt);
  return {
    exit: {
      containerId: e.containerId,
      exitCode: status.exitCode,
      ...(finishedAt !== undefined ? { finishedAt } : {}),
    },
  };
}

/** A containerd task event as a signal: an exit's facts for the container's main process. */
function signalOfTask(e: TaskEvent): RuntimeSignal {
  if (e.topic === '/containers/delete') return { deleted: e.containerId };
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
