// Convergence, seen from outside with real clients: crictl on the runtime, kubectl on the API
// server, /proc/self/mountinfo and the agent's directories. A node has converged when every
// expected pod runs in exactly one ready sandbox with one live container per container, nothing
// else is left (sandboxes, containers, mounts, log and pod directories) and, with an API server,
// every mirror matches its pod.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { sleep } from '../lib/env.js';
import type { Agent, Crictl, CrictlContainer, CrictlPod } from './world.js';

export interface PodExpectation {
  /** A pod whose container crash-loops: its container may be waiting, not running. */
  crashLoop?: boolean;
  /** On the pod network (a CNI network namespace), not the host's. */
  podNetwork?: boolean;
}

/** Full pod names (`<name>-<node>`) the node should run. */
export type Expected = ReadonlyMap<string, PodExpectation>;

export function expect(agent: Agent, pods: readonly ({ name: string } & PodExpectation)[]): Expected {
  return new Map(pods.map((p) => [agent.full(p.name), { crashLoop: p.crashLoop, podNetwork: p.podNetwork }]));
}

export interface CheckContext {
  crictl: Crictl;
  agent: Agent;
  /** kubectl as the admin, for the mirrors; absent without an API server. */
  kubectl?: (...args: string[]) => Promise<string>;
  /** Leftovers an earlier wait reported already: not charged to later injections again. */
  reported?: Set<string>;
}

export interface Snapshot {
  sandboxes: CrictlPod[];
  containers: CrictlContainer[];
}

const READY = 'SANDBOX_READY';
const RUNNING = 'CONTAINER_RUNNING';
const podNameOf = (s: CrictlPod) => s.labels?.['io.kubernetes.pod.name'] ?? s.metadata.name;

/** Pods running in more than one ready sandbox at once, with a live container in each. */
export function runTwice(snap: Snapshot): string[] {
  const live = new Set(snap.containers.filter((c) => c.state === RUNNING).map((c) => c.podSandboxId));
  const byPod = new Map<string, number>();
  for (const s of snap.sandboxes)
    if (s.state === READY && live.has(s.id)) byPod.set(podNameOf(s), (byPod.get(podNameOf(s)) ?? 0) + 1);
  return [...byPod].filter(([, n]) => n > 1).map(([pod, n]) => `pod ${pod} runs in ${n} ready sandboxes at once`);
}

/** Every way the node differs from a converged one; empty when converged. */
export async function problems(ctx: CheckContext, expected: Expected): Promise<{ problems: string[]; snap: Snapshot }> {
  const [sandboxes, containers] = await Promise.all([ctx.crictl.pods(), ctx.crictl.containers()]);
  const snap = { sandboxes, containers };
  const found: string[] = [...runTwice(snap)];
  const out = { push: (...p: string[]) => found.push(...p.filter((x) => !ctx.reported?.has(x))) };
  const sandboxIds = new Set(sandboxes.map((s) => s.id));
  const liveUids = new Set<string>();
  const uidOf = new Map<string, string>();
  for (const [pod, exp] of expected) {
    const mine = sandboxes.filter((s) => podNameOf(s) === pod);
    const ready = mine.filter((s) => s.state === READY);
    if (ready.length === 0) out.push(`pod ${pod} lost: no ready sandbox (${mine.length} not ready)`);
    if (ready.length > 1) out.push(`pod ${pod}: ${ready.length} ready sandboxes`);
    for (const s of mine.filter((x) => x.state !== READY)) out.push(`pod ${pod}: orphaned ${s.state} sandbox ${s.id}`);
    for (const s of ready) {
      liveUids.add(s.metadata.uid);
      uidOf.set(pod, s.metadata.uid);
      const byName = new Map<string, CrictlContainer[]>();
      for (const c of containers.filter((x) => x.podSandboxId === s.id))
        byName.set(c.metadata.name, [...(byName.get(c.metadata.name) ?? []), c]);
      if (byName.size === 0) out.push(`pod ${pod}: no container in its sandbox`);
      for (const [name, cs] of byName) {
        const running = cs.filter((c) => c.state === RUNNING).length;
        const dead = cs.length - running;
        if (running > 1) out.push(`pod ${pod}: container ${name} runs ${running} times`);
        if (running === 0 && !exp.crashLoop) out.push(`pod ${pod}: container ${name} not running`);
        // One dead container kept per name; a crash-looping one waiting out its back-off is dead too.
        const keep = exp.crashLoop && running === 0 ? 2 : 1;
        if (dead > keep) out.push(`pod ${pod}: container ${name}: ${dead} dead containers kept (at most ${keep})`);
      }
    }
  }
  for (const s of sandboxes)
    if (!expected.has(podNameOf(s))) out.push(`orphaned sandbox ${s.id.slice(0, 13)} (${podNameOf(s)}, ${s.state})`);
  for (const c of containers)
    if (!sandboxIds.has(c.podSandboxId))
      out.push(`orphaned container ${c.id.slice(0, 13)} (${c.metadata.name}, sandbox ${c.podSandboxId.slice(0, 13)})`);
  const podNetwork = [...expected].filter(([pod, e]) => e.podNetwork && uidOf.has(pod)).length;
  out.push(...(await orphanedMounts(ctx, snap, podNetwork)));
  out.push(...(await orphanedDirectories(ctx, liveUids)));
  if (ctx.kubectl) out.push(...(await mirrorProblems(ctx, expected, uidOf)));
  return { problems: found, snap };
}

/** Mounts under the runtime's or the agent's directories that belong to nothing alive. */
async function orphanedMounts(ctx: CheckContext, snap: Snapshot, podNetwork: number): Promise<string[]> {
  const roots = [ctx.agent.runtime.dir, ctx.agent.rootDir];
  const ids = new Set([...snap.sandboxes.map((s) => s.id), ...snap.containers.map((c) => c.id)]);
  const liveUids = new Set(snap.sandboxes.filter((s) => s.state === READY).map((s) => s.metadata.uid));
  const mountinfo = await readFile('/proc/self/mountinfo', 'utf8');
  const out: string[] = [];
  let netns = 0;
  for (const line of mountinfo.split('\n')) {
    const point = line.split(' ')[4];
    if (!point || !roots.some((r) => point.startsWith(`${r}/`))) continue;
    if (/\/netns\/cni-/.test(point)) netns++;
    const hex = point.match(/\b[0-9a-f]{64}\b/g) ?? [];
    const uids = point.match(/\/pods\/([0-9a-f-]{8,})/);
    if (hex.length > 0 && !hex.some((h) => ids.has(h))) out.push(`orphaned mount ${point}`);
    else if (uids && !liveUids.has(uids[1]!)) out.push(`orphaned mount ${point}`);
  }
  // Network namespaces are named by CNI, not by sandbox: more than the pod-network pods alive.
  if (netns > podNetwork) out.push(`${netns} network namespace mounts for ${podNetwork} ready sandboxes`);
  return out;
}

/** Log directories (`<ns>_<pod>_<uid>`) and pod directories (`<root>/pods/<uid>`) of no live pod. */
async function orphanedDirectories(ctx: CheckContext, liveUids: ReadonlySet<string>): Promise<string[]> {
  const list = (dir: string) => readdir(dir).catch(() => [] as string[]);
  const out: string[] = [];
  for (const d of await list(ctx.agent.logsDir)) {
    if (d.startsWith('.') || d === 'lost+found' || d.startsWith('filler')) continue;
    if (!liveUids.has(d.slice(d.lastIndexOf('_') + 1))) out.push(`orphaned log directory ${d}`);
  }
  for (const uid of await list(join(ctx.agent.rootDir, 'pods')))
    if (!liveUids.has(uid)) out.push(`orphaned pod directory ${join('pods', uid)}`);
  return out;
}

interface MirrorList {
  items: {
    metadata: { name: string; annotations?: Record<string, string>; deletionTimestamp?: string };
    status?: { phase?: string; containerStatuses?: { ready: boolean }[] };
  }[];
}

/** Each expected pod has a mirror for its current UID, Running and ready; no other mirror. */
async function mirrorProblems(ctx: CheckContext, expected: Expected, uidOf: Map<string, string>): Promise<string[]> {
  let list: MirrorList;
  try {
    const args = ['get', 'pods', '-A', '--field-selector', `spec.nodeName=${ctx.agent.nodeName}`, '-o', 'json'];
    list = JSON.parse(await ctx.kubectl!(...args)) as MirrorList;
  } catch (err) {
    return [`API server: ${(err as Error).message.split('\n')[0]}`];
  }
  const out: string[] = [];
  const byName = new Map(list.items.map((p) => [p.metadata.name, p]));
  for (const [pod, exp] of expected) {
    const m = byName.get(pod);
    const hash = m?.metadata.annotations?.['kubernetes.io/config.mirror'];
    if (!m) out.push(`mirror of ${pod} missing`);
    else if (m.metadata.deletionTimestamp) out.push(`mirror of ${pod} being deleted`);
    else if (uidOf.has(pod) && hash !== uidOf.get(pod)) out.push(`mirror of ${pod} stale (${hash})`);
    else if (!exp.crashLoop && (m.status?.phase !== 'Running' || !m.status.containerStatuses?.every((c) => c.ready)))
      out.push(`mirror of ${pod} not Running and ready (${m.status?.phase})`);
  }
  for (const name of byName.keys()) if (!expected.has(name)) out.push(`orphaned mirror ${name}`);
  return out;
}

export interface Convergence {
  converged: boolean;
  /** Everything converged but leftover directories (the wait stopped early on them). */
  leftoversOnly?: boolean;
  /** From the start of the wait to the first of two passing checks 2 s apart. */
  ms: number;
  /** What was still wrong at the end (empty when converged). */
  problems: string[];
  /** Seen while waiting, even if gone by the end: a pod in two ready sandboxes at once. */
  transient: string[];
}

/** Leftovers no later turn of the agent is going to change by itself once all else has converged. */
const isLeftover = (p: string) => /^orphaned (log|pod) directory /.test(p);
/** How long leftovers alone, unchanged, are waited on before the wait gives up early. */
const LEFTOVER_PATIENCE_MS = 20_000;

/**
 * Polls until converged (two passing checks 2 s apart) or `timeoutMs`. When all that is left are
 * leftover directories, unchanged for 20 s, it stops early: they are reported all the same.
 */
export async function converge(ctx: CheckContext, expected: Expected, timeoutMs: number): Promise<Convergence> {
  const t0 = Date.now();
  const transient = new Set<string>();
  let last: string[] = [];
  let leftoversSince = 0;
  let prev: string[] = [];
  while (Date.now() - t0 < timeoutMs) {
    const r = await problems(ctx, expected).catch((err: unknown) => ({
      problems: [`check failed: ${(err as Error).message.split('\n')[0]}`],
      snap: { sandboxes: [], containers: [] },
    }));
    for (const p of runTwice(r.snap)) transient.add(p);
    last = r.problems;
    if (last.length === 0) {
      const ms = Date.now() - t0;
      await sleep(2_000);
      const again = await problems(ctx, expected).catch(() => ({ problems: ['check failed'] }));
      if (again.problems.length === 0) return { converged: true, ms, problems: [], transient: [...transient] };
      last = again.problems;
    }
    const same = last.length > 0 && last.every(isLeftover) && last.join() === prev.join();
    leftoversSince = same ? leftoversSince || Date.now() : 0;
    if (leftoversSince && Date.now() - leftoversSince > LEFTOVER_PATIENCE_MS) {
      // Converged but for the leftovers: the time is when they were all that was left.
      const ms = leftoversSince - t0;
      ctx.reported ??= new Set();
      for (const p of last) ctx.reported.add(p);
      return { converged: false, leftoversOnly: true, ms, problems: last, transient: [...transient] };
    }
    prev = last;
    await sleep(500);
  }
  ctx.reported ??= new Set();
  for (const p of last.filter(isLeftover)) ctx.reported.add(p);
  return { converged: false, ms: Date.now() - t0, problems: last, transient: [...transient] };
}
