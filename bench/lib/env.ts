// The benchmark's world: private containerds (one clean one per agent), the CRI client, the
// agents under test (staticlet, the real kubelet) and outside measurements from /proc.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createCriRuntime } from '../../src/runtime/cri/client.js';
import type { CriRuntime } from '../../src/cri-api/runtime-service.js';
import type { Container, PodSandbox } from '../../src/cri-api/messages.js';
import { REPO } from '../../test/support/harness.js';
import { daemonVersion, helperPids, RECIPES, type RuntimeKind } from './runtimes.js';

const execFileP = promisify(execFile);
export const IMAGE = 'staticlet.local/busybox:1';

export async function sh(script: string, ...args: string[]): Promise<string> {
  return shWith({ script, args });
}

/** A script of the repository, with its arguments and extra environment. */
export async function shWith(cmd: { script: string; args: string[]; env?: Record<string, string> }): Promise<string> {
  const { stdout } = await execFileP('bash', [join(REPO, cmd.script), ...cmd.args], {
    timeout: 900_000,
    maxBuffer: 16 << 20,
    env: { ...process.env, ...cmd.env },
  });
  return stdout.trim();
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls until `check` gives a value; bounded. */
export async function until<T>(
  what: string,
  check: () => Promise<T | undefined | false>,
  timeoutMs = 60_000,
  everyMs = 10,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check().catch(() => undefined);
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms: ${what}`);
    await sleep(everyMs);
  }
}

/** A private CRI runtime (containerd 1.6 unless told) with the test images, fresh for each agent. */
export class Runtime {
  dir = '';
  cri!: CriRuntime;
  /** The daemon's pid (containerd, crio). */
  pid = 0;

  constructor(readonly kind: RuntimeKind = 'containerd1') {}

  private get recipe() {
    return RECIPES[this.kind];
  }

  async start(): Promise<this> {
    this.dir = await mkdtemp(join(tmpdir(), this.recipe.dirPrefix));
    await shWith(this.recipe.start(this.dir));
    this.pid = Number((await readFile(this.recipe.pidFile(this.dir), 'utf8')).trim());
    this.runningVersion = await daemonVersion(this.pid);
    if (!this.recipe.expect.test(this.runningVersion)) {
      await this.stop();
      throw new Error(`--runtime ${this.kind}: the start script ran "${this.runningVersion}"`);
    }
    const images = this.recipe.images(this.dir);
    if (images) await shWith(images);
    this.cri = createCriRuntime(this.endpoint);
    return this;
  }

  get endpoint(): string {
    return `unix://${this.recipe.socket(this.dir)}`;
  }

  private runningVersion = '';

  /** "containerd v1.6.20", from the daemon's binary. */
  get version(): string {
    return this.runningVersion;
  }

  /** The daemon and its helper processes (shims, conmons) running now. */
  async processes(): Promise<{ daemon: number; helpers: number[] }> {
    return { daemon: this.pid, helpers: await helperPids(this.recipe, this.dir) };
  }

  async stop(): Promise<void> {
    this.cri?.close();
    if (this.dir) await shWith(this.recipe.stop(this.dir)).catch(() => undefined);
  }

  /** Sandboxes of pods named `<name>-<node>` (any creator), by the kubelet's pod-name label. */
  async sandboxesOf(podNames: ReadonlySet<string>): Promise<PodSandbox[]> {
    return (await this.cri.listPodSandbox()).filter((s) =>
      podNames.has(s.labels['io.kubernetes.pod.name'] ?? s.metadata.name),
    );
  }

  async containersOf(podNames: ReadonlySet<string>): Promise<Container[]> {
    return (await this.cri.listContainers()).filter((c) => podNames.has(c.labels['io.kubernetes.pod.name'] ?? ''));
  }

  /** Removes every sandbox (between runs). */
  async wipe(): Promise<void> {
    for (const sb of await this.cri.listPodSandbox()) {
      await this.cri.stopPodSandbox(sb.id).catch(() => undefined);
      await this.cri.removePodSandbox(sb.id).catch(() => undefined);
    }
  }
}

/** CPU seconds (user + system) and RSS of a process, from /proc, measured from outside. */
export async function procStats(pid: number): Promise<{ cpuSeconds: number; rssBytes: number; peakRssBytes: number }> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]); // utime, stime
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string) => Number(new RegExp(`${key}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0) * 1024;
  return { cpuSeconds: ticks / 100, rssBytes: kb('VmRSS'), peakRssBytes: kb('VmHWM') };
}

export interface AgentUnderTest {
  readonly name: 'staticlet' | 'kubelet';
  readonly nodeName: string;
  readonly manifests: string;
  readonly pid: number;
  stop(): Promise<void>;
}

/** Writes `n` busybox manifests named `<prefix>0`.. into the agent's directory and waits until
 * every one's container runs (the steady-state scenario's and the probes' set-up). */
export async function runBusyboxPods(
  runtime: Runtime,
  agent: AgentUnderTest,
  prefix: string,
  n: number,
): Promise<void> {
  const names = Array.from({ length: n }, (_, i) => `${prefix}${i}`);
  const podNames = new Set(names.map((nm) => `${nm}-${agent.nodeName}`));
  await writeManifests(
    agent.manifests,
    names.map((nm) => ({ name: `${nm}.yaml`, text: busyboxPod(nm) })),
  );
  await until(
    `${n} running`,
    async () => (await runtime.containersOf(podNames)).filter((c) => c.state === 'CONTAINER_RUNNING').length >= n,
    600_000,
    500,
  );
}

export function busyboxPod(name: string, opts: { hostNetwork?: boolean; script?: string } = {}): string {
  return `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
spec:
  hostNetwork: ${opts.hostNetwork ?? true}
  terminationGracePeriodSeconds: 2
  containers:
    - name: main
      image: ${IMAGE}
      command: ["sh", "-c", ${JSON.stringify(`trap 'exit 0' TERM; ${opts.script ?? 'sleep 3600'} & wait`)}]
`;
}

/** What the launcher of `checkout` (its bin/staticlet) runs: Node's flags and the agent's main
 * module, so an agent run through node with flags of ours runs like a launched one. */
export function launcherCommand(checkout: string = REPO): { nodeFlags: string[]; main: string } {
  const launcher = join(checkout, 'bin/staticlet');
  const words = (
    readFileSync(launcher, 'utf8')
      .split('\n')
      .find((l) => l.startsWith('exec node ')) ?? ''
  ).split(' ');
  const main = words.find((w) => w.includes('$here/'));
  if (!main) throw new Error(`${launcher}: no "exec node ... $here/<main>" line`);
  return {
    nodeFlags: words.filter((w) => w.startsWith('--')),
    main: join(checkout, 'bin', main.replace(/"/g, '').replace('$here/', '')),
  };
}

/** Starts staticlet as built in `checkout` (this one by default; another, built, to compare two
 * builds in one benchmark run). */
export async function startStaticlet(
  runtime: Runtime,
  nodeName: string,
  extra: string[] = [],
  nodeArgs: string[] = [],
  checkout: string = REPO,
): Promise<AgentUnderTest> {
  const dir = await mkdtemp(join(tmpdir(), 'staticlet-bench-agent-'));
  const manifests = join(dir, 'manifests');
  await mkdir(manifests);
  // Started as users start it: through its launcher (which sets Node's memory flags); with Node
  // flags of our own, through node with the launcher's flags and then ours (which win).
  const launcher = join(checkout, 'bin/staticlet');
  const { nodeFlags, main } = launcherCommand(checkout);
  const proc: ChildProcess = spawn(
    nodeArgs.length > 0 ? process.execPath : launcher,
    [
      ...(nodeArgs.length > 0 ? [...nodeFlags, ...nodeArgs, main] : []),
      `--pod-manifest-path=${manifests}`,
      `--container-runtime-endpoint=${runtime.endpoint}`,
      `--hostname-override=${nodeName}`,
      `--root-dir=${join(dir, 'root')}`,
      `--pod-logs-dir=${join(dir, 'logs')}`,
      // The local endpoint (and its metrics) on, as by default, but on a socket of its own: the
      // kubelet of a paired run wants port 10248.
      `--healthz-bind-address=unix://${join(dir, 'healthz.sock')}`,
      '--log-level=warn',
      ...extra,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  proc.stderr!.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  await sleep(1_500); // started and synced its first relist
  if (proc.exitCode !== null) throw new Error(`staticlet exited: ${stderr}`);
  return {
    name: 'staticlet',
    nodeName,
    manifests,
    pid: proc.pid!,
    stop: async () => {
      proc.kill('SIGTERM');
      await new Promise((r) => (proc.exitCode !== null ? r(null) : proc.on('exit', r)));
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** The real kubelet: standalone, or with `kubeconfig` registered with that API server. */
export async function startKubelet(runtime: Runtime, nodeName: string, kubeconfig?: string): Promise<AgentUnderTest> {
  const dir = await mkdtemp(join(tmpdir(), 'staticlet-bench-kubelet-'));
  const manifests = join(dir, 'manifests');
  await mkdir(manifests);
  const out = await sh(
    'scripts/kube/kubelet.sh',
    'start',
    join(dir, 'kubelet'),
    '--manifests',
    manifests,
    '--endpoint',
    runtime.endpoint,
    '--node-name',
    nodeName,
    ...(kubeconfig ? ['--kubeconfig', kubeconfig] : []),
  );
  const pid = Number(out.split('\n').pop());
  if (!Number.isInteger(pid)) throw new Error(`kubelet.sh start printed no pid: ${out}`);
  return {
    name: 'kubelet',
    nodeName,
    manifests,
    pid,
    stop: async () => {
      await sh('scripts/kube/kubelet.sh', 'stop', join(dir, 'kubelet')).catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export async function writeManifests(dir: string, files: { name: string; text: string }[]): Promise<number> {
  // Written as dot-files, then renamed in one burst: every agent sees complete files at once.
  await Promise.all(files.map((f) => writeFile(join(dir, `.${f.name}.tmp`), f.text)));
  const t0 = Date.now();
  const { rename } = await import('node:fs/promises');
  await Promise.all(files.map((f) => rename(join(dir, `.${f.name}.tmp`), join(dir, f.name))));
  return t0;
}
