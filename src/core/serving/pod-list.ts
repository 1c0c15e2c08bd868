// /pods: the static pods this node should run, each with its status as its mirror pod shows it
// (pod-status.ts), as a v1 PodList that jq and kubectl read, with no API server needed. Each item
// is the static pod itself (its UID is the config hash), not the mirror (which only the API
// server names and numbers). The manifests' problems ride along as a top-level `problems` list
// of ManifestProblem ({origin, line, column, field, message}), which Kubernetes tooling ignores
// and `staticlet status` prints; a pod defined twice is a problem of the manifest that lost.
import type { V1ObjectMeta, V1Pod } from '@kubernetes/client-node';
import { desiredPods } from '../desired.js';
import { podStatus } from '../pod-status.js';
import type { ManifestProblem } from '../model/events.js';
import type { State, StatusContext } from '../model/state.js';
import { fullName } from '../model/static-pod.js';

export interface StaticPodList {
  readonly apiVersion: 'v1';
  readonly kind: 'PodList';
  readonly metadata: V1ObjectMeta;
  readonly items: V1Pod[];
  readonly problems: ManifestProblem[];
}

export function staticPodList(state: State | undefined, ctx: StatusContext): StaticPodList {
  const items: V1Pod[] = [];
  if (state) {
    const pods = [...desiredPods(state).pods.values()].sort((a, b) => fullName(a).localeCompare(fullName(b)));
    for (const pod of pods)
      items.push({ ...pod.pod, apiVersion: 'v1', kind: 'Pod', status: podStatus(state, pod, ctx) });
  }
  return { apiVersion: 'v1', kind: 'PodList', metadata: {}, items, problems: state ? manifestProblems(state) : [] };
}

/** Every manifest's problems, by origin, then the manifests that lost a contested pod name. */
export function manifestProblems(state: State): ManifestProblem[] {
  const problems: ManifestProblem[] = [];
  for (const origin of [...state.origins.keys()].sort()) problems.push(...(state.origins.get(origin)!.problems ?? []));
  for (const c of desiredPods(state).conflicts)
    for (const loser of c.losers)
      problems.push({
        origin: loser,
        field: 'metadata.name',
        message: `pod ${c.fullName} is also defined by ${c.winner}, which is the one run; this manifest is ignored`,
      });
  return problems;
}

/** JSON as the API server writes it: times in whole seconds, RFC 3339 (`2025-01-02T03:04:05Z`). */
export function kubernetesJson(value: unknown): string {
  return JSON.stringify(value, function (this: Record<string, unknown>, key: string, v: unknown) {
    const raw = this[key];
    return raw instanceof Date ? raw.toISOString().replace(/\.\d+Z$/, 'Z') : v;
  });
}
