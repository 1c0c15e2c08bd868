// `staticlet logs`: a static pod's container logs, like `kubectl logs`, read from the CRI log files
// under the pod logs directory: no API server and no runtime needed.
import { watch, type FSWatcher } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  LogFile,
  PodLogsError,
  lastLogTime,
  listAttempts,
  listContainerDirs,
  listPodLogDirs,
  type LinesSink,
  type LogLine,
  type PodLogDir,
} from '../runtime/pod-logs.js';
import { ConfigError, readConfigFile } from './config-file.js';
import { UsageError, nodeNameFrom } from './flags.js';
import { DEFAULTS } from './options.js';

export const LOGS_USAGE = `Usage: staticlet logs POD [flags]   print a container's logs from the pod log files (no runtime needed)

POD is the manifest's name (web) or the pod's full name (web-<node>), the former first.
  -c, --container=NAME           the container (default: the pod's only container)
  -p, --previous                 the container's previous instance (before its last restart)
  -f, --follow                   go on printing new lines, across restarts, until interrupted
      --tail=N                   only the last N lines (default -1: all)
      --timestamps               prefix each line with its time (RFC3339Nano)
  -n, --namespace=NAMESPACE      the pod's namespace (default "default")
      --pod-logs-dir=DIR         root of the pods' log directories (default ${DEFAULTS.podLogsDir})
      --hostname-override=NAME   node name (default: the host name, lower-cased)
      --config=FILE              take podLogsDir from a KubeletConfiguration; flags win
  -h, --help`;

const LOGS_FLAGS = {
  container: { type: 'string', short: 'c' },
  previous: { type: 'boolean', short: 'p' },
  follow: { type: 'boolean', short: 'f' },
  tail: { type: 'string' },
  timestamps: { type: 'boolean' },
  namespace: { type: 'string', short: 'n' },
  'pod-logs-dir': { type: 'string' },
  'hostname-override': { type: 'string' },
  config: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

export interface LogsOptions {
  /** As given: a manifest name or a full pod name. */
  readonly pod: string;
  readonly namespace: string;
  readonly container?: string;
  readonly previous: boolean;
  readonly follow: boolean;
  /** The last N lines; undefined for all. */
  readonly tail?: number;
  readonly timestamps: boolean;
  readonly podLogsDir: string;
  readonly nodeName: string;
}

/** The agent's node name (as in flags.ts): the override or the host name, trimmed and lower-cased. */
export async function parseLogsArgs(argv: readonly string[]): Promise<LogsOptions | 'help'> {
  let values: Partial<Record<keyof typeof LOGS_FLAGS, string | boolean>>;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: [...argv],
      options: LOGS_FLAGS,
      strict: true,
      allowPositionals: true,
    }));
  } catch (err) {
    throw new UsageError((err as Error).message.split('\n')[0]!);
  }
  if (values.help) return 'help';
  const str = (name: keyof typeof LOGS_FLAGS): string | undefined => values[name] as string | undefined;
  if (positionals.length === 0) throw new UsageError('logs: a pod name is required (staticlet logs POD)');
  if (positionals.length > 1) throw new UsageError(`logs: unexpected argument "${positionals[1]}"`);
  // kubectl's TYPE/NAME form, for the one type there is.
  const pod = positionals[0]!.replace(/^pods?\//, '');
  if (!/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(pod))
    throw new UsageError(`logs: "${positionals[0]}" is not a pod name`);
  const namespace = str('namespace') ?? 'default';
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(namespace))
    throw new UsageError(`logs: "${namespace}" is not a namespace`);
  const container = str('container');
  if (container !== undefined && !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(container))
    throw new UsageError(`logs: "${container}" is not a container name`);
  let tail: number | undefined;
  const tailText = str('tail');
  if (tailText !== undefined) {
    const n = /^-?\d+$/.test(tailText.trim()) ? Number(tailText) : NaN;
    if (!Number.isSafeInteger(n) || n < -1)
      throw new UsageError(`--tail: "${tailText}" is not a number of lines (-1 for all)`);
    if (n >= 0) tail = n;
  }
  let configLogsDir: string | undefined;
  const config = str('config');
  if (config !== undefined) {
    try {
      configLogsDir = (await readConfigFile(config)).podLogsDir;
    } catch (err) {
      if (err instanceof ConfigError) throw new UsageError(err.message);
      throw err;
    }
  }
  return {
    pod,
    namespace,
    ...(container !== undefined ? { container } : {}),
    previous: values.previous === true,
    follow: values.follow === true,
    ...(tail !== undefined ? { tail } : {}),
    timestamps: values.timestamps === true,
    podLogsDir: str('pod-logs-dir') ?? configLogsDir ?? DEFAULTS.podLogsDir,
    nodeName: nodeNameFrom(str('hostname-override')),
  };
}

/**
 * The pod's log directory. POD is first taken as a manifest name (the pod `<POD>-<node>`: static
 * pods are named so), then as a full pod name. Of several directories of one pod (replaced pods
 * keep theirs under their old UIDs), the one that logged last.
 */
export async function resolvePodDir(
  o: Pick<LogsOptions, 'pod' | 'namespace' | 'podLogsDir' | 'nodeName'>,
): Promise<PodLogDir> {
  const all = await listPodLogDirs(o.podLogsDir);
  const fullName = `${o.pod}-${o.nodeName}`;
  const inNamespace = all.filter((d) => d.namespace === o.namespace);
  let matches = inNamespace.filter((d) => d.podName === fullName);
  if (matches.length === 0) matches = inNamespace.filter((d) => d.podName === o.pod);
  if (matches.length === 0) {
    const hints: string[] = [];
    const elsewhere = [
      ...new Set(all.filter((d) => d.podName === o.pod || d.podName === fullName).map((d) => d.namespace)),
    ];
    if (elsewhere.length > 0) hints.push(`it is in namespace ${elsewhere.join(', ')} (use -n)`);
    const otherNodes = [...new Set(inNamespace.filter((d) => d.podName.startsWith(`${o.pod}-`)).map((d) => d.podName))];
    if (otherNodes.length > 0 && elsewhere.length === 0)
      hints.push(
        `pods named ${otherNodes.join(', ')} have logs; the node name is "${o.nodeName}" (see --hostname-override)`,
      );
    throw new PodLogsError(
      `pod "${o.pod}" not found in namespace "${o.namespace}": no log directory ${o.namespace}_${fullName}_<uid> or ${o.namespace}_${o.pod}_<uid> in ${o.podLogsDir}` +
        (hints.length > 0 ? `; ${hints.join('; ')}` : ''),
    );
  }
  if (matches.length === 1) return matches[0]!;
  const timed = await Promise.all(matches.map(async (d) => ({ d, t: await lastLogTime(d.path) })));
  timed.sort((a, b) => b.t - a.t || a.d.uid.localeCompare(b.d.uid));
  return timed[0]!.d;
}

/** The container to read: the one asked for, or the pod's only one. */
export async function resolveContainer(pod: PodLogDir, container: string | undefined): Promise<string> {
  const containers = await listContainerDirs(pod.path);
  if (container !== undefined) {
    if (containers.includes(container)) return container;
    throw new PodLogsError(
      containers.length > 0
        ? `container "${container}" is not valid for pod ${pod.podName}, choose one of: [${containers.join(' ')}] (${pod.path})`
        : `container "${container}" is not valid for pod ${pod.podName}: it has no container logs yet (${pod.path})`,
    );
  }
  if (containers.length === 1) return containers[0]!;
  if (containers.length === 0) throw new PodLogsError(`pod ${pod.podName} has no container logs yet (${pod.path})`);
  throw new PodLogsError(
    `a container name must be specified for pod ${pod.podName}, choose one of: [${containers.join(' ')}]`,
  );
}

export interface LogTarget {
  readonly pod: PodLogDir;
  readonly container: string;
  readonly containerDir: string;
  /** The attempt to read; undefined when the container has not logged yet (following waits for it). */
  readonly attempt?: number;
}

export async function resolveTarget(o: LogsOptions): Promise<LogTarget> {
  const pod = await resolvePodDir(o);
  const container = await resolveContainer(pod, o.container);
  const containerDir = join(pod.path, container);
  let attempts: number[];
  try {
    attempts = await listAttempts(containerDir);
  } catch (err) {
    throw new PodLogsError(
      `cannot read the log directory ${containerDir} of container "${container}" in pod "${pod.podName}": ${(err as Error).message}`,
    );
  }
  const current = attempts.at(-1);
  if (o.previous) {
    const previous = attempts.at(-2);
    if (previous === undefined)
      throw new PodLogsError(`previous terminated container "${container}" in pod "${pod.podName}" not found`);
    return { pod, container, containerDir, attempt: previous };
  }
  if (current === undefined && !o.follow) {
    throw new PodLogsError(`container "${container}" in pod "${pod.podName}" has no log file yet (${containerDir})`);
  }
  return { pod, container, containerDir, ...(current !== undefined ? { attempt: current } : {}) };
}

export const logFilePath = (t: Pick<LogTarget, 'containerDir'>, attempt: number): string =>
  join(t.containerDir, `${attempt}.log`);

/** The lines as printed: the content, after the time with --timestamps. kubectl prints both streams to stdout. */
export function renderLines(lines: readonly LogLine[], timestamps: boolean): Buffer {
  const parts: Buffer[] = [];
  for (const l of lines) {
    if (timestamps) parts.push(Buffer.from(`${l.time} `, 'latin1'));
    parts.push(l.content, NEWLINE);
  }
  return Buffer.concat(parts);
}
const NEWLINE = Buffer.from('\n');

export type Output = (data: Buffer) => Promise<void> | void;

/** How often a follower looks at the files when no file event woke it, and at most how often it reads. */
const POLL_MS = 500;
const MIN_INTERVAL_MS = 50;

/**
 * Prints the logs, then with `follow` goes on until `signal` aborts or the pod's (or container's)
 * log directory goes away; a new attempt's file (the container restarted) is followed from its start.
 */
export async function streamLogs(o: LogsOptions, out: Output, signal?: AbortSignal): Promise<void> {
  const target = await resolveTarget(o);
  const sink: LinesSink = (lines) => out(renderLines(lines, o.timestamps));
  const follow = o.follow && !o.previous; // a previous container writes no more
  let file: LogFile | undefined;
  if (target.attempt !== undefined) {
    const path = logFilePath(target, target.attempt);
    try {
      file = await LogFile.open(path);
    } catch (err) {
      throw new PodLogsError(
        `cannot read the log file ${path} of container "${target.container}" in pod "${target.pod.podName}": ${(err as Error).message}`,
      );
    }
    try {
      await file.read(o.tail, follow, sink);
    } catch (err) {
      await file.close();
      throw err;
    }
  }
  if (!follow) {
    await file?.close();
    return;
  }
  await followLogs(target, file, sink, signal);
}

async function followLogs(
  target: LogTarget,
  initial: LogFile | undefined,
  sink: LinesSink,
  signal?: AbortSignal,
): Promise<void> {
  let file = initial;
  let attempt = target.attempt ?? -1;
  const waker = new Waker(signal);
  let watcher: FSWatcher | undefined;
  try {
    watcher = watch(target.containerDir, { persistent: false }, () => waker.wake());
    watcher.on('error', () => waker.wake());
  } catch {
    // Polling alone.
  }
  try {
    while (!signal?.aborted) {
      if (file) await file.readMore(sink);
      let attempts: number[];
      try {
        attempts = await listAttempts(target.containerDir);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR') {
          // The pod was removed with its logs: what was read is all there is.
          await file?.finish(sink);
          file = undefined;
          return;
        }
        throw new PodLogsError(`cannot read the log directory ${target.containerDir}: ${(err as Error).message}`);
      }
      const newest = attempts.at(-1);
      if (newest !== undefined && newest > attempt) {
        // The container restarted: the old instance is done, its open partial lines with it.
        await file?.finish(sink);
        file = undefined;
        const next = await LogFile.open(logFilePath(target, newest)).catch(() => undefined);
        if (next) {
          file = next;
          attempt = newest;
          await file.read(undefined, true, sink);
          continue;
        }
        // Not openable (yet): tried again after the wait.
      }
      if (file) await file.followRotation(sink);
      await waker.wait(POLL_MS, MIN_INTERVAL_MS);
    }
  } finally {
    watcher?.close();
    await file?.close();
  }
}

/** Sleeps until woken (a file event, the abort signal) or the poll period, never twice within minMs. */
class Waker {
  private woken = false;
  private resolve: (() => void) | undefined;
  private last = 0;

  constructor(private readonly signal?: AbortSignal) {
    signal?.addEventListener('abort', () => this.wake(), { once: true });
  }

  wake(): void {
    this.woken = true;
    this.resolve?.();
  }

  async wait(pollMs: number, minMs: number): Promise<void> {
    const since = Date.now() - this.last;
    if (since < minMs) await new Promise((r) => setTimeout(r, minMs - since));
    if (!this.woken && !this.signal?.aborted) {
      await new Promise<void>((r) => {
        const timer = setTimeout(done, pollMs);
        function done() {
          clearTimeout(timer);
          r();
        }
        this.resolve = done;
      });
    }
    this.resolve = undefined;
    this.woken = false;
    this.last = Date.now();
  }
}

class OutputClosed extends Error {
  override name = 'OutputClosed';
}

/** `staticlet logs ...` on this process's stdout/stderr: returns the exit code. */
export async function runLogsCommand(argv: readonly string[]): Promise<number> {
  let options: LogsOptions | 'help';
  try {
    options = await parseLogsArgs(argv);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`staticlet: ${err.message}\n(see staticlet logs --help)\n`);
      return 2;
    }
    throw err;
  }
  if (options === 'help') {
    process.stdout.write(LOGS_USAGE + '\n');
    return 0;
  }
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  if (options.follow && !options.previous) {
    // Following ends on a signal with exit code 0; otherwise a signal ends the command as usual.
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
  }
  const stdout = process.stdout;
  let closed = false;
  // A closed pipe (`| head`) ends the command quietly.
  const onError = () => {
    closed = true;
    stop.abort();
  };
  stdout.on('error', onError);
  const out: Output = async (data) => {
    if (closed) throw new OutputClosed();
    if (data.length === 0) return;
    if (!stdout.write(data)) {
      await new Promise<void>((r) => {
        const done = () => {
          stdout.off('drain', done);
          stop.signal.removeEventListener('abort', done);
          r();
        };
        stdout.on('drain', done);
        stop.signal.addEventListener('abort', done);
      });
    }
  };
  try {
    await streamLogs(options, out, stop.signal);
    return 0;
  } catch (err) {
    if (err instanceof OutputClosed || closed) return 0;
    if (err instanceof PodLogsError) {
      process.stderr.write(`staticlet logs: ${err.message}\n`);
      return 1;
    }
    throw err;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
