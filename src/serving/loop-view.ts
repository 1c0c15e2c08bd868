// The loop as the endpoint sees it: a step watcher (see runAgent's `watchers`) that keeps the
// latest state and the time the last Heartbeat came out of the loop. A request reads this
// snapshot; it never takes the loop's turn or asks the runtime.
import { HEARTBEAT_PERIOD_MS, type StepWatcher } from '../agent.js';
import type { LoopPulse } from '../core/serving/health.js';
import type { State } from '../core/model/state.js';

/**
 * How old the last heartbeat may be while the loop counts as turning: four periods (20 s). A
 * heartbeat is a timer's event folded like any other, so a loop busy with a burst (hundreds of
 * pods read, started and relisted at once) passes it late, not never; three missed beats are no
 * burst but a loop that stopped. Supervisors add their own tolerance (a failure threshold) on
 * top, so a real wedge is acted on within a minute or so, and a burst never restarts the agent.
 */
export const SYNC_LOOP_STALE_AFTER_MS = 4 * HEARTBEAT_PERIOD_MS;

export class LoopView {
  private latest: State | undefined;
  private lastHeartbeatAt: number;

  constructor(
    private readonly now: () => number = Date.now,
    private readonly staleAfterMs = SYNC_LOOP_STALE_AFTER_MS,
  ) {
    // Before the first heartbeat, the loop has had since its start.
    this.lastHeartbeatAt = now();
  }

  readonly watch: StepWatcher = (step) => {
    this.latest = step.state;
    if (step.event.type === 'Heartbeat') this.lastHeartbeatAt = this.now();
  };

  /** The state after the latest step; undefined before the first. */
  get state(): State | undefined {
    return this.latest;
  }

  pulse(): LoopPulse {
    return { lastHeartbeatAt: this.lastHeartbeatAt, now: this.now(), staleAfterMs: this.staleAfterMs };
  }
}
