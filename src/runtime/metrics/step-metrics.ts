// The loop's counters, read from the steps as they come out of the loop: what each step did
// (steps, actions, starts, exits, pods reaching Running). It keeps the latest state, from which the
// gauges are read when scraped. It decides nothing and never throws into the loop.
import {
  podStarts,
  exitsSeen,
  startAttempts,
  type ObservedStep,
  type PendingStarts,
} from '../../core/step-outcomes.js';
import type { State } from '../../core/model/state.js';
import type { Collectors } from './collectors.js';

export interface StepMetrics {
  /** A StepWatcher: give it every step. */
  readonly watch: (step: ObservedStep) => void;
  /** The latest state seen (undefined before the first step). */
  readonly latest: () => State | undefined;
}

export function stepMetrics(c: Collectors): StepMetrics {
  let latest: State | undefined;
  let pending: PendingStarts = new Map();

  const watch = (step: ObservedStep): void => {
    const previous = latest ?? step.state;
    latest = step.state;
    c.loopSteps.inc({ event: step.event.type });
    for (const a of step.actions) c.actionsIssued.inc({ kind: a.kind });

    const starts = startAttempts(step.event);
    if (starts.pod) {
      c.startedPods.inc();
      if (!starts.pod.ok) c.startedPodsErrors.inc();
    }
    if (starts.container) {
      const { type, code } = starts.container;
      c.startedContainers.inc({ container_type: type });
      if (code !== undefined) c.startedContainersErrors.inc({ container_type: type, code });
    }

    const exits = exitsSeen(previous, step);
    if (exits.event > 0) c.exits.inc({ seen_by: 'event' }, exits.event);
    if (exits.relist > 0) c.exits.inc({ seen_by: 'relist' }, exits.relist);

    for (const m of step.missed ?? []) c.relistMissedChanges.inc({ kind: m.kind });

    const started = podStarts(pending, previous, step);
    pending = started.pending;
    for (const ms of started.startedMs) c.podStartDuration.observe(ms / 1000);
  };

  return { watch, latest: () => latest };
}
