// step = fold, then diff, then record what was issued, all in one pure transition. Recording the
// issued actions in the same step is what guarantees an action is never issued twice.
import { inFlightKey, type Action } from './model/actions.js';
import { nextBackoff } from './backoff.js';
import { diff } from './diff.js';
import type { LoggedEvent } from './model/events.js';
import { fold } from './fold.js';
import { missedChanges, type MissedChange } from './missed-changes.js';
import { stepKey, type State } from './model/state.js';

export interface StepResult {
  readonly state: State;
  readonly actions: readonly Action[];
  /** When the reconciler wants a TimerFired event (a back-off ends), if ever. */
  readonly wakeAt?: number;
  /** Folded only: more of the same scan follow at once, and the last one's step diffs. */
  readonly deferred?: true;
  /** For a safety-net relist: the changes it found that no event and no action result had told. */
  readonly missed?: readonly MissedChange[];
}

export function step(state: State, event: LoggedEvent): StepResult {
  const missed = event.type === 'RuntimeRelisted' ? missedChanges(state.runtime, event) : [];
  const result = stepOnce(state, event);
  return missed.length > 0 ? { ...result, missed } : result;
}

function stepOnce(state: State, event: LoggedEvent): StepResult {
  const folded = fold(state, event);
  // A heartbeat only proves the loop turns: no diff, so it costs nothing and decides nothing.
  if (event.type === 'Heartbeat' || ('more' in event && event.more))
    return { state: folded, actions: [], deferred: true };
  const { decisions, wakeAt, restartBases } = diff(folded);
  if (decisions.length === 0) return { state: folded, actions: [], ...(wakeAt !== undefined ? { wakeAt } : {}) };

  const actions = decisions.map((d, i) => ({ ...d, id: `${event.seq}.${i}` }) as Action);
  const inFlight = new Map(folded.inFlight);
  const backoff = new Map(folded.backoff);
  for (const action of actions) {
    inFlight.set(inFlightKey(action), action);
    if (action.kind === 'StartContainer') {
      const key = stepKey.container(action.podUid, action.containerName);
      const base = restartBases.get(key);
      if (base !== undefined) backoff.set(key, nextBackoff(backoff.get(key), base));
    }
  }
  return { state: { ...folded, inFlight, backoff }, actions, ...(wakeAt !== undefined ? { wakeAt } : {}) };
}
