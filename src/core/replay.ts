// Replay: feed a recorded event log through the pure core and collect the actions it decides.
import type { Action } from './model/actions.js';
import type { LoggedEvent } from './model/events.js';
import { step } from './reconcile.js';
import { initialState, type State } from './model/state.js';
import type { SourceKind } from './model/static-pod.js';

export interface ReplayedStep {
  readonly event: LoggedEvent;
  readonly actions: readonly Action[];
}

export function replay(
  configuredSources: readonly SourceKind[],
  events: readonly LoggedEvent[],
): { steps: ReplayedStep[]; state: State } {
  let state = initialState(configuredSources, events[0]?.at ?? 0);
  const steps: ReplayedStep[] = [];
  for (const event of events) {
    const result = step(state, event);
    state = result.state;
    steps.push({ event, actions: result.actions });
  }
  return { steps, state };
}
