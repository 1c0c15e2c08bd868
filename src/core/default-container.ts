// The container a command reads when none is named: kubectl's rule (podcmd), so `staticlet logs
// POD` and `kubectl logs POD` pick the same one. The `kubectl.kubernetes.io/default-container`
// annotation's container when the pod has it, else the first of spec.containers.
import type { V1Pod } from '@kubernetes/client-node';

export const DEFAULT_CONTAINER_ANNOTATION = 'kubectl.kubernetes.io/default-container';

export interface DefaultedContainer {
  readonly name: string;
  /** What to tell the user on stderr (kubectl's wording), when the choice is not obvious. */
  readonly notices: readonly string[];
}

/** Every container's name as kubectl lists them: `app, sidecar, setup (init)`. */
export function allContainerNames(pod: V1Pod): string {
  const spec = pod.spec;
  return [
    ...(spec?.containers ?? []).map((c) => c.name),
    ...(spec?.initContainers ?? []).map((c) => `${c.name} (init)`),
    ...(spec?.ephemeralContainers ?? []).map((c) => `${c.name} (ephem)`),
  ].join(', ');
}

/** The container to use when none is named; undefined for a pod without containers. */
export function defaultContainer(pod: V1Pod): DefaultedContainer | undefined {
  const spec = pod.spec;
  const names = new Set(
    [...(spec?.containers ?? []), ...(spec?.initContainers ?? []), ...(spec?.ephemeralContainers ?? [])].map(
      (c) => c.name,
    ),
  );
  const notices: string[] = [];
  const annotated = pod.metadata?.annotations?.[DEFAULT_CONTAINER_ANNOTATION];
  if (annotated) {
    if (names.has(annotated)) return { name: annotated, notices };
    notices.push(`Default container name "${annotated}" not found in pod ${pod.metadata?.name ?? ''}`);
  }
  const first = spec?.containers?.[0];
  if (!first) return undefined;
  if (names.size > 1) notices.push(`Defaulted container "${first.name}" out of: ${allContainerNames(pod)}`);
  return { name: first.name, notices };
}
