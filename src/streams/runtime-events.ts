// Source of runtime signals: container events, so an exit is seen at once instead of at the next
// relist. The CRI's own stream (GetContainerEvents) where the runtime has it; else containerd's
// events service on the same socket (containerd 1.6 answers Unimplemented to the CRI call); else
// nothing, and the periodic relist alone observes the runtime. A stream that breaks is
// re-subscribed with back-off.
import * as grpc from '@grpc/grpc-js';
import { catchError, EMPTY, filter, map, Observable, retry, timer, type MonoTypeOperatorFunction } from 'rxjs';
import type { EventBody } from '../core/model/events.js';
import { containerdTaskEvents, type TaskEvent } from '../runtime/containerd/events.js';
import type { ExpectedExits } from '../runtime/expected-exits.js';
import type { CriRuntime } from '../cri-api/runtime-service.js';
import type { ContainerEvent } from '../cri-api/messages.js';
import { nanosToMillis } from '../runtime/cri/observations.js';

export type EventSourceKind = 'cri' | 'containerd' | 'none';

/** A runtime event: something changed (look again), with the facts of a main process's exit
 * where the stream carries them (containerd's TaskExit does; a CRI stop event does when the runtime
 * sends the container's status with it, as CRI-O does). */
export interface RuntimeSignal {
  readonly exit?: { readonly containerId: string; readonly exitCode: number; readonly finishedAt?: number };
}

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

export function runtimeContainerEvents(
  cri: CriRuntime,
  endpoint: string,
  onChoice: (kind: EventSourceKind, why: string) => void,
): Observable<RuntimeSignal> {
  const criEvents = new Observable<RuntimeSignal>((subscriber) => {
    // The CRI stream says nothing until its first event (a runtime without it fails at once),
    // so that event is when the choice is known.
    let chosen = false;
    const sub = cri.containerEvents().subscribe({
      next: (event) => {
        if (!chosen) {
          chosen = true;
          onChoice('cri', "using the CRI's GetContainerEvents stream, with the relist as a safety net");
        }
        subscriber.next(signalOfCriEvent(event));
      },
      error: (err) => subscriber.error(err),
      complete: () => subscriber.complete(),
    });
    return () => sub.unsubscribe();
  });
  const resubscribe = retry<RuntimeSignal>({
    delay: (_err, n) => timer(Math.min(1000 * 2 ** (n - 1), 30_000)),
    resetOnSuccess: true,
  });

  return criEvents.pipe(
    catchError((err: { code?: string; message?: string }) => {
      if (err.code !== 'UNIMPLEMENTED') throw err;
      return containerdTaskEvents(endpoint).pipe(
        map(signalOfTask),
        catchError((cerr: grpc.ServiceError) => {
          if (cerr.code === grpc.status.UNIMPLEMENTED) {
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
    resubscribe,
  );
}

/** A CRI event as a signal: a stop's exit facts when the event carries the container's status,
 * exited (a runtime that sends no statuses gives a bare "look again"). */
function signalOfCriEvent(e: ContainerEvent): RuntimeSignal {
  const status = e.containerStatus;
  if (e.eventType !== 'CONTAINER_STOPPED_EVENT' || status?.state !== 'CONTAINER_EXITED') return {};
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
