// Source of relist triggers: container events, so an exit is seen at once instead of at the next
// relist. The CRI's own stream (GetContainerEvents) where the runtime has it; else containerd's
// events service on the same socket (containerd 1.6 answers Unimplemented to the CRI call); else
// nothing, and the periodic relist alone observes the runtime. A stream that breaks is
// re-subscribed with back-off.
import * as grpc from '@grpc/grpc-js';
import { catchError, EMPTY, map, Observable, retry, timer } from 'rxjs';
import { containerdTaskEvents } from '../runtime/containerd/events.js';
import type { CriRuntime } from '../runtime/cri/types.js';

export type EventSourceKind = 'cri' | 'containerd' | 'none';

export function runtimeContainerEvents(
  cri: CriRuntime,
  endpoint: string,
  onChoice: (kind: EventSourceKind, why: string) => void,
): Observable<void> {
  const criEvents = new Observable<void>((subscriber) => {
    const sub = cri.containerEvents().subscribe({
      next: () => subscriber.next(),
      error: (err) => subscriber.error(err),
      complete: () => subscriber.complete(),
    });
    return () => sub.unsubscribe();
  });
  const resubscribe = retry<void>({ delay: (_err, n) => timer(Math.min(1000 * 2 ** (n - 1), 30_000)), resetOnSuccess: true });

  return criEvents.pipe(
    catchError((err: { code?: string; message?: string }) => {
      if (err.code !== 'UNIMPLEMENTED') throw err;
      return containerdTaskEvents(endpoint).pipe(
        map(() => undefined),
        catchError((cerr: grpc.ServiceError) => {
          if (cerr.code === grpc.status.UNIMPLEMENTED) {
            onChoice('none', 'the runtime has no container event stream: relisting only');
            return EMPTY;
          }
          throw cerr;
        }),
        (events) =>
          new Observable<void>((subscriber) => {
            onChoice('containerd', 'the CRI has no GetContainerEvents: using containerd task events, with the relist as a safety net');
            return events.subscribe(subscriber);
          }),
      );
    }),
    resubscribe,
  );
}
