// The agent's first full sync: the moment it has heard from everything it depends on and has
// acted on it once. systemd's READY=1 means this (src/effects/systemd-watcher.ts).
//
// Done when both of these hold at a step that diffed (not a deferred one):
// - every configured source has answered once: the directory finished its first scan
//   (SourceSynced), the URL either synced or failed its first fetch (a ManifestInvalid for it:
//   a URL that is down must not hold up the node, and its pods cannot be known anyway);
// - the runtime has been relisted completely at least once (runtime.synced).
// That step's diff is the first to see both sides, so its actions (starting what is missing,
// removing what no source wants) are issued in it. Not waited for: the actions to finish. An image
// pull can take minutes, and systemd kills a service that is not ready within TimeoutStartSec;
// whether the pods run and are Ready is for the health endpoint's readiness check to say.
import type { SourceKind } from './model/static-pod.js';
import type { State } from './model/state.js';

/** What the first full sync still waits for, in words; empty once it is done. */
export function firstSyncPending(state: State): string[] {
  const pending: string[] = [];
  for (const source of state.configuredSources) if (!sourceAnswered(state, source)) pending.push(SOURCE_NAMES[source]);
  if (!state.runtime.synced) pending.push('the runtime relist');
  return pending;
}

export function firstSyncDone(state: State): boolean {
  return firstSyncPending(state).length === 0;
}

const SOURCE_NAMES: Record<SourceKind, string> = {
  file: 'the manifest directory',
  http: 'the manifest URL',
};

function sourceAnswered(state: State, source: SourceKind): boolean {
  if (state.syncedSources.includes(source)) return true;
  // A scan's problems come before its SourceSynced; a URL's failed fetch is its whole answer.
  if (source !== 'http') return false;
  for (const origin of state.origins.values()) if (origin.source === 'http' && origin.problems) return true;
  return false;
}
