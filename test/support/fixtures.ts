// Builders for the pure-core tests: pods, observations and events.
import type { RuntimeSpecOptions } from '../../src/core/runtime-spec.js';
import type { Action } from '../../src/core/model/actions.js';
import type { EventBody, LoggedEvent } from '../../src/core/model/events.js';
import { step } from '../../src/core/reconcile.js';
import type { State } from '../../src/core/model/state.js';
import { readManifest } from '../../src/core/manifest/read-manifest.js';
import type { ContainerObservation, SandboxObservation } from '../../src/core/model/observations.js';
import type { StaticPod } from '../../src/core/model/static-pod.js';

export const NODE = 'node1';

export function podYaml(
  name: string,
  opts: { image?: string; restartPolicy?: string; containers?: string[]; init?: string[]; extra?: string } = {},
): string {
  const containers = (opts.containers ?? ['web'])
    .map(
      (c) =>
        `    - name: ${c}\n      image: ${opts.image ?? 'staticlet.local/busybox:1'}\n      command: ["sleep", "3600"]\n`,
    )
    .join('');
  const init = opts.init
    ? `  initContainers:\n${opts.init.map((c) => `    - name: ${c}\n      image: staticlet.local/busybox:1\n      command: ["true"]\n`).join('')}`
    : '';
  return `apiVersion: v1\nkind: Pod\nmetadata:\n  name: ${name}\n  labels:\n    role: myrole\nspec:\n${opts.restartPolicy ? `  restartPolicy: ${opts.restartPolicy}\n` : ''}${init}  containers:\n${containers}${opts.extra ?? ''}`;
}

export function staticPod(
  name: string,
  origin = `/etc/manifests/${name}.yaml`,
  opts: Parameters<typeof podYaml>[1] = {},
): StaticPod {
  const result = readManifest(podYaml(name, opts), { nodeName: NODE, source: 'file', origin, seenAt: 0 });
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  return result.pods[0]!;
}

export function sandbox(pod: StaticPod, id: string, over: Partial<SandboxObservation> = {}): SandboxObservation {
  return {
    id,
    podUid: pod.uid,
    podName: pod.name,
    namespace: pod.namespace,
    attempt: 0,
    ready: true,
    createdAt: 1,
    source: pod.source,
    origin: pod.origin,
    observedAt: 0,
    ...over,
  };
}

export function container(
  pod: StaticPod,
  id: string,
  sandboxId: string,
  name: string,
  over: Partial<ContainerObservation> = {},
): ContainerObservation {
  return {
    id,
    sandboxId,
    podUid: pod.uid,
    name,
    attempt: 0,
    state: 'running',
    image: 'staticlet.local/busybox:1',
    createdAt: 1,
    startedAt: 1,
    gracePeriodSeconds: 30,
    observedAt: 0,
    ...over,
  };
}

/** Numbers and times events like the loop does. */
export function logged(bodies: EventBody[], startAt = 0, stepMs = 0): LoggedEvent[] {
  return bodies.map((b, i) => ({ ...b, seq: i + 1, at: startAt + i * stepMs }));
}

export function manifestRead(pod: StaticPod): EventBody {
  return { type: 'ManifestRead', source: pod.source, origin: pod.origin, pods: [pod] };
}

export function relist(sandboxes: SandboxObservation[], containers: ContainerObservation[], startedAt = 0): EventBody {
  return { type: 'RuntimeRelisted', startedAt, sandboxes, containers };
}

/** Runs bodies through the core's step, all at time `at`; the final state and every action. */
export function stepAll(from: State, bodies: EventBody[], at: number): { state: State; actions: Action[] } {
  let state = from;
  const actions: Action[] = [];
  bodies.forEach((body, i) => {
    const r = step(state, { ...body, seq: i + 1, at });
    state = r.state;
    actions.push(...r.actions);
  });
  return { state, actions };
}

const GIB = 1024 ** 3;

/** The runtime-spec options the pod-spec tests build with: node1, 4 CPUs and 8 GiB unless told. */
export function specOptions(over: Partial<RuntimeSpecOptions> = {}): RuntimeSpecOptions {
  return {
    nodeName: NODE,
    podLogsDir: '/var/log/pods',
    rootDir: '/var/lib/staticlet',
    clusterDNS: [],
    clusterDomain: '',
    hostDns: { servers: [], searches: [], options: [] },
    nodeIP: '192.0.2.10',
    nodeAllocatable: { cpuMilli: 4000, memoryBytes: 8 * GIB },
    ...over,
  };
}
