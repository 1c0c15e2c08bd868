// What systemd hears from the loop (Type=notify): READY=1 at the first full sync
// (src/core/first-sync.ts), WATCHDOG=1 from the loop's own heartbeat, STATUS= with the pod counts
// (`systemctl status staticlet`). A step watcher: it reads the steps, never changes them.
import { firstSyncDone, firstSyncPending } from '../core/first-sync.js';
import { desiredPodCount, fullyRunningPodCount, manifestProblemTotal } from '../core/node-counts.js';
import type { State } from '../core/model/state.js';
import type { LoopStep } from '../loop.js';
import type { SystemdNotifier } from '../runtime/systemd-notify.js';

export interface SystemdWatcherOptions {
  /** How often a Heartbeat step comes out of the loop. */
  readonly heartbeatPeriodMs: number;
  readonly now: () => number;
}

/**
 * Pings are spaced so that, while heartbeats come, systemd hears one at least every half watchdog
 * interval (as sd_watchdog_enabled(3) advises): a ping is due when the last one is older than half
 * the interval less one heartbeat period. With WatchdogSec=30s and a 5 s heartbeat, every 10 s.
 */
export function systemdWatcher(notifier: SystemdNotifier, options: SystemdWatcherOptions): (step: LoopStep) => void {
  const watchdogMs = notifier.watchdogMs;
  const pingAfterMs = watchdogMs === undefined ? undefined : Math.max(0, watchdogMs / 2 - options.heartbeatPeriodMs);
  let ready = false;
  let lastPing = -Infinity;
  let lastStatus = '';
  return (step) => {
    const fields: Record<string, string> = {};
    if (!ready && !step.deferred && firstSyncDone(step.state)) {
      ready = true;
      fields.READY = '1';
    }
    const heartbeat = step.event.type === 'Heartbeat';
    if (heartbeat && pingAfterMs !== undefined && options.now() - lastPing >= pingAfterMs) {
      lastPing = options.now();
      fields.WATCHDOG = '1';
    }
    if (heartbeat || fields.READY) {
      const status = ready ? podCounts(step.state) : `starting: waiting for ${firstSyncPending(step.state).join(', ')}`;
      if (status !== lastStatus) fields.STATUS = status;
      lastStatus = status;
    }
    if (Object.keys(fields).length > 0) notifier.notify(fields);
  };
}

/** `3 static pods, 2 running; 1 manifest problem`: running means every container of it runs. */
export function podCounts(state: State): string {
  const problems = manifestProblemTotal(state);
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  return `${plural(desiredPodCount(state), 'static pod')}, ${fullyRunningPodCount(state)} running${problems > 0 ? `; ${plural(problems, 'manifest problem')}` : ''}`;
}
