// A pod's quality-of-service class and what follows from it (the OOM score adjustment), as the
// kubelet computes them. Pure: the input is the pod as the manifest gave it; requests are defaulted
// from limits here, like the API's Pod defaulting does before the kubelet ever sees a pod.
import type { V1Container, V1Pod } from '@kubernetes/client-node';
import { add, compare, parseQuantity, value, ZERO, type Quantity } from './quantity.js';

export type QosClass = 'Guaranteed' | 'Burstable' | 'BestEffort';

/** The compute resources QoS looks at. */
const QOS_RESOURCES = ['cpu', 'memory'] as const;

export interface ContainerResources {
  readonly requests: Readonly<Record<string, Quantity>>;
  readonly limits: Readonly<Record<string, Quantity>>;
}

/**
 * A container's requests and limits as parsed quantities, with the Pod defaulting applied: a
 * resource with a limit and no request requests its limit. Unparsable values (validation refuses
 * them) are left out.
 */
export function containerResources(container: V1Container): ContainerResources {
  const requests: Record<string, Quantity> = {};
  const limits: Record<string, Quantity> = {};
  for (const [name, raw] of Object.entries(container.resources?.limits ?? {})) {
    const q = parseQuantity(raw);
    if (q) limits[name] = q;
  }
  for (const [name, raw] of Object.entries(container.resources?.requests ?? {})) {
    const q = parseQuantity(raw);
    if (q) requests[name] = q;
  }
  for (const [name, q] of Object.entries(limits)) {
    if (!(name in (container.resources?.requests ?? {}))) requests[name] = q;
  }
  return { requests, limits };
}

/** The pod's QoS class (Kubernetes' ComputePodQOS, container-level resources). */
export function qosClass(pod: V1Pod): QosClass {
  const spec = pod.spec;
  const containers = [...(spec?.containers ?? []), ...(spec?.initContainers ?? [])];
  const requests = new Map<string, Quantity>();
  const limits = new Map<string, Quantity>();
  let guaranteed = true;
  for (const c of containers) {
    const r = containerResources(c);
    for (const name of QOS_RESOURCES) {
      const req = r.requests[name];
      if (req && compare(req, ZERO) > 0) requests.set(name, add(requests.get(name) ?? ZERO, req));
    }
    const found = new Set<string>();
    for (const name of QOS_RESOURCES) {
      const lim = r.limits[name];
      if (lim && compare(lim, ZERO) > 0) {
        found.add(name);
        limits.set(name, add(limits.get(name) ?? ZERO, lim));
      }
    }
    if (!QOS_RESOURCES.every((n) => found.has(n))) guaranteed = false;
  }
  if (requests.size === 0 && limits.size === 0) return 'BestEffort';
  if (guaranteed) {
    for (const [name, req] of requests) {
      const lim = limits.get(name);
      if (!lim || compare(lim, req) !== 0) {
        guaranteed = false;
        break;
      }
    }
  }
  return guaranteed && requests.size === limits.size ? 'Guaranteed' : 'Burstable';
}

export const GUARANTEED_OOM_SCORE_ADJ = -997;
export const BEST_EFFORT_OOM_SCORE_ADJ = 1000;

/**
 * The kubelet's oom_score_adj for a container: node-critical pods (a static pod with priority class
 * system-node-critical) and Guaranteed pods -997, BestEffort 1000, Burstable between the two by
 * the share of the node's memory the container requests.
 */
export function containerOomScoreAdj(pod: V1Pod, container: V1Container, memoryCapacity: number): number {
  // Every static pod is critical; the node-critical ones are the last to go.
  if (pod.spec?.priorityClassName === 'system-node-critical') return GUARANTEED_OOM_SCORE_ADJ;
  const qos = qosClass(pod);
  if (qos === 'Guaranteed') return GUARANTEED_OOM_SCORE_ADJ;
  if (qos === 'BestEffort') return BEST_EFFORT_OOM_SCORE_ADJ;
  const request = value(containerResources(container).requests['memory']);
  const capacity = BigInt(Math.max(1, Math.floor(memoryCapacity)));
  const adj = 1000n - (1000n * request) / capacity;
  if (adj < BigInt(1000 + GUARANTEED_OOM_SCORE_ADJ)) return 1000 + GUARANTEED_OOM_SCORE_ADJ;
  if (adj === BigInt(BEST_EFFORT_OOM_SCORE_ADJ)) return BEST_EFFORT_OOM_SCORE_ADJ - 1;
  return Number(adj);
}
