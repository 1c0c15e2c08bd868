// The benchmark scenarios. Times come from the runtime where it records them (a container's
// startedAt and finishedAt), so polling adds no error there; removals are detected by polling
// the runtime every 10 ms. The floor is watched by the same polls as the agents: a poll is work
// for the runtime, on the same two cores as the start it watches, so every agent and the floor
// must bear it alike.
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { containerConfig, sandboxConfig, type RuntimeSpecOptions } from '../src/core/runtime-spec.js';
import { readManifest } from '../src/core/manifest/read-manifest.js';
import { nanosToMillis } from '../src/runtime/cri/observations.js';
import type { StaticPod } from '../src/core/model/static-pod.js';
import type { CriRuntime } from '../src/cri-api/runtime-service.js';
import type { Container } from '../src/cri-api/messages.js';
import { gateRuntimeCalls } from '../src/runtime/cri/call-gate.js';
import { DEFAULTS } from '../src/cli/options.js';
import {
  busyboxPod,
  procStats,
  runBusyboxPods,
  sleep,
  until,
  writeManifests,
  type AgentUnderTest,
  type Runtime,
} from './lib/env.js';

/** `floor-gated`: the floor with its calls through staticlet's call gate at its default size
 * (bulk rounds only): what the gate alone gains, so that staticlet's cost as an agent can be told
 * apart from it. `baseline`: staticlet as built in another checkout (`--baseline`), taking turns
 * with this one, so two builds are compared on the same drift of the machine. */
export type AgentName = 'floor' | 'floor-gated' | 'staticlet' | 'baseline' | 'kubelet';

export interface LifecycleSample {
  /** Manifest written → container running (ms). */
  start: number;
  /** Manifest written → the runtime records the sandbox (its createdAt; ms): how soon the agent
   * reacts, without the runtime's own 100-odd ms of sandbox and container start and its noise. */
  sandboxCreated: number;
  /** Container killed → running again, first restart (ms). */
  restart: number;
  /** Manifest removed → sandbox stopped (no READY sandbox left) (ms). */
  remove: number;
  /** Manifest removed → sandbox deleted from the runtime (ms). */
  removeGone: number;
  /** When the manifest was written (the floor: when its first call was made), epoch ms: where the
   * runtime's own log of the calls (bench/start-steps.ts) starts counting. */
  writtenAt: number;
}

const RUNNING = 'CONTAINER_RUNNING';

/** How often a run looks for a started container. The time itself comes from the runtime, so
 * this sets only the watcher's load: at 10 ms, ListContainers calls took about 20 ms of a
 * single start's 150 (scenario 1 overheads of 28 and 30 ms over an unwatched floor, 2026-11-29). */
const START_POLL_MS = 50;
/** A removal is timed by the poll that sees it: finer. */
const REMOVE_POLL_MS = 10;

/** The first running container of these pods (other than `except`): what every run waits on. */
function running(runtime: Runtime, podNames: ReadonlySet<string>, what: string, except?: string): Promise<Container> {
  return until(
    what,
    async () => (await runtime.containersOf(podNames)).find((c) => c.state === RUNNING && c.id !== except),
    60_000,
    START_POLL_MS,
  );
}

/** Resolves when no sandbox of these pods is ready. */
function stopped(
  runtime: Runtime,
  podNames: ReadonlySet<string>,
  what: string,
  everyMs = REMOVE_POLL_MS,
): Promise<true> {
  return until(
    what,
    async () => !(await runtime.sandboxesOf(podNames)).some((s) => s.state === 'SANDBOX_READY'),
    600_000,
    everyMs,
  );
}

const startedAt = async (runtime: Runtime, containerId: string) =>
  nanosToMillis((await runtime.cri.containerStatus(containerId)).startedAt)!;

/** Runs that also wait for the sandbox's deletion (the kubelet's takes up to a minute). */
export const DELETION_RUNS = 3;

/** Each run starts on a quiet runtime: the previous run's removal (which an agent may still be
 * finishing after the sandbox stopped) must not slow the next start. */
export const SETTLE_MS = 500;

/** Scenarios 1–3 in one cycle per run: write → running, kill → running again, remove → gone. */
export async function lifecycleRun(runtime: Runtime, agent: AgentUnderTest, i: number): Promise<LifecycleSample> {
  await sleep(SETTLE_MS);
  const name = `lc${i}`;
  const podName = new Set([`${name}-${agent.nodeName}`]);
  const t0 = await writeManifests(agent.manifests, [{ name: `${name}.yaml`, text: busyboxPod(name) }]);
  const first = await running(runtime, podName, `${name} running`);
  const start = (await startedAt(runtime, first.id)) - t0;
  const sandboxCreated = nanosToMillis((await runtime.cri.podSandboxStatus(first.podSandboxId)).createdAt)! - t0;

  await runtime.cri.stopContainer(first.id, 0);
  const killed = nanosToMillis((await runtime.cri.containerStatus(first.id)).finishedAt)!;
  const second = await running(runtime, podName, `${name} restarted`, first.id);
  const restart = (await startedAt(runtime, second.id)) - killed;

  const tRemove = Date.now();
  await rm(join(agent.manifests, `${name}.yaml`));
  await stopped(runtime, podName, `${name} stopped`);
  const remove = Date.now() - tRemove;
  // The kubelet deletes stopped sandboxes in a cleanup that runs once a minute: wait for it in a
  // few runs only.
  let removeGone = NaN;
  if (i < DELETION_RUNS) {
    await until(`${name} gone`, async () => (await runtime.sandboxesOf(podName)).length === 0, 120_000, 50);
    removeGone = Date.now() - tRemove;
  }
  return { start, sandboxCreated, restart, remove, removeGone, writtenAt: t0 };
}

function floorSpec(runtime: Runtime): RuntimeSpecOptions {
  return {
    nodeName: 'floor',
    podLogsDir: join(runtime.dir, 'floor-logs'),
    rootDir: join(runtime.dir, 'floor-root'),
    clusterDNS: [],
    clusterDomain: '',
    hostDns: { servers: [], searches: [], options: [] },
  };
}

export function floorPod(name: string) {
  const r = readManifest(busyboxPod(name), {
    nodeName: 'floor',
    source: 'file',
    origin: `/floor/${name}.yaml`,
    seenAt: Date.now(),
  });
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  return r.pods[0]!;
}

/** The same CRI calls made directly, with nothing to notice or decide. In a burst every pod's
 * calls go at once, as a minimal script makes them; an agent that paces its calls (staticlet's
 * call gate) can beat that, which floor-gated measures. */
export async function floorStart(
  runtime: Runtime,
  pod: StaticPod,
  cri: CriRuntime = runtime.cri,
): Promise<{ sandboxId: string; containerId: string; t0: number }> {
  const spec = floorSpec(runtime);
  const t0 = Date.now();
  const sbConfig = sandboxConfig(pod, 0, spec);
  const sandboxId = await cri.runPodSandbox(sbConfig);
  const { config } = containerConfig(pod, pod.pod.spec!.containers[0]!, false, 0, spec);
  const containerId = await cri.createContainer(sandboxId, config, sbConfig);
  await cri.startContainer(containerId);
  return { sandboxId, containerId, t0 };
}

export async function floorLifecycleRun(runtime: Runtime, i: number): Promise<LifecycleSample> {
  await sleep(SETTLE_MS);
  const name = `lc${i}`;
  const pod = floorPod(name);
  const podName = new Set([pod.name]);
  // Each step's calls run while the same polls as an agent's run watch them.
  const [{ sandboxId, containerId, t0 }] = await Promise.all([
    floorStart(runtime, pod),
    running(runtime, podName, 'floor running'),
  ]);
  const start = (await startedAt(runtime, containerId)) - t0;
  const sandboxCreated = nanosToMillis((await runtime.cri.podSandboxStatus(sandboxId)).createdAt)! - t0;

  await runtime.cri.stopContainer(containerId, 0);
  const killed = nanosToMillis((await runtime.cri.containerStatus(containerId)).finishedAt)!;
  const spec = floorSpec(runtime);
  const sbConfig = sandboxConfig(pod, 0, spec);
  const { config } = containerConfig(pod, pod.pod.spec!.containers[0]!, false, 1, spec);
  const restarting = (async () => {
    const second = await runtime.cri.createContainer(sandboxId, config, sbConfig);
    await runtime.cri.startContainer(second);
    return second;
  })();
  const [second] = await Promise.all([restarting, running(runtime, podName, 'floor restarted', containerId)]);
  const restart = (await startedAt(runtime, second)) - killed;

  const tRemove = Date.now();
  const removing = (async () => {
    await runtime.cri.stopContainer(second, 2);
    await runtime.cri.stopPodSandbox(sandboxId);
    await runtime.cri.removePodSandbox(sandboxId);
  })();
  const remove = await alongside(
    removing,
    stopped(runtime, podName, 'floor stopped').then(() => Date.now() - tRemove),
  );
  await until('floor sandbox gone', async () => (await runtime.sandboxesOf(podName)).length === 0, 120_000, 50);
  return { start, sandboxCreated, restart, remove, removeGone: Date.now() - tRemove, writtenAt: t0 };
}

export interface BulkSample {
  /** N manifests written → all N running (ms). */
  converge: number;
  /** N manifests written → the first of them running (ms): how soon a burst starts to be of use. */
  first: number;
  /** N manifests removed → all N sandboxes stopped (ms). */
  removeAll: number;
  /** The agent's CPU seconds over the round, start and removal (from /proc; not for the floor). */
  cpuSeconds: number;
}

/** The same for bulk rounds: the previous round's removals finish first. */
export const BULK_SETTLE_MS = 2_000;

/** When the last and the first of a round's containers started, from the round's start. */
function spanOf(startedAts: readonly number[], t0: number): { converge: number; first: number } {
  return { converge: Math.max(...startedAts) - t0, first: Math.min(...startedAts) - t0 };
}

export async function bulkRun(runtime: Runtime, agent: AgentUnderTest, n: number, round: number): Promise<BulkSample> {
  await sleep(BULK_SETTLE_MS);
  const names = Array.from({ length: n }, (_, i) => `bulk${round}x${i}`);
  const podNames = new Set(names.map((nm) => `${nm}-${agent.nodeName}`));
  const cpuBefore = (await procStats(agent.pid)).cpuSeconds;
  const t0 = await writeManifests(
    agent.manifests,
    names.map((nm) => ({ name: `${nm}.yaml`, text: busyboxPod(nm) })),
  );
  const all = await allRunning(runtime, podNames);
  const starts = await Promise.all(all.map((c) => startedAt(runtime, c.id)));
  const { converge, first } = spanOf(starts, t0);

  const tRemove = Date.now();
  await Promise.all(names.map((nm) => rm(join(agent.manifests, `${nm}.yaml`))));
  await stopped(runtime, podNames, `${n} stopped`, BULK_POLL_MS);
  const removeAll = Date.now() - tRemove;
  return { converge, first, removeAll, cpuSeconds: (await procStats(agent.pid)).cpuSeconds - cpuBefore };
}

/** The floor's bulk round; `gated`: its calls through staticlet's call gate (the polls are not). */
export async function floorBulkRun(runtime: Runtime, n: number, round: number, gated = false): Promise<BulkSample> {
  await sleep(BULK_SETTLE_MS);
  const cri = gated ? gateRuntimeCalls(runtime.cri, DEFAULTS.maxParallelRuntimeCalls) : runtime.cri;
  const names = Array.from({ length: n }, (_, i) => `bulk${round}x${i}`);
  const pods = names.map(floorPod);
  const podNames = new Set(pods.map((p) => p.name));
  const t0 = Date.now();
  const [started] = await Promise.all([
    Promise.all(pods.map((p) => floorStart(runtime, p, cri))),
    allRunning(runtime, podNames),
  ]);
  const starts = await Promise.all(started.map((s) => startedAt(runtime, s.containerId)));
  const { converge, first } = spanOf(starts, t0);
  const tRemove = Date.now();
  const removing = Promise.all(
    started.map(async (s) => {
      // A stop among a hundred can fail (containerd once answered "failed to kill container: ttrpc:
      // closed", 2026-11-29); the sandbox's stop that follows kills what is left, as an agent would.
      await cri
        .stopContainer(s.containerId, 2)
        .catch((err: unknown) => process.stderr.write(`floor: ${String(err)}; stopping its sandbox anyway\n`));
      await cri.stopPodSandbox(s.sandboxId);
      await cri.removePodSandbox(s.sandboxId);
    }),
  );
  const removeAll = await alongside(
    removing,
    stopped(runtime, podNames, `${n} stopped`, BULK_POLL_MS).then(() => Date.now() - tRemove),
  );
  return { converge, first, removeAll, cpuSeconds: NaN };
}

/** `watch`'s value once `work` has finished too; a failure of `work` fails at once rather than
 * going unhandled (which ends the process) while `watch` is still waiting. */
async function alongside<T>(work: Promise<unknown>, watch: Promise<T>): Promise<T> {
  const [, value] = await Promise.all([work, watch]);
  return value;
}

/** The wait for a bulk round's sandboxes stopped, which the poll itself times: often. */
const BULK_POLL_MS = 50;
/**
 * The wait for a burst's pods to run reads their start times from the runtime, so its poll only
 * notices the end, and rarely is enough. Each poll lists every container; at 50 ms the polls took
 * a second of CPU per 100-pod round (2026-11-30), which the runtime and the agent then lacked.
 */
const BULK_RUNNING_POLL_MS = 250;

/** All these pods' containers running (one each). */
function allRunning(runtime: Runtime, podNames: ReadonlySet<string>): Promise<Container[]> {
  return until(
    `${podNames.size} running`,
    async () => {
      const cs = (await runtime.containersOf(podNames)).filter((c) => c.state === RUNNING);
      return cs.length >= podNames.size ? cs : undefined;
    },
    600_000,
    BULK_RUNNING_POLL_MS,
  );
}

export interface SteadySample {
  /** Pods running through the window. */
  pods: number;
  /** The window's length as measured (s): from the first reading of /proc to the last. */
  windowSeconds: number;
  /** The agent's CPU seconds (user + system) in the window. */
  cpuSeconds: number;
  /** The same per minute of the window. */
  cpuSecondsPerMinute: number;
  /** The runtime daemon's CPU seconds in the window (containerd, crio): the agent's relists and
   * status calls are served there. */
  runtimeCpuSeconds: number;
  /** The runtime's helpers' (containerd's shims, CRI-O's conmons) CPU seconds in the window. */
  runtimeHelperCpuSeconds: number;
  /** RSS at the end of the window. */
  rssBytes: number;
  /** The highest RSS sampled (every 100 ms) in the window. */
  windowPeakRssBytes: number;
  /** The process's lifetime high-water mark (VmHWM), which includes starting the pods. */
  peakRssBytes: number;
}

/** CPU seconds of each of these processes now; those gone are left out. */
async function cpuOf(pids: readonly number[]): Promise<Map<number, number>> {
  const out = new Map<number, number>();
  await Promise.all(
    pids.map(async (pid) => {
      const s = await procStats(pid).catch(() => undefined);
      if (s) out.set(pid, s.cpuSeconds);
    }),
  );
  return out;
}

/** The CPU seconds spent between two readings by the processes present in both. */
function cpuBetween(before: Map<number, number>, after: Map<number, number>): number {
  let sum = 0;
  for (const [pid, cpu] of after) {
    const was = before.get(pid);
    if (was !== undefined) sum += cpu - was;
  }
  return sum;
}

/**
 * N pods running, then, after `settleSeconds`, an idle window of `seconds`: the agent's CPU and
 * memory and the runtime's CPU, read from /proc from outside. Nothing is asked of the runtime in
 * the window (the benchmark's own client is idle), so what the runtime spends there is the agent's
 * doing, or its own housekeeping, which falls on both agents alike. The pods are left running:
 * the caller stops the agent and wipes the runtime.
 */
export async function steadyRun(
  runtime: Runtime,
  agent: AgentUnderTest,
  n: number,
  seconds: number,
  settleSeconds: number,
): Promise<SteadySample> {
  await runBusyboxPods(runtime, agent, 'steady', n);
  await sleep(settleSeconds * 1000);
  const { daemon, helpers } = await runtime.processes();
  const runtimeBefore = await cpuOf([daemon]);
  const helpersBefore = await cpuOf(helpers);
  const before = await procStats(agent.pid);
  const t0 = performance.now();
  let windowPeakRssBytes = before.rssBytes;
  const endAt = t0 + seconds * 1000;
  while (performance.now() < endAt) {
    await sleep(100);
    windowPeakRssBytes = Math.max(windowPeakRssBytes, (await procStats(agent.pid)).rssBytes);
  }
  const after = await procStats(agent.pid);
  const windowSeconds = (performance.now() - t0) / 1000;
  const runtimeAfter = await cpuOf([daemon]);
  const helpersAfter = await cpuOf(helpers);
  if (!runtimeAfter.has(daemon)) throw new Error(`the runtime (pid ${daemon}) ended in the steady window`);
  const cpuSeconds = after.cpuSeconds - before.cpuSeconds;
  return {
    pods: n,
    windowSeconds,
    cpuSeconds,
    cpuSecondsPerMinute: (cpuSeconds / windowSeconds) * 60,
    runtimeCpuSeconds: cpuBetween(runtimeBefore, runtimeAfter),
    runtimeHelperCpuSeconds: cpuBetween(helpersBefore, helpersAfter),
    rssBytes: after.rssBytes,
    windowPeakRssBytes,
    peakRssBytes: after.peakRssBytes,
  };
}
