// The kubelet API's /stats/summary (the Summary API, k8s.io/kubelet/pkg/apis/stats/v1alpha1),
// built from one sample: the node's figures (/proc and the root directory's filesystem) and the
// runtime's ListContainerStats, ListContainers and ListPodSandbox of this agent's own pods. Only
// running containers of ready sandboxes count, as with the kubelet. metrics-server reads the
// CPU (usageCoreNanoSeconds with its time) and memory (workingSetBytes) of the node and of each
// container, and each pod's and container's startTime.
//
// usageNanoCores is a rate: for the node it comes from this sample and the one before (kept by
// the caller); the runtime computes its containers' own (containerd does), and a container whose
// runtime does not gets it from the previous sample the same way.
import type { Container, ContainerStats, PodSandbox } from '../../cri-api/messages.js';

export interface NodeFigures {
  /** When the figures were read, ms since the epoch. */
  readonly at: number;
  readonly bootTime: number;
  /** The node's CPU time, all cores, ns. */
  readonly cpuUsageCoreNanoSeconds: number;
  readonly memory: {
    readonly totalBytes: number;
    readonly freeBytes: number;
    readonly inactiveFileBytes: number;
  };
  readonly fs?: FsFigures;
}

export interface FsFigures {
  readonly capacityBytes: number;
  readonly availableBytes: number;
  readonly usedBytes: number;
  readonly inodes: number;
  readonly inodesFree: number;
}

/** The CPU times of the last sample, kept between requests: node and containers, by id. */
export interface CpuSamples {
  readonly node?: CpuSample;
  readonly containers: ReadonlyMap<string, CpuSample>;
}

export interface CpuSample {
  /** ns since the epoch */
  readonly at: number;
  readonly usageCoreNanoSeconds: number;
}

export interface SummaryInput {
  readonly nodeName: string;
  readonly node: NodeFigures;
  readonly sandboxes: readonly PodSandbox[];
  readonly containers: readonly Container[];
  readonly stats: readonly ContainerStats[];
  readonly previous: CpuSamples;
}

export interface CpuStats {
  time: string;
  usageNanoCores?: number;
  usageCoreNanoSeconds?: number;
}

export interface MemoryStats {
  time: string;
  availableBytes?: number;
  usageBytes?: number;
  workingSetBytes?: number;
  rssBytes?: number;
}

export interface FsStats {
  time: string;
  availableBytes?: number;
  capacityBytes?: number;
  usedBytes?: number;
  inodesFree?: number;
  inodes?: number;
  inodesUsed?: number;
}

export interface ContainerSummary {
  name: string;
  startTime: string;
  cpu?: CpuStats;
  memory?: MemoryStats;
  rootfs?: FsStats;
}

export interface PodSummary {
  podRef: { name: string; namespace: string; uid: string };
  startTime: string;
  containers: ContainerSummary[];
  cpu?: CpuStats;
  memory?: MemoryStats;
  'ephemeral-storage'?: FsStats;
}

export interface Summary {
  node: {
    nodeName: string;
    startTime: string;
    cpu: CpuStats;
    memory: MemoryStats;
    fs?: FsStats;
    runtime?: { imageFs?: FsStats; containerFs?: FsStats };
  };
  pods: PodSummary[];
}

export function buildSummary(input: SummaryInput): { summary: Summary; samples: CpuSamples } {
  const { node } = input;
  const nodeTime = rfc3339(node.at);
  const nodeSample: CpuSample = { at: node.at * 1e6, usageCoreNanoSeconds: node.cpuUsageCoreNanoSeconds };
  const usageBytes = node.memory.totalBytes - node.memory.freeBytes;
  const workingSetBytes = Math.max(0, usageBytes - node.memory.inactiveFileBytes);
  const fs = node.fs ? fsStats(nodeTime, node.fs) : undefined;

  const sandboxes = new Map(input.sandboxes.filter((s) => s.state === 'SANDBOX_READY').map((s) => [s.id, s]));
  const running = new Map(
    input.containers
      .filter((c) => c.state === 'CONTAINER_RUNNING' && sandboxes.has(c.podSandboxId))
      .map((c) => [c.id, c]),
  );
  const containerSamples = new Map<string, CpuSample>();
  const byPod = new Map<string, ContainerSummary[]>();
  for (const s of input.stats) {
    const container = running.get(s.id);
    if (!container) continue;
    const summary = containerSummary(s, container, input.previous.containers.get(s.id), node.fs);
    if (s.cpu?.usageCoreNanoSeconds !== undefined)
      containerSamples.set(s.id, { at: Number(s.cpu.timestamp), usageCoreNanoSeconds: s.cpu.usageCoreNanoSeconds });
    const list = byPod.get(container.podSandboxId) ?? [];
    list.push(summary);
    byPod.set(container.podSandboxId, list);
  }

  const pods: PodSummary[] = [];
  for (const [id, sandbox] of sandboxes) {
    const containers = (byPod.get(id) ?? []).sort((a, b) => a.name.localeCompare(b.name));
    pods.push({
      podRef: { name: sandbox.metadata.name, namespace: sandbox.metadata.namespace, uid: sandbox.metadata.uid },
      startTime: rfc3339(Number(sandbox.createdAt) / 1e6),
      containers,
      ...podTotals(containers, nodeTime),
    });
  }
  pods.sort((a, b) => `${a.podRef.namespace}/${a.podRef.name}`.localeCompare(`${b.podRef.namespace}/${b.podRef.name}`));

  const nodeNanoCores = rate(input.previous.node, nodeSample);
  return {
    summary: {
      node: {
        nodeName: input.nodeName,
        startTime: rfc3339(node.bootTime),
        cpu: {
          time: nodeTime,
          ...(nodeNanoCores !== undefined ? { usageNanoCores: nodeNanoCores } : {}),
          usageCoreNanoSeconds: node.cpuUsageCoreNanoSeconds,
        },
        memory: {
          time: nodeTime,
          availableBytes: Math.max(0, node.memory.totalBytes - workingSetBytes),
          usageBytes,
          workingSetBytes,
        },
        ...(fs ? { fs, runtime: { imageFs: fs, containerFs: fs } } : {}),
      },
      pods,
    },
    samples: { node: nodeSample, containers: containerSamples },
  };
}

function containerSummary(
  s: ContainerStats,
  container: Container,
  previous: CpuSample | undefined,
  nodeFs: FsFigures | undefined,
): ContainerSummary {
  const out: ContainerSummary = {
    name: s.metadata.name || container.metadata.name,
    startTime: rfc3339(Number(container.createdAt) / 1e6),
  };
  if (s.cpu) {
    const own = s.cpu.usageNanoCores;
    const sample =
      s.cpu.usageCoreNanoSeconds !== undefined
        ? { at: Number(s.cpu.timestamp), usageCoreNanoSeconds: s.cpu.usageCoreNanoSeconds }
        : undefined;
    const nanoCores = own ?? (sample ? rate(previous, sample) : undefined);
    out.cpu = {
      time: rfc3339(Number(s.cpu.timestamp) / 1e6),
      ...(nanoCores !== undefined ? { usageNanoCores: nanoCores } : {}),
      ...(s.cpu.usageCoreNanoSeconds !== undefined ? { usageCoreNanoSeconds: s.cpu.usageCoreNanoSeconds } : {}),
    };
  }
  if (s.memory) {
    const m = s.memory;
    out.memory = {
      time: rfc3339(Number(m.timestamp) / 1e6),
      ...figures({
        availableBytes: m.availableBytes,
        usageBytes: m.usageBytes,
        workingSetBytes: m.workingSetBytes,
        rssBytes: m.rssBytes,
      }),
    };
  }
  if (s.writableLayer) {
    const w = s.writableLayer;
    out.rootfs = {
      time: rfc3339(Number(w.timestamp) / 1e6),
      ...figures({
        availableBytes: nodeFs?.availableBytes,
        capacityBytes: nodeFs?.capacityBytes,
        usedBytes: w.usedBytes,
        inodesFree: nodeFs?.inodesFree,
        inodes: nodeFs?.inodes,
        inodesUsed: w.inodesUsed,
      }),
    };
  }
  return out;
}

/** The pod's CPU, memory and ephemeral storage: its containers' summed, at the latest time. */
function podTotals(containers: readonly ContainerSummary[], fallbackTime: string): Partial<PodSummary> {
  if (containers.length === 0) return {};
  const latest = (times: (string | undefined)[]) =>
    times
      .filter((t): t is string => !!t)
      .sort()
      .at(-1) ?? fallbackTime;
  const sum = (values: (number | undefined)[]) =>
    values.some((v) => v !== undefined) ? values.reduce<number>((a, v) => a + (v ?? 0), 0) : undefined;
  return {
    cpu: {
      time: latest(containers.map((c) => c.cpu?.time)),
      ...figures({
        usageNanoCores: sum(containers.map((c) => c.cpu?.usageNanoCores)),
        usageCoreNanoSeconds: sum(containers.map((c) => c.cpu?.usageCoreNanoSeconds)),
      }),
    },
    memory: {
      time: latest(containers.map((c) => c.memory?.time)),
      ...figures({
        usageBytes: sum(containers.map((c) => c.memory?.usageBytes)),
        workingSetBytes: sum(containers.map((c) => c.memory?.workingSetBytes)),
        rssBytes: sum(containers.map((c) => c.memory?.rssBytes)),
      }),
    },
    'ephemeral-storage': {
      time: latest(containers.map((c) => c.rootfs?.time)),
      ...figures({
        usedBytes: sum(containers.map((c) => c.rootfs?.usedBytes)),
        inodesUsed: sum(containers.map((c) => c.rootfs?.inodesUsed)),
      }),
    },
  };
}

/** CPU use between two samples, in billionths of a core; undefined without an earlier sample. */
export function rate(previous: CpuSample | undefined, current: CpuSample): number | undefined {
  if (!previous) return undefined;
  const wallNs = current.at - previous.at;
  const cpuNs = current.usageCoreNanoSeconds - previous.usageCoreNanoSeconds;
  if (wallNs <= 0 || cpuNs < 0) return undefined;
  return Math.round((cpuNs / wallNs) * 1e9);
}

function fsStats(time: string, f: FsFigures): FsStats {
  return {
    time,
    availableBytes: f.availableBytes,
    capacityBytes: f.capacityBytes,
    usedBytes: f.usedBytes,
    inodesFree: f.inodesFree,
    inodes: f.inodes,
    inodesUsed: Math.max(0, f.inodes - f.inodesFree),
  };
}

function figures(values: Record<string, number | undefined>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(values)) if (v !== undefined) out[k] = v;
  return out;
}

/** metav1.Time: RFC 3339 in whole seconds. */
function rfc3339(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(/\.\d+Z$/, 'Z');
}

// ------------------------------------------------------------------------------- /proc

/** /proc/stat: the node's CPU time (all cores, ns; USER_HZ is 100 on Linux) and boot time (ms). */
export function parseProcStat(text: string): { cpuUsageCoreNanoSeconds: number; bootTime: number } | undefined {
  const cpu = text
    .match(/^cpu\s+(.+)$/m)?.[1]
    ?.trim()
    .split(/\s+/)
    .map(Number);
  const btime = Number(text.match(/^btime\s+(\d+)$/m)?.[1]);
  if (!cpu || cpu.length < 8 || cpu.some((n) => !Number.isFinite(n)) || !Number.isFinite(btime)) return undefined;
  // user nice system idle iowait irq softirq steal: everything but idle and iowait is use.
  const [user, nice, system, , , irq, softirq, steal] = cpu as [
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const ticks = user + nice + system + irq + softirq + steal;
  return { cpuUsageCoreNanoSeconds: ticks * 10_000_000, bootTime: btime * 1000 };
}

/** /proc/meminfo's MemTotal, MemFree and Inactive(file), in bytes. */
export function parseMeminfo(text: string): NodeFigures['memory'] | undefined {
  const kb = (key: string) => {
    const v = text.match(new RegExp(`^${key.replace(/[()]/g, '\\$&')}:\\s+(\\d+) kB$`, 'm'))?.[1];
    return v === undefined ? undefined : Number(v) * 1024;
  };
  const totalBytes = kb('MemTotal');
  const freeBytes = kb('MemFree');
  if (totalBytes === undefined || freeBytes === undefined) return undefined;
  return { totalBytes, freeBytes, inactiveFileBytes: kb('Inactive(file)') ?? 0 };
}
