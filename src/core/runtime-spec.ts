// Pure translation of a static pod into CRI requests, as the kubelet would make them.
import type { V1Container } from '@kubernetes/client-node';
import { createHash } from 'node:crypto';
import type { ContainerConfig, DnsConfig, Mount, PodSandboxConfig, PortMapping } from '../runtime/cri/types.js';
import { canonicalJson } from './manifest/identity.js';
import { ANNOTATION, LABEL, ownedSelector } from './runtime-labels.js';
import type { StaticPod } from './static-pod.js';

export interface HostDns {
  readonly servers: readonly string[];
  readonly searches: readonly string[];
  readonly options: readonly string[];
}

export interface RuntimeSpecOptions {
  readonly nodeName: string;
  /** Root of the pods' log directories (the kubelet's `podLogsDir`, default /var/log/pods). */
  readonly podLogsDir: string;
  /** The agent's state directory (emptyDir volumes live below it). */
  readonly rootDir: string;
  readonly clusterDNS: readonly string[];
  readonly clusterDomain: string;
  /** The node's own resolver settings (from /etc/resolv.conf), for dnsPolicy Default. */
  readonly hostDns: HostDns;
}

/** A directory the effect must prepare on the host before the container is created. */
export interface HostPathRequirement {
  readonly path: string;
  readonly create: boolean;
  /** Why, for the error message: `volume "data" (hostPath)`. */
  readonly what: string;
}

const MAX_DNS_SEARCHES = 32;

export function podLogDirectory(pod: StaticPod, podLogsDir: string): string {
  return `${podLogsDir}/${pod.namespace}_${pod.name}_${pod.uid}`;
}

export function emptyDirPath(rootDir: string, uid: string, volume: string): string {
  return `${rootDir}/pods/${uid}/volumes/kubernetes.io~empty-dir/${volume}`;
}

export function sandboxConfig(pod: StaticPod, attempt: number, opts: RuntimeSpecOptions): PodSandboxConfig {
  const spec = pod.pod.spec!;
  const hostNetwork = spec.hostNetwork === true;
  const dnsConfig = dnsFor(pod, opts);
  return {
    metadata: { name: pod.name, namespace: pod.namespace, uid: pod.uid, attempt },
    // runc cannot set a hostname without its own UTS namespace, and the kubelet sets none either.
    hostname: hostNetwork ? '' : pod.name.slice(0, 63).replace(/[-.]+$/, ''),
    logDirectory: podLogDirectory(pod, opts.podLogsDir),
    ...(dnsConfig ? { dnsConfig } : {}),
    portMappings: hostNetwork ? [] : portMappings(spec.containers),
    labels: {
      ...(pod.pod.metadata?.labels ?? {}),
      [LABEL.podName]: pod.name,
      [LABEL.podNamespace]: pod.namespace,
      [LABEL.podUid]: pod.uid,
      ...ownedSelector(opts.nodeName),
    },
    annotations: {
      ...(pod.pod.metadata?.annotations ?? {}),
      [ANNOTATION.configSource]: pod.source,
      [ANNOTATION.origin]: pod.origin,
      [ANNOTATION.gracePeriod]: String(spec.terminationGracePeriodSeconds ?? 30),
    },
    linux: {
      securityContext: {
        namespaceOptions: { network: hostNetwork ? 'NODE' : 'POD', pid: 'CONTAINER', ipc: 'POD' },
      },
    },
  };
}

function portMappings(containers: readonly V1Container[]): PortMapping[] {
  const out: PortMapping[] = [];
  for (const c of containers) {
    for (const p of c.ports ?? []) {
      if (!p.hostPort) continue;
      out.push({
        protocol: (p.protocol ?? 'TCP') as PortMapping['protocol'],
        containerPort: p.containerPort,
        hostPort: p.hostPort,
        hostIp: p.hostIP ?? '',
      });
    }
  }
  return out;
}

/**
 * The kubelet's DNS rules: ClusterFirst uses the cluster DNS when one is configured and the pod
 * is not on the host network (ClusterFirstWithHostNet: even then); otherwise the node's resolver.
 */
export function dnsFor(pod: StaticPod, opts: RuntimeSpecOptions): DnsConfig | undefined {
  const spec = pod.pod.spec!;
  const policy = spec.dnsPolicy ?? 'ClusterFirst';
  const hostNetwork = spec.hostNetwork === true;
  const cluster =
    opts.clusterDNS.length > 0 &&
    ((policy === 'ClusterFirst' && !hostNetwork) || policy === 'ClusterFirstWithHostNet');
  if (cluster) {
    const domain = opts.clusterDomain.replace(/\.$/, '');
    const searches = domain
      ? [`${pod.namespace}.svc.${domain}`, `svc.${domain}`, domain, ...opts.hostDns.searches]
      : [...opts.hostDns.searches];
    return { servers: [...opts.clusterDNS], searches: dedupe(searches).slice(0, MAX_DNS_SEARCHES), options: ['ndots:5'] };
  }
  if (opts.hostDns.servers.length === 0 && opts.hostDns.searches.length === 0) return undefined;
  return { servers: [...opts.hostDns.servers], searches: [...opts.hostDns.searches], options: [...opts.hostDns.options] };
}

function dedupe(list: readonly string[]): string[] {
  return [...new Set(list)];
}

export function findContainer(pod: StaticPod, name: string): { container: V1Container; init: boolean } | undefined {
  const spec = pod.pod.spec!;
  const init = spec.initContainers?.find((c) => c.name === name);
  if (init) return { container: init, init: true };
  const app = spec.containers.find((c) => c.name === name);
  return app ? { container: app, init: false } : undefined;
}

export function containerHash(container: V1Container): string {
  return createHash('sha256').update(canonicalJson(container)).digest('hex').slice(0, 16);
}

export function containerConfig(
  pod: StaticPod,
  container: V1Container,
  init: boolean,
  attempt: number,
  opts: RuntimeSpecOptions,
): { config: ContainerConfig; hostPaths: HostPathRequirement[] } {
  const spec = pod.pod.spec!;
  const hostNetwork = spec.hostNetwork === true;
  const { mounts, hostPaths } = mountsFor(pod, container, opts);
  const config: ContainerConfig = {
    metadata: { name: container.name, attempt },
    image: { image: container.image! },
    command: container.command ?? [],
    args: container.args ?? [],
    workingDir: container.workingDir ?? '',
    envs: (container.env ?? []).map((e) => ({ key: e.name, value: e.value ?? '' })),
    mounts,
    labels: {
      [LABEL.containerName]: container.name,
      [LABEL.podName]: pod.name,
      [LABEL.podNamespace]: pod.namespace,
      [LABEL.podUid]: pod.uid,
      ...ownedSelector(opts.nodeName),
    },
    annotations: {
      [ANNOTATION.containerHash]: containerHash(container),
      [ANNOTATION.restartCount]: String(attempt),
      [ANNOTATION.gracePeriod]: String(spec.terminationGracePeriodSeconds ?? 30),
      [ANNOTATION.terminationMessagePath]: container.terminationMessagePath ?? '/dev/termination-log',
      ...(init ? { [ANNOTATION.init]: 'true' } : {}),
      // The preStop hook travels with the container, so it runs even when the manifest is gone.
      ...(container.lifecycle?.preStop ? { [ANNOTATION.preStop]: JSON.stringify(container.lifecycle.preStop) } : {}),
    },
    logPath: `${container.name}/${attempt}.log`,
    stdin: container.stdin ?? false,
    tty: container.tty ?? false,
    linux: {
      securityContext: {
        namespaceOptions: { network: hostNetwork ? 'NODE' : 'POD', pid: 'CONTAINER', ipc: 'POD' },
      },
    },
  };
  return { config, hostPaths };
}

function mountsFor(
  pod: StaticPod,
  container: V1Container,
  opts: RuntimeSpecOptions,
): { mounts: Mount[]; hostPaths: HostPathRequirement[] } {
  const volumes = new Map((pod.pod.spec!.volumes ?? []).map((v) => [v.name, v]));
  const mounts: Mount[] = [];
  const hostPaths: HostPathRequirement[] = [];
  for (const m of container.volumeMounts ?? []) {
    const vol = volumes.get(m.name);
    if (!vol) continue; // validation guarantees the volume exists
    let hostPath: string;
    if (vol.hostPath) {
      hostPath = vol.hostPath.path;
      const type = vol.hostPath.type ?? '';
      if (type === 'DirectoryOrCreate' || type === 'Directory') {
        hostPaths.push({ path: hostPath, create: type === 'DirectoryOrCreate', what: `volume "${vol.name}" (hostPath ${type})` });
      }
    } else {
      hostPath = emptyDirPath(opts.rootDir, pod.uid, vol.name);
      hostPaths.push({ path: hostPath, create: true, what: `volume "${vol.name}" (emptyDir)` });
    }
    mounts.push({ containerPath: m.mountPath, hostPath, readonly: m.readOnly === true });
  }
  return { mounts, hostPaths };
}
