// A container's log read as `staticlet logs` and the kubelet port's /containerLogs both serve it:
// its current (or a chosen) attempt's file, all of it or its tail, then, following, what is
// added, across rotation, until told to stop. What happens at a restart is the caller's choice:
// `staticlet logs -f` goes on with the new attempt's file; the kubelet ends the stream there.
import { watch, type FSWatcher } from 'node:fs';
import { join } from 'node:path';
import { LogFile, type LinesSink } from './follow.js';
import { PodLogsError, listAttempts } from './layout.js';

/** How often a follower looks at the files when no file event woke it, and at most how often it reads. */
const POLL_MS = 500;
const MIN_INTERVAL_MS = 50;

export interface ContainerLogSource {
  /** `<podLogsDir>/<namespace>_<pod>_<uid>/<container>`. */
  readonly containerDir: string;
  /** For messages. */
  readonly container: string;
  readonly podName: string;
  /** The attempt to read; undefined when the container has not logged yet (following waits for it). */
  readonly attempt?: number;
}

export interface ContainerLogReading {
  /** Only the last N lines of the first file. */
  readonly tail?: number;
  readonly follow: boolean;
  /** Following goes on into the file of a newer attempt (the container restarted); else it ends there. */
  readonly acrossRestarts: boolean;
  /**
   * Asked between reads while following: false ends the stream once the file is read to its end
   * (the container it belongs to stopped).
   */
  readonly stillWriting?: () => boolean;
}

export const logFilePath = (containerDir: string, attempt: number): string => join(containerDir, `${attempt}.log`);

/**
 * Sends the log's lines to `sink`, then, following, goes on until `signal` aborts, the
 * container's log directory goes away, or (per `reading`) its writer is done.
 */
export async function streamContainerLog(
  source: ContainerLogSource,
  reading: ContainerLogReading,
  sink: LinesSink,
  signal?: AbortSignal,
): Promise<void> {
  let file: LogFile | undefined;
  if (source.attempt !== undefined) {
    const path = logFilePath(source.containerDir, source.attempt);
    try {
      file = await LogFile.open(path);
    } catch (err) {
      throw new PodLogsError(
        `cannot read the log file ${path} of container "${source.container}" in pod "${source.podName}": ${(err as Error).message}`,
      );
    }
    try {
      await file.read(reading.tail, reading.follow, sink);
    } catch (err) {
      await file.close();
      throw err;
    }
  }
  if (!reading.follow || signal?.aborted) {
    await file?.close();
    return;
  }
  await followLog(source, reading, file, sink, signal);
}

async function followLog(
  source: ContainerLogSource,
  reading: ContainerLogReading,
  initial: LogFile | undefined,
  sink: LinesSink,
  signal?: AbortSignal,
): Promise<void> {
  let file = initial;
  let attempt = source.attempt ?? -1;
  const waker = new Waker(signal);
  let watcher: FSWatcher | undefined;
  try {
    watcher = watch(source.containerDir, { persistent: false }, () => waker.wake());
    watcher.on('error', () => waker.wake());
  } catch {
    // Polling alone.
  }
  try {
    while (!signal?.aborted) {
      // Asked before the read, so that what the writer wrote before it stopped is still read.
      const writing = reading.stillWriting?.() ?? true;
      if (file) await file.readMore(sink);
      let attempts: number[];
      try {
        attempts = await listAttempts(source.containerDir);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR') {
          // The pod was removed with its logs: what was read is all there is.
          await file?.finish(sink);
          file = undefined;
          return;
        }
        throw new PodLogsError(`cannot read the log directory ${source.containerDir}: ${(err as Error).message}`);
      }
      const newest = attempts.at(-1);
      if (newest !== undefined && newest > attempt) {
        // The container restarted: the old instance is done, its open partial lines with it.
        await file?.finish(sink);
        file = undefined;
        if (!reading.acrossRestarts && attempt >= 0) return;
        const next = await LogFile.open(logFilePath(source.containerDir, newest)).catch(() => undefined);
        if (next) {
          file = next;
          attempt = newest;
          await file.read(undefined, true, sink);
          continue;
        }
        // Not openable (yet): tried again after the wait.
      }
      if (file) await file.followRotation(sink);
      if (!writing) {
        await file?.finish(sink);
        file = undefined;
        return;
      }
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
