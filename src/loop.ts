// The reconciler loop: sources and effect results merge into one numbered, timed event log; the
// log folds through `step`; the actions go to the effects, whose results come back into the log.
// Pure RxJS wiring, so the whole loop runs in virtual time in tests.
import {
  EMPTY,
  Observable,
  Subject,
  distinctUntilChanged,
  map,
  merge,
  mergeMap,
  observeOn,
  queueScheduler,
  scan,
  switchMap,
  takeUntil,
  tap,
  timer,
  type OperatorFunction,
  type SchedulerLike,
} from 'rxjs';
import type { Action } from './core/model/actions.js';
import type { EventBody, LoggedEvent } from './core/model/events.js';
import { step, type StepResult } from './core/reconcile.js';
import type { State } from './core/model/state.js';

export interface LoopOptions {
  readonly initial: State;
  /** The merged sources. */
  readonly inputs: Observable<EventBody>;
  /** Actions in, result events out. */
  readonly effects: OperatorFunction<Action, EventBody>;
  readonly scheduler: SchedulerLike;
  /** Completes the loop (the effects in flight are abandoned; their results are not needed). */
  readonly stop?: Observable<unknown>;
}

export interface LoopStep extends StepResult {
  readonly event: LoggedEvent;
}

/** Runs the loop; every step comes out (event, new state, actions issued). Hot: subscribe once. */
export function reconcileLoop(options: LoopOptions): Observable<LoopStep> {
  const { scheduler } = options;
  const feedback = new Subject<EventBody>();
  const wakeAt = new Subject<number | undefined>();
  const stop$ = options.stop ?? EMPTY;

  const timers$ = wakeAt.pipe(
    distinctUntilChanged(),
    switchMap((at) =>
      at === undefined
        ? EMPTY
        : timer(Math.max(0, at - scheduler.now()), scheduler).pipe(map((): EventBody => ({ type: 'TimerFired' }))),
    ),
  );

  // Results re-enter on the queue scheduler: a synchronous effect (as in tests) is folded after
  // the step that caused it, never inside it.
  const events$ = merge(options.inputs, feedback.pipe(observeOn(queueScheduler)), timers$).pipe(
    takeUntil(stop$),
    map((body, i): LoggedEvent => ({ ...body, seq: i + 1, at: scheduler.now() })),
  );

  const steps$ = events$.pipe(
    scan<LoggedEvent, LoopStep, null>(
      (acc, event) => ({ ...step(acc ? acc.state : options.initial, event), event }),
      null,
    ),
  );

  return new Observable<LoopStep>((subscriber) => {
    // One chain: each step is reported (and its wake-up armed) before its actions reach the effects.
    const sub = steps$
      .pipe(
        tap((s) => {
          subscriber.next(s);
          // A deferred step did not diff: the wake-up armed before it still holds.
          if (!s.deferred) wakeAt.next(s.wakeAt);
        }),
        mergeMap((s) => s.actions),
        options.effects,
      )
      .subscribe({
        next: (e) => feedback.next(e),
        error: (err: unknown) => subscriber.error(err),
        complete: () => subscriber.complete(),
      });
    return () => {
      sub.unsubscribe();
      feedback.complete();
      wakeAt.complete();
    };
  });
}
