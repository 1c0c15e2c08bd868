// The world a fault runs in: a private containerd that can be SIGKILLed and started again, an
// agent (bin/staticlet, built from the tree) that can be SIGKILLed and started again on the same
// directories, crictl as the outside client, and the manifests the run writes.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { REPO } from '../../test/support/harness.js';
import { busyboxPod, launcherCommand, Runtime, sh, sleep, until } from '../lib/env.js';

const execFileP = promisify(execFile);

export function log(msg: string): void {
  process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
}

/** A whole number in [lo, hi]. */
export const randomInt = (lo: number, hi: number) => lo + Math.floor(Math.random() * (hi - lo + 1));

/** crictl against one runtime, JSON out. */
export class Crictl {
  constructor(
    readonly path: string,
    readonly endpoint: string,
  ) {}

  static async for(runtime: Runtime): Promise<Crictl> {
    return new Crictl(await sh('scripts/tools.sh', 'crictl'), runtime.endpoint);
  }

  async run(...args: string[]): Promise<string> {
    const ep = ['--runtime-endpoint', this.endpoint, '--image-endpoint', this.endpoint, '--timeout', '10s'];
    const { stdout } = await execFileP(this.path, [...ep, ...args], { timeout: 30_000, maxBuffer: 64 << 20 });
    return stdout;
  }

  async pods(): Promise<CrictlPod[]> {
    return (JSON.parse(await this.run('pods', '-o', 'json')) as { items: CrictlPod[] | null }).items ?? [];
  }

  async containers(): Promise<CrictlContainer[]> {
    const out = JSON.parse(await this.run('ps', '-a', '-o', 'json')) as { containers: CrictlContainer[] | null };
    return out.containers ?? [];
  }
}

export interface CrictlPod {
  id: string;
  metadata: { name: string; uid: string; namespace: string; attempt?: number };
  state: string;
  labels?: Record<string, string>;
}

export interface CrictlContainer {
  id: string;
  podSandboxId: string;
  metadata: { name: string; attempt?: number };
  state: string;
  labels?: Record<string, string>;
}

/** The private containerd's own process: for SIGKILL. */
export async function containerdPid(runtime: Runtime): Promise<number> {
  return Number((await readFile(join(runtime.dir, 'containerd.pid'), 'utf8')).trim());
}

/** SIGKILLs the private containerd (its shims live on) and waits for it to be gone. */
export async function killContainerd(runtime: Runtime): Promise<void> {
  const pid = await containerdPid(runtime);
  process.kill(pid, 'SIGKILL');
  await until('containerd gone', async () => !isAlive(pid), 10_000, 20);
}

/** Starts it again on the same directory (scripts/containerd.sh start waits for its CRI). */
export async function restartContainerd(runtime: Runtime): Promise<void> {
  await sh('scripts/containerd.sh', 'start', runtime.dir);
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export interface AgentOptions {
  nodeName: string;
  /** --pod-logs-dir (default: under the agent's directory). */
  logsDir?: string;
  /** Flags after the usual ones. */
  extra?: string[];
  /** Node flags before dist/agent/main.js (with the launcher's own): run through node, not the launcher. */
  nodeArgs?: string[];
  env?: Record<string, string>;
}

/** bin/staticlet with its own directories, which outlive a SIGKILL and are reused by a restart. */
export class Agent {
  readonly dir: string;
  readonly manifests: string;
  readonly rootDir: string;
  readonly logsDir: string;
  private proc: ChildProcess | undefined;
  private exit: Promise<unknown> = Promise.resolve();
  stderr = '';
  starts = 0;

  private constructor(
    dir: string,
    readonly runtime: Runtime,
    readonly opts: AgentOptions,
  ) {
    this.dir = dir;
    this.manifests = join(dir, 'manifests');
    this.rootDir = join(dir, 'root');
    this.logsDir = opts.logsDir ?? join(dir, 'logs');
  }

  static async create(runtime: Runtime, opts: AgentOptions): Promise<Agent> {
    const agent = new Agent(await mkdtemp(join(tmpdir(), 'staticlet-faults-agent-')), runtime, opts);
    await mkdir(agent.manifests);
    return agent;
  }

  get nodeName(): string {
    return this.opts.nodeName;
  }

  get pid(): number {
    return this.proc?.pid ?? 0;
  }

  get alive(): boolean {
    return this.proc !== undefined && this.proc.exitCode === null && this.proc.signalCode === null;
  }

  async start(settleMs = 1_000): Promise<void> {
    const args = [
      `--pod-manifest-path=${this.manifests}`,
      `--container-runtime-endpoint=${this.runtime.endpoint}`,
      `--hostname-override=${this.nodeName}`,
      `--root-dir=${this.rootDir}`,
      `--pod-logs-dir=${this.logsDir}`,
      // The local endpoint (and its metrics) on, as by default, on a socket of its own.
      `--healthz-bind-address=unix://${join(this.dir, 'healthz.sock')}`,
      '--log-level=warn',
      ...(this.opts.extra ?? []),
    ];
    const viaNode = (this.opts.nodeArgs ?? []).length > 0;
    const { nodeFlags, main } = launcherCommand();
    const proc = spawn(
      viaNode ? process.execPath : join(REPO, 'bin/staticlet'),
      viaNode ? [...nodeFlags, ...this.opts.nodeArgs!, main, ...args] : args,
      { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...this.opts.env } },
    );
    this.proc = proc;
    this.starts++;
    proc.stderr!.on('data', (d: Buffer) => {
      this.stderr = (this.stderr + d.toString()).slice(-8000);
    });
    this.exit = new Promise((r) => proc.once('exit', r));
    await sleep(settleMs);
    if (!this.alive) throw new Error(`staticlet exited at start: ${this.stderr}`);
  }

  /**
   * A V8 heap snapshot into `dir`, when the agent runs with --heapsnapshot-signal=SIGUSR2 and
   * --diagnostic-dir=`dir`: Node writes it while the agent pauses; wait until a new file has
   * stopped growing (or a minute).
   */
  async heapSnapshot(dir: string): Promise<string | undefined> {
    if (!this.alive) return undefined;
    const snapshots = async () => (await readdir(dir)).filter((f) => f.endsWith('.heapsnapshot'));
    const before = new Set(await snapshots());
    this.proc!.kill('SIGUSR2');
    let last = -1;
    for (let i = 0; i < 60; i++) {
      await sleep(1_000);
      const fresh = (await snapshots()).find((f) => !before.has(f));
      if (!fresh) continue;
      const size = (await stat(join(dir, fresh))).size;
      if (size > 0 && size === last) return join(dir, fresh);
      last = size;
    }
    return undefined;
  }

  /** SIGKILL, as a crash or the OOM killer would. */
  async kill(): Promise<void> {
    if (!this.alive) return;
    this.proc!.kill('SIGKILL');
    await this.exit;
  }

  /** SIGTERM (the pods live on), SIGKILL after 10 s. */
  async stop(): Promise<void> {
    if (!this.alive) return;
    this.proc!.kill('SIGTERM');
    const t = setTimeout(() => this.proc?.kill('SIGKILL'), 10_000);
    await this.exit;
    clearTimeout(t);
  }

  /** Writes manifests as dot-files, then renames them in, all at once. */
  async write(files: readonly { file: string; text: string }[]): Promise<void> {
    await Promise.all(files.map((f) => writeFile(join(this.manifests, `.${f.file}.tmp`), f.text)));
    await Promise.all(files.map((f) => rename(join(this.manifests, `.${f.file}.tmp`), join(this.manifests, f.file))));
  }

  async remove(names: string[]): Promise<void> {
    await Promise.all(names.map((n) => rm(join(this.manifests, n), { force: true })));
  }

  /** The full pod name the agent gives a manifest's pod. */
  full(name: string): string {
    return `${name}-${this.nodeName}`;
  }

  async dispose(): Promise<void> {
    await this.stop();
    await rm(this.dir, { recursive: true, force: true });
  }
}

/** `n` busybox pods named `<prefix><i>`; every tenth on the pod network (CNI), the rest on the host's. */
export function podSet(prefix: string, n: number): PodFile[] {
  return Array.from({ length: n }, (_, i) => {
    const name = `${prefix}${i}`;
    const podNetwork = i % 10 === 9;
    return { name, file: `${name}.yaml`, text: busyboxPod(name, { hostNetwork: !podNetwork }), podNetwork };
  });
}

/** A fresh private containerd with the test images. */
export async function freshRuntime(): Promise<Runtime> {
  return new Runtime().start();
}

/** Everything a family made, torn down even after a failure. */
export async function teardown(agent: Agent | undefined, runtime: Runtime | undefined): Promise<void> {
  await agent?.dispose().catch(() => undefined);
  await runtime?.wipe().catch(() => undefined);
  await runtime?.stop().catch(() => undefined);
}

export interface PodFile {
  name: string;
  file: string;
  text: string;
  podNetwork?: boolean;
  crashLoop?: boolean;
}
