// /healthz from the loop's latest state: is the agent doing its job? The checks that fail it are
// the ones a supervisor should act on: the loop stopped turning (`syncloop`), or the container
// runtime is gone (`runtime`). The sources and the API server are shown but never fail it: the
// agent keeps the last good manifests running through a broken source or an API server that is
// down, and restarting it would not mend either.
import type { Check } from './checks.js';
import type { SourceKind } from '../model/static-pod.js';
import type { State } from '../model/state.js';

/** How recently the loop passed a Heartbeat on (see streams/heartbeat.ts). */
export interface LoopPulse {
  /** When the last Heartbeat step came out of the loop; before the first, when the loop started. */
  readonly lastHeartbeatAt: number;
  readonly now: number;
  /** How old the last heartbeat may be while the loop still counts as turning. */
  readonly staleAfterMs: number;
}

export function syncLoopCheck(pulse: LoopPulse): Check {
  const age = pulse.now - pulse.lastHeartbeatAt;
  if (age <= pulse.staleAfterMs) return { name: 'syncloop', ok: true };
  return {
    name: 'syncloop',
    ok: false,
    message: `no heartbeat through the loop for ${seconds(age)} (limit ${seconds(pulse.staleAfterMs)})`,
  };
}

export function runtimeHealth(state: State | undefined): Check {
  if (state?.runtime.unavailable !== undefined)
    return { name: 'runtime', ok: false, message: `container runtime unavailable: ${state.runtime.unavailable}` };
  return { name: 'runtime', ok: true, ...(state?.runtime.synced ? {} : { message: 'not listed yet' }) };
}

export function healthChecks(state: State | undefined, pulse: LoopPulse): Check[] {
  const checks: Check[] = [{ name: 'ping', ok: true }, syncLoopCheck(pulse), runtimeHealth(state)];
  if (!state) return checks;
  for (const source of state.configuredSources) checks.push({ ...sourceCheck(state, source), informational: true });
  if (state.api.configured) {
    const note =
      state.api.unavailable !== undefined
        ? `unreachable, pods keep running: ${state.api.unavailable}`
        : state.api.synced
          ? undefined
          : 'not listed yet';
    checks.push({ name: 'apiserver', ok: true, informational: true, ...(note ? { message: note } : {}) });
  }
  return checks;
}

/** A source: listed at least once (so what should run is known), and its manifests' problems. */
export function sourceCheck(state: State, source: SourceKind): Check {
  const name = `source/${source}`;
  const problems = [...state.origins.values()].filter((o) => o.source === source && o.problems?.length);
  const first = problems[0]?.problems?.[0];
  const detail =
    problems.length === 0
      ? undefined
      : source === 'http'
        ? `${first!.message}; the last good pods keep running`
        : `${problems.length} manifest${problems.length === 1 ? '' : 's'} with problems (see /pods)`;
  if (!state.syncedSources.includes(source))
    return { name, ok: false, message: `not listed yet${detail ? `: ${detail}` : ''}` };
  return { name, ok: true, ...(detail ? { message: detail } : {}) };
}

function seconds(ms: number): string {
  return `${Math.round(ms / 100) / 10}s`;
}
