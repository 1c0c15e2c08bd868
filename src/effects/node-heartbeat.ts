// The Node object and its liveness: registers the Node when absent (tainted so the scheduler sends
// it no ordinary pods, with the labels and taints it was given), renews its Lease every 10 s (the
// heartbeat the node lifecycle controller watches) and, as the kubelet, computes the Node's status
// every nodeStatusUpdateFrequency but patches it only when it changed or nodeStatusReportFrequency
// has passed, so `kubectl get nodes` tells the truth at a fraction of the requests. Reports the Node's UID,
// which owns the mirror pods. With registerNode false it never creates the Node, like the kubelet
// with --register-node=false: it waits for someone else to, and the mirror pods wait with it.
import type { V1Lease, V1Node, V1NodeStatus, V1Taint } from '@kubernetes/client-node';
import { isDeepStrictEqual } from 'node:util';
import { defer, EMPTY, exhaustMap, from, merge, tap, timer, type Observable, type SchedulerLike } from 'rxjs';
import type { EventBody } from '../core/model/events.js';
import type { KubeApi } from '../runtime/kube/types.js';
import type { Logger } from '../runtime/logger.js';

export interface NodeHeartbeatOptions {
  readonly nodeName: string;
  readonly nodeIP: string;
  readonly agentVersion: string;
  readonly runtimeVersion: string;
  /** The kubelet API's port (--port), where the API server sends logs, exec and proxy requests. */
  readonly kubeletPort?: number;
  /** Labels and taints the Node is created with; an existing Node is left as it is (as the kubelet does). */
  readonly labels?: Readonly<Record<string, string>>;
  readonly taints?: readonly V1Taint[];
  /** false: never create the Node (default true). */
  readonly registerNode?: boolean;
  readonly leaseRenewMs?: number;
  /** How often the status is computed (nodeStatusUpdateFrequency, default 10 s). */
  readonly statusUpdateMs?: number;
  /** How often an unchanged status is written anyway (nodeStatusReportFrequency, default 5 min). */
  readonly statusReportMs?: number;
}

/** Our taint: no ordinary pod is scheduled to a node that only runs static pods. */
export const STATIC_ONLY_TAINT = {
  key: 'node.staticlet.io/static-pods-only',
  value: 'true',
  effect: 'NoSchedule',
} as const;
const LEASE_NAMESPACE = 'kube-node-lease';
const LEASE_DURATION_SECONDS = 40;

export function nodeHeartbeat(
  kube: KubeApi,
  options: NodeHeartbeatOptions,
  scheduler: SchedulerLike,
  log: Logger,
): Observable<EventBody> {
  return defer(() => {
    let nodeUid: string | undefined;
    /** The Node is known to exist: false at first and after a failed status patch (the Node may
     * have been deleted), when the next check reads it (and registers it again if it is gone). */
    let nodeKnown = false;
    /** The status as last written, and when: a check patches only when the status differs from it
     * (heartbeat times aside) or statusReportMs has passed since, as the kubelet does. */
    let reported: V1NodeStatus | undefined;
    let reportedAt = -Infinity;
    let lastError = '';
    let readySince: Date | undefined;
    let waitingLogged = false;
    /** The Lease as this agent last wrote it: the next renewal updates it without reading it first
     * (as the kubelet does), one request per renewal instead of two. */
    let lease: V1Lease | undefined;
    /** Set by the two clocks, cleared when the work is done; a tick that finds a beat in flight is
     * dropped but its work stays due. */
    let leaseDue = true;
    let statusDue = true;
    const renewEvery = options.leaseRenewMs ?? 10_000;
    const checkEvery = options.statusUpdateMs ?? 10_000;
    const reportEvery = options.statusReportMs ?? 300_000;

    const failed = (err: unknown, what: string): void => {
      const message = err instanceof Error ? err.message : String(err);
      if (message !== lastError) log.warn({ err: message }, `${what} failed; pods keep running, retrying`);
      lastError = message;
    };
    const succeeded = (): void => {
      if (lastError) log.info('API server reachable again');
      lastError = '';
    };

    /** Reads the Node, registering it when absent; false when it is absent and must not be created. */
    const ensureNode = async (events: EventBody[]): Promise<boolean> => {
      const existing = await kube.getNode(options.nodeName);
      if (!existing && options.registerNode === false) {
        if (!waitingLogged)
          log.info(
            { node: options.nodeName },
            'no Node object and --register-node=false: waiting for it to be created; mirror pods wait too',
          );
        waitingLogged = true;
        return false;
      }
      const node = existing ?? (await kube.createNode(nodeObject(options)));
      if (!existing) log.info({ node: options.nodeName }, 'node registered');
      else if (waitingLogged) log.info({ node: options.nodeName }, 'Node object found');
      waitingLogged = false;
      const uid = node.metadata?.uid;
      if (uid && uid !== nodeUid) {
        nodeUid = uid;
        events.push({ type: 'NodeRegistered', uid });
      }
      nodeKnown = true;
      reported = undefined;
      return true;
    };

    const beat = async (): Promise<EventBody[]> => {
      const events: EventBody[] = [];
      const now = scheduler.now();
      try {
        if (!nodeKnown && !(await ensureNode(events))) return events;
      } catch (err) {
        failed(err, 'node registration');
        return events;
      }
      if (statusDue) {
        statusDue = false;
        readySince ??= new Date(now);
        const status = nodeStatus(options, new Date(now), readySince);
        if (!reported || now - reportedAt >= reportEvery || statusChanged(reported, status)) {
          try {
            await kube.patchNodeStatus(options.nodeName, status);
            reported = status;
            reportedAt = now;
            succeeded();
          } catch (err) {
            nodeKnown = false;
            statusDue = true;
            failed(err, 'node status update');
          }
        }
      }
      if (leaseDue) {
        try {
          lease = await renewLease(kube, options.nodeName, new Date(now), lease);
          leaseDue = false;
          succeeded();
        } catch (err) {
          failed(err, 'node lease renewal');
        }
      }
      return events;
    };
    const ticks = merge(
      timer(0, renewEvery, scheduler).pipe(tap(() => (leaseDue = true))),
      timer(0, checkEvery, scheduler).pipe(tap(() => (statusDue = true))),
    );
    return ticks.pipe(
      exhaustMap(() => from(beat()).pipe(exhaustMap((events) => (events.length ? from(events) : EMPTY)))),
    );
  });
}

/** Whether a node status differs from the one last written, its conditions' heartbeat times aside. */
export function statusChanged(last: V1NodeStatus, next: V1NodeStatus): boolean {
  const withoutHeartbeats = (s: V1NodeStatus): V1NodeStatus => ({
    ...s,
    ...(s.conditions ? { conditions: s.conditions.map(({ lastHeartbeatTime: _, ...c }) => c) } : {}),
  });
  return !isDeepStrictEqual(withoutHeartbeats(last), withoutHeartbeats(next));
}

/**
 * Writes the Lease's renewTime; returns the Lease as written. From `known` (the Lease as last
 * written) when given; when that write fails (someone else wrote the Lease, or deleted it), reads
 * it and writes again.
 */
async function renewLease(kube: KubeApi, nodeName: string, now: Date, known: V1Lease | undefined): Promise<V1Lease> {
  const spec = { holderIdentity: nodeName, leaseDurationSeconds: LEASE_DURATION_SECONDS, renewTime: now };
  if (known) {
    try {
      return await kube.replaceLease({ ...known, spec: { ...known.spec, ...spec } });
    } catch {
      // A stale resourceVersion or a deleted Lease: read it again below.
    }
  }
  const lease = await kube.getLease(LEASE_NAMESPACE, nodeName);
  if (!lease) {
    return kube.createLease({
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: nodeName, namespace: LEASE_NAMESPACE },
      spec,
    });
  }
  return kube.replaceLease({ ...lease, spec: { ...lease.spec, ...spec } });
}

/** The Node as registered: the kubelet's default labels (the given ones win), our taint and the given ones. */
export function nodeObject(options: NodeHeartbeatOptions): V1Node {
  const taints = (options.taints ?? []).filter(
    (t) => !(t.key === STATIC_ONLY_TAINT.key && t.effect === STATIC_ONLY_TAINT.effect),
  );
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: options.nodeName,
      labels: {
        'kubernetes.io/hostname': options.nodeName,
        'kubernetes.io/os': 'linux',
        'kubernetes.io/arch': process.arch === 'x64' ? 'amd64' : process.arch,
        ...options.labels,
      },
    },
    spec: { taints: [{ ...STATIC_ONLY_TAINT }, ...taints.map((t) => ({ ...t }))] },
  };
}

function nodeStatus(options: NodeHeartbeatOptions, now: Date, readySince: Date): V1NodeStatus {
  return {
    conditions: [
      {
        type: 'Ready',
        status: 'True',
        reason: 'StaticletReady',
        message: 'staticlet is posting ready status',
        lastHeartbeatTime: now,
        lastTransitionTime: readySince,
      },
    ],
    ...(options.kubeletPort !== undefined ? { daemonEndpoints: kubeletEndpoint(options.kubeletPort) } : {}),
    addresses: [
      { type: 'InternalIP', address: options.nodeIP },
      { type: 'Hostname', address: options.nodeName },
    ],
    nodeInfo: {
      architecture: process.arch === 'x64' ? 'amd64' : process.arch,
      operatingSystem: 'linux',
      kubeletVersion: `staticlet-v${options.agentVersion}`,
      kubeProxyVersion: '',
      containerRuntimeVersion: options.runtimeVersion,
      bootID: '',
      kernelVersion: '',
      machineID: '',
      osImage: '',
      systemUUID: '',
    },
  };
}

/**
 * status.daemonEndpoints.kubeletEndpoint.Port. The Go field's JSON name is `Port` (capital P), and
 * a status patch goes out as it is written here (the client does not rename an untyped body's
 * fields), so it is spelt the API's way.
 */
function kubeletEndpoint(port: number): V1NodeStatus['daemonEndpoints'] {
  return { kubeletEndpoint: { Port: port } } as unknown as V1NodeStatus['daemonEndpoints'];
}
