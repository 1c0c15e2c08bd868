// coalesceMap: run `work` for a trigger; triggers that arrive while it runs collapse into one more
// run after it. Unlike exhaustMap no trigger is lost, unlike concatMap they never queue up.
import { Observable, from, type ObservableInput, type OperatorFunction } from 'rxjs';

export function coalesceMap<T, R>(work: (trigger: T) => ObservableInput<R>): OperatorFunction<T, R> {
  return (source) =>
    new Observable<R>((subscriber) => {
      let running = false;
      let pending: { value: T } | undefined;
      let sourceDone = false;
      let inner: { unsubscribe(): void } | undefined;

      const run = (value: T): void => {
        running = true;
        inner = from(work(value)).subscribe({
          next: (r) => subscriber.next(r),
          error: (err) => subscriber.error(err),
          complete: () => {
            running = false;
            const next = pending;
            pending = undefined;
            if (next) run(next.value);
            else if (sourceDone) subscriber.complete();
          },
        });
      };

      const outer = source.subscribe({
        next: (value) => {
          if (running) pending = { value };
          else run(value);
        },
        error: (err) => subscriber.error(err),
        complete: () => {
          sourceDone = true;
          if (!running) subscriber.complete();
        },
      });
      return () => {
        outer.unsubscribe();
        inner?.unsubscribe();
      };
    });
}
