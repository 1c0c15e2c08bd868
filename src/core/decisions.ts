// The diff's output under construction: decisions, wake-up time, restart bases.
import type { Action } from './model/actions.js';
import { failureDelay, START_RETRY } from './backoff.js';
import type { State } from './model/state.js';

/** An action before it gets its id. */
export type Decision = Action extends infer A ? (A extends Action ? Omit<A, 'id'> : never) : never;

export interface DiffResult {
  readonly decisions: Decision[];
  /** The earliest time a blocked step (a back-off) may proceed: wake the reconciler then. */
  readonly wakeAt?: number;
  /** For restarts: the finish time of the death being restarted, keyed `<uid>/<container>`. */
  readonly restartBases: ReadonlyMap<string, number>;
}

export class DiffCollector {
  readonly decisions: Decision[] = [];
  readonly restartBases = new Map<string, number>();
  wakeAt: number | undefined;

  add(decision: Decision): void {
    this.decisions.push(decision);
  }

  wake(at: number): void {
    this.wakeAt = this.wakeAt === undefined ? at : Math.min(this.wakeAt, at);
  }

  /** True (and a wake-up noted) while a failed step waits for its retry time. */
  blockedByFailure(state: State, key: string, retry: { baseMs: number; maxMs: number }): boolean {
    const failure = state.failures.get(key);
    if (!failure) return false;
    const at = failure.at + failureDelay(failure.count, retry.baseMs, retry.maxMs);
    if (state.now >= at) return false;
    this.wake(at);
    return true;
  }

  /** blockedByFailure for a container start in `sandboxId` (undefined: in a sandbox not made yet):
   * a start that failed in another sandbox does not hold it back (see StepFailure.sandboxId). */
  blockedStart(state: State, key: string, sandboxId: string | undefined): boolean {
    const tried = state.failures.get(key)?.sandboxId;
    if (tried !== undefined && tried !== sandboxId) return false;
    return this.blockedByFailure(state, key, START_RETRY);
  }

  result(): DiffResult {
    return {
      decisions: this.decisions,
      restartBases: this.restartBases,
      ...(this.wakeAt !== undefined ? { wakeAt: this.wakeAt } : {}),
    };
  }
}
