// Fault injection, for the tests of the health endpoint: a loop that stops turning while the
// process lives. With STATICLET_FAULT_INJECTION=hold-loop in the environment, SIGUSR2 holds the
// loop's inputs (no source's event, the heartbeat included, reaches the reconciler: a wedged loop
// as /healthz sees it) and the next SIGUSR2 lets them through again, in order. Without the
// variable this is the identity and no signal handler is installed, so no stray signal on a real
// node can wedge the agent.
import { Observable, type MonoTypeOperatorFunction } from 'rxjs';
import type { EventBody } from '../core/model/events.js';

export const FAULT_INJECTION_ENV = 'STATICLET_FAULT_INJECTION';

export function holdOnSignal(
  env: Readonly<Record<string, string | undefined>>,
  onToggle: (held: boolean) => void,
): MonoTypeOperatorFunction<EventBody> {
  if (!(env[FAULT_INJECTION_ENV] ?? '').split(',').includes('hold-loop')) return (source) => source;
  return (source) =>
    new Observable<EventBody>((subscriber) => {
      let held: EventBody[] | undefined;
      const toggle = () => {
        const queued = held;
        held = queued ? undefined : [];
        onToggle(held !== undefined);
        for (const e of queued ?? []) subscriber.next(e);
      };
      process.on('SIGUSR2', toggle);
      const sub = source.subscribe({
        next: (e) => (held ? held.push(e) : subscriber.next(e)),
        error: (err: unknown) => subscriber.error(err),
        complete: () => subscriber.complete(),
      });
      return () => {
        process.off('SIGUSR2', toggle);
        sub.unsubscribe();
      };
    });
}
