// /containerLogs/{namespace}/{pod}/{container}: a static pod's container log, read from the pod's
// log directory as `staticlet logs` reads it, with the kubelet's PodLogOptions: previous,
// tailLines, sinceSeconds/sinceTime, timestamps, limitBytes, follow. Following ends when the
// client goes away, when the container stops or is replaced (the kubelet's log stream ends with
// the container it reads), at limitBytes, or when the routes are closed.
import { join } from 'node:path';
import type { ServerResponse } from 'node:http';
import { podLogDirectory } from '../../core/runtime-spec.js';
import type { LogQuery } from '../../core/serving/kubelet-paths.js';
import { containerInstances } from '../../core/serving/pod-access.js';
import type { State } from '../../core/model/state.js';
import type { StaticPod } from '../../core/model/static-pod.js';
import type { LogLine } from '../pod-logs/cri-log-line.js';
import { PodLogsError, listAttempts } from '../pod-logs/layout.js';
import { renderLines } from '../pod-logs/render.js';
import { streamContainerLog, type ContainerLogSource } from '../pod-logs/stream.js';

export interface ContainerLogsRequest {
  readonly pod: StaticPod;
  readonly container: string;
  readonly log: LogQuery;
}

/** Which file to read, or the kubelet's 400 when there is none. */
export async function chooseLogSource(
  state: State,
  podLogsDir: string,
  r: ContainerLogsRequest,
): Promise<
  | {
      source: ContainerLogSource;
      /** The runtime's container whose log this is, when the state knows it and it is the current one. */
      containerId?: string;
    }
  | { status: 400; message: string }
> {
  const containerDir = join(podLogDirectory(r.pod, podLogsDir), r.container);
  const attempts = await listAttempts(containerDir).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT' || err.code === 'ENOTDIR') return [] as number[];
    throw new PodLogsError(`cannot read the log directory ${containerDir}: ${err.message}`);
  });
  const current = containerInstances(state, r.pod, r.container).at(-1);
  const currentAttempt = current?.attempt ?? attempts.at(-1);
  const base = { containerDir, container: r.container, podName: r.pod.name };
  if (r.log.previous) {
    const previous = currentAttempt === undefined ? undefined : attempts.filter((a) => a < currentAttempt).at(-1);
    if (previous === undefined)
      return {
        status: 400,
        message: `previous terminated container "${r.container}" in pod "${r.pod.name}" not found`,
      };
    return { source: { ...base, attempt: previous } };
  }
  if (currentAttempt === undefined || !attempts.includes(currentAttempt))
    return {
      status: 400,
      message: `container "${r.container}" in pod "${r.pod.name}" is waiting to start: ContainerCreating`,
    };
  return {
    source: { ...base, attempt: currentAttempt },
    ...(current?.attempt === currentAttempt ? { containerId: current.id } : {}),
  };
}

/**
 * Writes the log on `res` (200, text/plain, chunked), until done or `signal`. `stillRunning`
 * says, while following, whether the container read is still the pod's running instance.
 */
export async function writeContainerLog(
  res: ServerResponse,
  source: ContainerLogSource,
  log: LogQuery,
  stillRunning: () => boolean,
  signal: AbortSignal,
  now: number = Date.now(),
): Promise<void> {
  const stop = new AbortController();
  const abort = () => stop.abort();
  signal.addEventListener('abort', abort, { once: true });
  res.once('close', abort);
  const since = log.sinceSeconds !== undefined ? now - log.sinceSeconds * 1000 : log.sinceTime;
  let budget = log.limitBytes ?? Infinity;
  const keep = (l: LogLine) =>
    (log.stream === 'All' || (log.stream === 'Stdout') === (l.stream === 'stdout')) &&
    (since === undefined || !(lineTime(l) < since));
  res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-cache' });
  res.flushHeaders();
  try {
    await streamContainerLog(
      source,
      {
        ...(log.tailLines !== undefined ? { tail: log.tailLines } : {}),
        follow: log.follow && !log.previous,
        acrossRestarts: false,
        stillWriting: stillRunning,
      },
      async (lines) => {
        if (stop.signal.aborted) return;
        let data = renderLines(lines.filter(keep), log.timestamps);
        if (data.length === 0) return;
        if (data.length >= budget) {
          data = data.subarray(0, budget);
          stop.abort();
        }
        budget -= data.length;
        await write(res, data, stop.signal);
      },
      stop.signal,
    );
  } finally {
    signal.removeEventListener('abort', abort);
    res.end();
  }
}

/** A CRI log line's time (RFC 3339 with nanoseconds), ms since the epoch; NaN when unreadable. */
function lineTime(l: LogLine): number {
  return Date.parse(l.time);
}

/** Writes with back-pressure: waits for the drain, or for the stop. */
function write(res: ServerResponse, data: Buffer, stop: AbortSignal): Promise<void> {
  if (res.write(data) || stop.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      stop.removeEventListener('abort', done);
      resolve();
    };
    res.on('drain', done);
    stop.addEventListener('abort', done, { once: true });
  });
}
