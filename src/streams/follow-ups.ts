// followUps: each trigger passes at once, and after the latest trigger of a burst come a few
// delayed ticks (at `delaysMs` after it). One timer serves the whole burst: a storm of 200 task
// exits arms one timer, not 600, and asks for a handful of relists, not a relist per exit.
import { Observable, type OperatorFunction, type SchedulerAction, type SchedulerLike, type Subscription } from 'rxjs';

export function followUps<T>(delaysMs: readonly number[], scheduler: SchedulerLike): OperatorFunction<T, void> {
  const delays = [...delaysMs].sort((a, b) => a - b);
  return (source) =>
    new Observable<void>((subscriber) => {
      let lastAt = 0;
      /** Index into `delays` of the next follow-up due after `lastAt`. */
      let next = delays.length;
      let timer: Subscription | undefined;

      const arm = (): void => {
        if (timer || next >= delays.length) return;
        timer = scheduler.schedule(
          function (this: SchedulerAction<undefined>) {
            const now = scheduler.now();
            const dueAt = lastAt + delays[next]!;
            if (now >= dueAt) {
              subscriber.next();
              next++;
              // Skip follow-ups already overtaken (a slow timer), keeping one tick for them all.
              while (next < delays.length && lastAt + delays[next]! <= now) next++;
            }
            if (next < delays.length) this.schedule(undefined, lastAt + delays[next]! - now);
            else timer = undefined;
          },
          Math.max(0, lastAt + delays[next]! - scheduler.now()),
        );
      };

      const sub = source.subscribe({
        next: () => {
          lastAt = scheduler.now();
          next = 0;
          subscriber.next();
          arm();
        },
        error: (err) => subscriber.error(err),
        complete: () => subscriber.complete(),
      });
      return () => {
        sub.unsubscribe();
        timer?.unsubscribe();
      };
    });
}
