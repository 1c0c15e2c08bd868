// Integration harness: runs the real staticlet binary against the real containerd or CRI-O that
// scripts/test.sh started (STATICLET_TEST_CRI_ENDPOINT, STATICLET_TEST_RUNTIME), each test under its own node name so tests
// never see each other's pods, and cleans up everything the test created, even on failure.
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile, rename, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, type SuiteContext, type TestContext } from 'node:test';
import { promisify } from 'node:util';
import { ownedSelector } from '../../src/core/runtime-labels.js';
import { createCriRuntime } from '../../src/runtime/cri/client.js';
import type { CriRuntime } from '../../src/cri-api/runtime-service.js';
import type { Container, PodSandbox } from '../../src/cri-api/messages.js';

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const IMAGE = 'staticlet.local/busybox:1';
/** The built agent (scripts/bundle-agent.ts), which bin/staticlet runs. */
export const AGENT_MAIN = join(REPO, 'dist/agent/main.js');

/**
 * The staticlet command as users run it, program first: the launcher of the built agent, or, not
 * built, the sources through tsx.
 */
export function staticletCommand(): string[] {
  return existsSync(AGENT_MAIN)
    ? [join(REPO, 'bin/staticlet')]
    : [process.execPath, '--import', 'tsx', join(REPO, 'src/main.ts')];
}

export function requireEnv(name: string): string {
  const value = process.env[name];
  if (!value)
    throw new Error(
      `${name} is not set: run the integration tests through 'npm test' (scripts/test.sh), which starts containerd`,
    );
  return value;
}

export const endpoint = (): string => requireEnv('STATICLET_TEST_CRI_ENDPOINT');
/** The runtime behind the endpoint, as scripts/test.sh names it (its CRI runtimeName). */
export const testRuntime = (): 'containerd' | 'cri-o' =>
  process.env.STATICLET_TEST_RUNTIME === 'cri-o' ? 'cri-o' : 'containerd';
export const crictlPath = (): string => requireEnv('STATICLET_CRICTL');

const execFileP = promisify(execFile);

/** crictl, the outside client, against the test runtime. */
export async function crictl(...args: string[]): Promise<string> {
  const ep = endpoint();
  const { stdout } = await execFileP(crictlPath(), ['--runtime-endpoint', ep, '--image-endpoint', ep, ...args], {
    timeout: 60_000,
  });
  return stdout;
}

/** Polls `check` every `everyMs` until it returns a value (not undefined/false), at most `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 20_000,
  everyMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${lastError ? ` (last error: ${(lastError as Error).message})` : ''}`,
      );
    }
    await sleep(everyMs);
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export interface AgentProcess {
  readonly proc: ChildProcess;
  readonly logs: string[];
  /** Resolves with the exit code. */
  readonly exited: Promise<number | null>;
  waitForLog(pattern: RegExp, timeoutMs?: number): Promise<string>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** One test's world: a node name, a manifest directory, a CRI client, and a cleanup. */
export class TestNode {
  nodeName = '';
  cri!: CriRuntime;
  agents: AgentProcess[] = [];
  dir = '';
  manifests = '';
  logsDir = '';
  rootDir = '';

  /** A fresh world: new node name, directories and runtime connection. */
  async setup(): Promise<this> {
    this.nodeName = `it-${randomBytes(3).toString('hex')}`;
    this.cri = createCriRuntime(endpoint());
    this.agents = [];
    this.dir = await mkdtemp(join(tmpdir(), 'staticlet-it-'));
    this.manifests = join(this.dir, 'manifests');
    this.logsDir = join(this.dir, 'pod-logs');
    this.rootDir = join(this.dir, 'root');
    await mkdir(this.manifests, { recursive: true });
    return this;
  }

  podName(name: string): string {
    return `${name}-${this.nodeName}`;
  }

  /**
   * `prefix`: a command the agent runs under, e.g. `['setpriv', '--bounding-set=-dac_override']`
   * (root without the capability to read any file). `env`: variables added to the agent's.
   * `launcher`: another launcher than the checkout's, e.g. an installed `staticlet`. `endpoint`: the
   * test sets up the local endpoint itself (in a --config file); otherwise it is off unless a
   * --healthz-* flag is given.
   */
  startAgent(
    extraArgs: string[] = [],
    opts: {
      manifests?: string | null;
      prefix?: string[];
      env?: Record<string, string>;
      launcher?: string;
      endpoint?: boolean;
    } = {},
  ): Promise<AgentProcess> {
    const manifests = opts.manifests === undefined ? this.manifests : opts.manifests;
    const command = opts.launcher !== undefined ? [opts.launcher] : staticletCommand();
    const [program, ...prefixArgs] = [...(opts.prefix ?? []), ...command];
    const proc = spawn(
      program!,
      [
        ...prefixArgs,
        ...(manifests ? [`--pod-manifest-path=${manifests}`] : []),
        `--container-runtime-endpoint=${endpoint()}`,
        `--hostname-override=${this.nodeName}`,
        `--pod-logs-dir=${this.logsDir}`,
        `--root-dir=${this.rootDir}`,
        '--log-level=debug',
        // The local endpoint is off unless a test sets it up: agents side by side share no port.
        ...(opts.endpoint || extraArgs.some((a) => a.startsWith('--healthz-')) ? [] : ['--healthz-port=0']),
        // Likewise the kubelet API (on by default with --kubeconfig, on 0.0.0.0:10250): a test asks for it.
        ...(extraArgs.some((a) => a.startsWith('--port=')) ? [] : ['--port=0']),
        ...extraArgs,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'], cwd: REPO, env: { ...process.env, ...opts.env } },
    );
    const logs: string[] = [];
    const waiters: { pattern: RegExp; resolve: (line: string) => void }[] = [];
    const onLine = (line: string) => {
      logs.push(line);
      for (const w of [...waiters]) {
        if (w.pattern.test(line)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(line);
        }
      }
    };
    for (const stream of [proc.stdout!, proc.stderr!]) {
      let buf = '';
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => {
        buf += chunk;
        let nl: number;
        while ((nl = buf.indexOf('\n')) >= 0) {
          onLine(buf.slice(0, nl));
          buf = buf.slice(nl + 1);
        }
      });
    }
    const exited = new Promise<number | null>((r) => proc.on('exit', (code) => r(code)));
    const agent: AgentProcess = {
      proc,
      logs,
      exited,
      waitForLog: (pattern, timeoutMs = 20_000) => {
        const found = logs.find((l) => pattern.test(l));
        if (found) return Promise.resolve(found);
        return new Promise((resolveLine, reject) => {
          const timer = setTimeout(
            () =>
              reject(
                new Error(
                  `no log line matching ${pattern} within ${timeoutMs} ms; logs:\n${logs.slice(-30).join('\n')}`,
                ),
              ),
            timeoutMs,
          );
          waiters.push({
            pattern,
            resolve: (line) => {
              clearTimeout(timer);
              resolveLine(line);
            },
          });
        });
      },
      stop: async (signal = 'SIGTERM') => {
        if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
        return exited;
      },
    };
    this.agents.push(agent);
    return agent.waitForLog(/staticlet started|cannot reach/, 30_000).then(() => agent);
  }

  async writeManifest(file: string, text: string): Promise<string> {
    // Atomic, like a careful editor: a temporary dot-file renamed into place.
    const path = join(this.manifests, file);
    const tmp = join(this.manifests, `.${file}.tmp-${randomBytes(2).toString('hex')}`);
    await writeFile(tmp, text);
    await rename(tmp, path);
    return path;
  }

  async removeManifest(file: string): Promise<void> {
    await unlink(join(this.manifests, file));
  }

  async sandboxes(): Promise<PodSandbox[]> {
    return this.cri.listPodSandbox({ labelSelector: ownedSelector(this.nodeName) });
  }

  async containers(): Promise<Container[]> {
    return this.cri.listContainers({ labelSelector: ownedSelector(this.nodeName) });
  }

  /** The running container `name` of pod `pod` (manifest name), if any. */
  async running(pod: string, name: string): Promise<Container | undefined> {
    const full = this.podName(pod);
    return (await this.containers()).find(
      (c) => c.labels['io.kubernetes.pod.name'] === full && c.metadata.name === name && c.state === 'CONTAINER_RUNNING',
    );
  }

  /** Stops the agents and removes what the test made. After a test that failed, each agent's last
   * log lines go with the failure into the report: often the only account of what the agent did. */
  async cleanup(test?: TestContext | SuiteContext): Promise<void> {
    // Node 20 has `passed` on a test's context (an afterEach hook's); its types do not say so.
    if (test && 'diagnostic' in test && Reflect.get(test, 'passed') === false)
      this.agents.forEach((a, i) =>
        test.diagnostic(
          `agent ${i + 1} of ${this.agents.length} (node ${this.nodeName}), its last ${Math.min(a.logs.length, FAILURE_LOG_LINES)} of ${a.logs.length} log lines:\n${a.logs.slice(-FAILURE_LOG_LINES).join('\n')}`,
        ),
      );
    for (const a of this.agents) await a.stop('SIGKILL');
    for (const sb of await this.sandboxes().catch(() => [])) {
      await this.cri.stopPodSandbox(sb.id).catch(() => undefined);
      await this.cri.removePodSandbox(sb.id).catch(() => undefined);
    }
    this.cri.close();
    if (this.dir) await rm(this.dir, { recursive: true, force: true });
  }
}

/** How much of an agent's log a failed test reports (debug level: a few seconds' worth). */
const FAILURE_LOG_LINES = 300;

/** A TestNode set up before each test of the suite and cleaned up after it. */
export function useTestNode(): TestNode {
  const node = new TestNode();
  beforeEach(async () => {
    await node.setup();
  });
  afterEach(async (t) => {
    await node.cleanup(t);
  });
  return node;
}

/** A manifest for a busybox pod. `command` runs under sh -c with a TERM trap, so stops are quick. */
export function manifest(
  name: string,
  opts: {
    script?: string;
    restartPolicy?: string;
    labels?: Record<string, string>;
    extraSpec?: string;
    extraContainer?: string;
    grace?: number;
    trapTerm?: boolean;
  } = {},
): string {
  const script = opts.script ?? 'sleep 3600';
  const wrapped = opts.trapTerm === false ? script : `trap 'exit 0' TERM; ${script} & wait`;
  const labels = Object.entries(opts.labels ?? { app: name })
    .map(([k, v]) => `    ${k}: ${JSON.stringify(v)}\n`)
    .join('');
  return `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
  labels:
${labels}spec:
  terminationGracePeriodSeconds: ${opts.grace ?? 5}
${opts.restartPolicy ? `  restartPolicy: ${opts.restartPolicy}\n` : ''}${opts.extraSpec ?? ''}  containers:
    - name: main
      image: ${IMAGE}
      command: ["sh", "-c", ${JSON.stringify(wrapped)}]
${opts.extraContainer ?? ''}`;
}
