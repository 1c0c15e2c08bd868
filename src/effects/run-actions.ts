// The shape every action effect shares: run each action (bounded parallelism), and turn its
// result into exactly one event, success or failure. Nothing throws into the stream.
import { catchError, defer, map, mergeMap, of, type Observable, type OperatorFunction } from 'rxjs';
import type { Action } from '../core/model/actions.js';
import type { ActionOutcome, EventBody } from '../core/model/events.js';
import type { Logger } from '../runtime/logger.js';

export interface RunActionsOptions {
  readonly concurrency: number;
  readonly log: Logger;
  /** The kubelet-style reason of a failure. */
  readonly reasonOf: (err: unknown) => string;
}

export function runActions<A extends Action>(
  run: (action: A) => Promise<ActionOutcome>,
  options: RunActionsOptions,
): OperatorFunction<A, EventBody> {
  return (actions$: Observable<A>) =>
    actions$.pipe(
      mergeMap(
        (action) =>
          defer(() => run(action)).pipe(
            map((outcome): EventBody => ({ type: 'ActionSucceeded', action, outcome })),
            catchError((err: unknown) => {
              const reason = options.reasonOf(err);
              const message = err instanceof Error ? err.message : String(err);
              options.log.warn(
                { pod: action.podFullName, action: action.kind, reason, err: message },
                `${action.kind} failed: ${message}`,
              );
              return of<EventBody>({ type: 'ActionFailed', action, reason, message });
            }),
          ),
        options.concurrency,
      ),
    );
}
