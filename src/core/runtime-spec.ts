// Pure translation of a static pod into CRI requests, as the kubelet would make them. The pieces
// live in ./spec: environment (env.ts), security contexts (security.ts), resources
// (resources.ts), DNS, hostname and /etc/hosts (dns.ts), volumes (volumes.ts).
import type { V1Container } from '@kubernetes/client-node';
import { createHash } from 'node:crypto';
import type { ContainerConfig, DnsConfig, Mount, PodSandboxConfig, PortMapping } from '../cri-api/messages.js';
import { canonicalJson } from './manifest/identity.js';
import { ANNOTATION, LABEL, ownedSelector } from './runtime-labels.js';
import { dnsFor as podDns, etcHostsContent, sandboxHostname } from './spec/dns.js';
import { containerEnv, expandCommand } from './spec/env.js';
import { linuxResources } from './spec/resources.js';
import {
  containerSecurityContext,
  hasPrivilegedContainer,
  namespacesFor,
  seccompProfile,
  supplementalGroups,
  verifyRunAsNonRoot,
  type ImageUser,
} from './spec/security.js';
import { etcHostsPath, volumeMounts, type HostPreparation } from './spec/volumes.js';
import type { StaticPod } from './model/static-pod.js';

export { ContainerConfigError } from './spec/errors.js';
export { needsImageUser, type ImageUser } from './spec/security.js';
export {
  emptyDirPath,
  podDirectory,
  podVolumesDirectory,
  type HostPathType,
  type HostPreparation,
} from './spec/volumes.js';

export interface HostDns {
  readonly servers: readonly string[];
  readonly searches: readonly string[];
  readonly options: readonly string[];
}

export interface RuntimeSpecOptions {
  readonly nodeName: string;
  /** Root of the pods' log directories (the kubelet's `podLogsDir`, default /var/log/pods). */
  readonly podLogsDir: string;
  /** The agent's state directory (emptyDir volumes, /etc/hosts files and seccomp profiles live below it). */
  readonly rootDir: string;
  readonly clusterDNS: readonly string[];
  readonly clusterDomain: string;
  /** The node's own resolver settings (from /etc/resolv.conf), for dnsPolicy Default. */
  readonly hostDns: HostDns;
  /** The node's address: status.hostIP(s) in the downward API, the pod IP of host-network pods. */
  readonly nodeIP?: string;
  /**
   * What the node offers its pods (staticlet reserves nothing, so its capacity): a container's
   * limits in the downward API when it has none, the Burstable OOM score, the largest memory
   * emptyDir.
   */
  readonly nodeAllocatable?: { readonly cpuMilli: number; readonly memoryBytes: number };
  /**
   * The agent's own state and credentials (its root directory, the kubeconfig and the files it
   * names, the event log): a writable hostPath mount may not reach them unless it names one exactly.
   */
  readonly protectedPaths?: readonly string[];
}

/** What only the runtime knows when a container is created. */
export interface ContainerRuntimeContext {
  /** The sandbox's IPs (PodSandboxStatus network ip, then additional ips). */
  readonly sandboxIPs?: readonly string[];
  /** The image's user (ImageStatus), for runAsNonRoot; see needsImageUser. */
  readonly imageUser?: ImageUser;
  /** The node's /etc/hosts, the base of a host-network pod's managed hosts file. */
  readonly nodeHosts?: string;
}

/** The kubelet's layout: `<pod logs dir>/<namespace>_<name>_<uid>`. */
export function podLogDirectory(pod: { namespace: string; name: string; uid: string }, podLogsDir: string): string {
  return `${podLogsDir}/${pod.namespace}_${pod.name}_${pod.uid}`;
}

export function sandboxConfig(pod: StaticPod, attempt: number, opts: RuntimeSpecOptions): PodSandboxConfig {
  const spec = pod.pod.spec!;
  const hostNetwork = spec.hostNetwork === true;
  const dnsConfig = dnsFor(pod, opts);
  const psc = spec.securityContext;
  const groups = supplementalGroups(pod.pod);
  return {
    metadata: { name: pod.name, namespace: pod.namespace, uid: pod.uid, attempt },
    // None for host-network pods: runc cannot set one without a UTS namespace of the pod's own.
    hostname: sandboxHostname(pod.pod, opts.clusterDomain),
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
        namespaceOptions: namespacesFor(pod.pod),
        ...(psc?.runAsUser !== undefined && psc.runAsUser !== null
          ? { runAsUser: { value: String(psc.runAsUser) } }
          : {}),
        ...(psc?.runAsGroup !== undefined && psc.runAsGroup !== null
          ? { runAsGroup: { value: String(psc.runAsGroup) } }
          : {}),
        ...(groups.length > 0 ? { supplementalGroups: groups } : {}),
        privileged: hasPrivilegedContainer(pod.pod),
        // Like the kubelet: the pause container always runs under the runtime's default profile.
        seccomp: seccompProfile({ type: 'RuntimeDefault' }, opts.rootDir),
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

/** The pod's resolver configuration (see spec/dns.ts). */
export function dnsFor(pod: StaticPod, opts: RuntimeSpecOptions): DnsConfig | undefined {
  return podDns(pod.pod, opts);
}

/** The pod's IPs as the kubelet gives them to containers: a host-network pod has the node's. */
export function podIPsFor(pod: StaticPod, sandboxIPs: readonly string[], opts: RuntimeSpecOptions): string[] {
  if (pod.pod.spec?.hostNetwork === true) return opts.nodeIP ? [opts.nodeIP] : [];
  return sandboxIPs.filter((ip) => ip !== '');
}

/** Whether the container gets the managed /etc/hosts (it does unless it mounts its own there). */
export function managesEtcHosts(container: V1Container, podIPs: readonly string[]): boolean {
  return podIPs.length > 0 && !(container.volumeMounts ?? []).some((m) => m.mountPath === '/etc/hosts');
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

/**
 * The container's CRI config, and what the host must prepare first. Throws a ContainerConfigError
 * when the container cannot be created as specified (runAsNonRoot against a root image, ...).
 */
export function containerConfig(
  pod: StaticPod,
  container: V1Container,
  init: boolean,
  attempt: number,
  opts: RuntimeSpecOptions,
  runtime: ContainerRuntimeContext = {},
): { config: ContainerConfig; prepare: HostPreparation[] } {
  const spec = pod.pod.spec!;
  verifyRunAsNonRoot(pod.pod, container, runtime.imageUser);
  const podIPs = podIPsFor(pod, runtime.sandboxIPs ?? [], opts);
  const envs = containerEnv(pod.pod, container, {
    podIPs,
    hostIPs: opts.nodeIP ? [opts.nodeIP] : [],
    ...(opts.nodeAllocatable ? { allocatable: opts.nodeAllocatable } : {}),
  });
  const { command, args } = expandCommand(container, envs);
  const { mounts, prepare } = volumeMounts(pod.pod, container, {
    rootDir: opts.rootDir,
    uid: pod.uid,
    ...(opts.nodeAllocatable ? { allocatableMemory: opts.nodeAllocatable.memoryBytes } : {}),
    ...(opts.protectedPaths?.length ? { protectedPaths: opts.protectedPaths } : {}),
  });
  if (managesEtcHosts(container, podIPs)) {
    const path = etcHostsPath(opts.rootDir, pod.uid);
    prepare.push({
      kind: 'file',
      path,
      content: etcHostsContent(pod.pod, podIPs, opts.clusterDomain, runtime.nodeHosts ?? ''),
      what: "the pod's /etc/hosts",
    });
    mounts.push(etcHostsMount(path));
  }
  const config: ContainerConfig = {
    metadata: { name: container.name, attempt },
    image: { image: container.image!, userSpecifiedImage: container.image! },
    command,
    args,
    workingDir: container.workingDir ?? '',
    envs,
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
      resources: linuxResources(pod.pod, container, opts.nodeAllocatable?.memoryBytes),
      securityContext: containerSecurityContext(pod.pod, container, opts.rootDir),
    },
  };
  return { config, prepare };
}

function etcHostsMount(path: string): Mount {
  return { containerPath: '/etc/hosts', hostPath: path, readonly: false, selinuxRelabel: true };
}
