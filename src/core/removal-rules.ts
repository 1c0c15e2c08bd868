// When an absence means removal: the rule the pod half (diff.ts) and the mirror half
// (diff-mirrors.ts) of the diff share.
import type { State } from './model/state.js';
import type { SourceKind } from './model/static-pod.js';

/**
 * A pod's source must have synced before its absence means anything. A pod from a source this
 * agent no longer has may go once every configured source has synced. Unlike the kubelet, one
 * source that cannot sync (a URL that is down) never blocks removals from the others.
 */
export function sourceAllowsRemoval(state: State, sourceName: string | undefined): boolean {
  const source = sourceName as SourceKind | undefined;
  if (source && state.configuredSources.includes(source)) return state.syncedSources.includes(source);
  return state.configuredSources.every((s) => state.syncedSources.includes(s));
}
