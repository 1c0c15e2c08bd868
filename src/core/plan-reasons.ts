// Why a pod would be replaced, in words: what differs between the pod the runtime runs and the
// manifest's pod now. The runtime keeps no copy of the old manifest, only what the agent put on
// the sandbox and its containers (labels, annotations, each container's image and spec hash), so
// this names what those show and says so when the change lies elsewhere.
import type { V1Container } from '@kubernetes/client-node';
import { ANNOTATION_CONFIG_HASH, ANNOTATION_CONFIG_SEEN, ANNOTATION_CONFIG_SOURCE } from './manifest/identity.js';
import type { StaticPod } from './model/static-pod.js';
import { ANNOTATION, LABEL } from './runtime-labels.js';
import { containerHash } from './runtime-spec.js';

/** What the runtime shows of a running pod beyond the observations: read from its newest sandbox
 * and the newest instance of each of its containers. */
export interface RunningPodFacts {
  readonly origin?: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  readonly containers: readonly RunningContainerFacts[];
}

export interface RunningContainerFacts {
  readonly name: string;
  readonly image: string;
  /** The agent's hash of the container's spec (ANNOTATION.containerHash). */
  readonly hash?: string;
  readonly init: boolean;
}

/** Sandbox labels and annotations that are the agent's, not the manifest's. */
const OWN_LABELS = new Set<string>(Object.values(LABEL));
const OWN_ANNOTATIONS = new Set<string>([
  ANNOTATION.configSource,
  ANNOTATION.origin,
  ANNOTATION.gracePeriod,
  ANNOTATION_CONFIG_HASH,
  ANNOTATION_CONFIG_SEEN,
  ANNOTATION_CONFIG_SOURCE,
]);

export function replacementReasons(old: RunningPodFacts, next: StaticPod): string[] {
  const reasons: string[] = [];
  if (old.origin !== undefined && old.origin !== next.origin)
    reasons.push(`now defined by ${next.origin} (was ${old.origin})`);
  const spec = next.pod.spec!;
  const wanted: { path: string; container: V1Container; init: boolean }[] = [
    ...(spec.initContainers ?? []).map((c, i) => ({ path: `spec.initContainers[${i}]`, container: c, init: true })),
    ...spec.containers.map((c, i) => ({ path: `spec.containers[${i}]`, container: c, init: false })),
  ];
  const running = new Map(old.containers.map((c) => [c.name, c]));
  for (const { path, container, init } of wanted) {
    const was = running.get(container.name);
    running.delete(container.name);
    const what = `${path} (${container.name})`;
    if (!was) reasons.push(`${what}: added`);
    else if (was.init !== init) reasons.push(`${what}: now ${init ? 'an init' : 'an app'} container`);
    else if (!sameImage(was.image, container.image ?? ''))
      reasons.push(`${path}.image: ${was.image} → ${container.image}`);
    else if (was.hash !== undefined && was.hash !== containerHash(container))
      reasons.push(`${what}: changed (command, args, env or another field; the image is the same)`);
  }
  for (const gone of running.values()) reasons.push(`${gone.init ? 'init ' : ''}container ${gone.name}: removed`);

  const labels = own(next.pod.metadata?.labels, OWN_LABELS);
  if (!sameRecord(own(old.labels, OWN_LABELS), labels)) reasons.push('metadata.labels: changed');
  if (!sameRecord(own(old.annotations, OWN_ANNOTATIONS), own(next.pod.metadata?.annotations, OWN_ANNOTATIONS)))
    reasons.push('metadata.annotations: changed');
  const grace = String(spec.terminationGracePeriodSeconds ?? 30);
  const oldGrace = old.annotations[ANNOTATION.gracePeriod];
  if (oldGrace !== undefined && oldGrace !== grace)
    reasons.push(`spec.terminationGracePeriodSeconds: ${oldGrace} → ${grace}`);
  if (reasons.length === 0)
    reasons.push(
      'the manifest changed outside what the runtime shows (a pod-level field such as volumes or hostNetwork)',
    );
  return reasons;
}

function own(record: Readonly<Record<string, string>> | undefined, ours: ReadonlySet<string>): Record<string, string> {
  return Object.fromEntries(Object.entries(record ?? {}).filter(([k]) => !ours.has(k)));
}

function sameRecord(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => a[k] === b[k]);
}

/** Image references compared as the runtime resolves them: `busybox` is
 * `docker.io/library/busybox:latest`. */
export function sameImage(a: string, b: string): boolean {
  return a === b || normalImage(a) === normalImage(b);
}

function normalImage(ref: string): string {
  const slash = ref.indexOf('/');
  const first = slash < 0 ? '' : ref.slice(0, slash);
  const hasRegistry = first.includes('.') || first.includes(':') || first === 'localhost';
  let name = hasRegistry ? ref : `docker.io/${slash < 0 ? `library/${ref}` : ref}`;
  const lastSlash = name.lastIndexOf('/');
  if (!name.includes('@') && !name.slice(lastSlash + 1).includes(':')) name += ':latest';
  return name;
}
