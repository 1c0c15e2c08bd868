// Printing a container's log file: all of it or its tail, then with --follow what is added, across
// the container's restarts, until interrupted or the pod's logs go away.
import { watch, type FSWatcher } from 'node:fs';
import { LogFile, type LinesSink } from '../runtime/pod-logs/follow.js';
import { PodLogsError, listAttempts } from '../runtime/pod-logs/layout.js';
import type { LogsOptions } from './logs.js';
import { logFilePath, resolveTarget, type LogTarget } from './logs-target.js';
import { renderLines, type Output } from './logs-output.js';

/** How often a follower looks at the files when no file event woke it, and at most how often it reads. */
const POLL_MS = 500;
const MIN_INTERVAL_MS = 50;

/**
 * Prints the logs, then with `follow` goes on until `signal` aborts or the pod's (or container's)
 * log directory goes away; a new attempt's file (the container restarted) is followed from its start.
 */
export async function streamLogs(
  o: LogsOptions,
  out: Output,
  signal?: AbortSignal,
  notice: (line: string) => void = () => {},
): Promise<void> {
  const target = await resolveTarget(o);
  target.notices.forEach(notice);
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
