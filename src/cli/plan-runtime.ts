// What `staticlet plan` reads of the runtime: one relist by the agent's own relist source
// (ListPodSandbox, ListContainers and the statuses, ours only), and from the same listing the facts
// that say why a running pod would be replaced (its labels, annotations, images and spec hashes).
import { asyncScheduler, firstValueFrom, take } from 'rxjs';
import type { EventBody } from '../core/model/events.js';
import type { RunningContainerFacts, RunningPodFacts } from '../core/plan-reasons.js';
import { ANNOTATION, LABEL } from '../core/runtime-labels.js';
import type { Container, PodSandbox } from '../cri-api/messages.js';
import type { CriRuntime } from '../cri-api/runtime-service.js';
import { runtimeRelist } from '../streams/runtime-relist.js';

/** No second relist is ever due while the one look runs. */
const NEVER_AGAIN_MS = 3_600_000;

export class RuntimeUnreachable extends Error {
  override name = 'RuntimeUnreachable';
}

export async function relistOnce(
  cri: CriRuntime,
  nodeName: string,
): Promise<{ event: EventBody; facts: Map<string, RunningPodFacts> }> {
  let sandboxes: PodSandbox[] = [];
  let containers: Container[] = [];
  // The relist's own listing, kept: the plan asks the runtime nothing the relist does not.
  const listing: CriRuntime = {
    ...cri,
    listPodSandbox: async (filter) => (sandboxes = await cri.listPodSandbox(filter)),
    listContainers: async (filter) => (containers = await cri.listContainers(filter)),
  };
  const event = await firstValueFrom(
    runtimeRelist(listing, { nodeName, intervalMs: NEVER_AGAIN_MS }, asyncScheduler).pipe(take(1)),
  );
  if (event.type === 'RuntimeUnavailable') throw new RuntimeUnreachable(event.message);
  return { event, facts: runningPodFacts(sandboxes, containers) };
}

/** Per pod UID: its newest sandbox's labels and annotations, and its newest container of each name. */
export function runningPodFacts(
  sandboxes: readonly PodSandbox[],
  containers: readonly Container[],
): Map<string, RunningPodFacts> {
  const newest = new Map<string, PodSandbox>();
  for (const sb of sandboxes) {
    const uid = sb.labels[LABEL.podUid] ?? sb.metadata.uid;
    const cur = newest.get(uid);
    const later =
      !cur ||
      sb.metadata.attempt > cur.metadata.attempt ||
      (sb.metadata.attempt === cur.metadata.attempt && BigInt(sb.createdAt || '0') > BigInt(cur.createdAt || '0'));
    if (later) newest.set(uid, sb);
  }
  const latest = new Map<string, Map<string, Container>>();
  for (const c of containers) {
    const uid = c.labels[LABEL.podUid] ?? '';
    const name = c.labels[LABEL.containerName] ?? c.metadata.name;
    const byName = latest.get(uid) ?? new Map<string, Container>();
    latest.set(uid, byName);
    const cur = byName.get(name);
    if (!cur || c.metadata.attempt > cur.metadata.attempt) byName.set(name, c);
  }
  const facts = new Map<string, RunningPodFacts>();
  for (const [uid, sb] of newest) {
    const own: RunningContainerFacts[] = [...(latest.get(uid) ?? new Map<string, Container>()).entries()].map(
      ([name, c]) => ({
        name,
        image: c.image,
        init: c.annotations[ANNOTATION.init] === 'true',
        ...(c.annotations[ANNOTATION.containerHash] ? { hash: c.annotations[ANNOTATION.containerHash] } : {}),
      }),
    );
    const origin = sb.annotations[ANNOTATION.origin];
    facts.set(uid, {
      ...(origin ? { origin } : {}),
      labels: sb.labels,
      annotations: sb.annotations,
      containers: own,
    });
  }
  return facts;
}
