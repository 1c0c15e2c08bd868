// Printing a container's log file for `staticlet logs`: all of it or its tail, then with --follow
// what is added, across the container's restarts, until interrupted or the pod's logs go away.
import type { LinesSink } from '../runtime/pod-logs/follow.js';
import { renderLines } from '../runtime/pod-logs/render.js';
import { streamContainerLog } from '../runtime/pod-logs/stream.js';
import type { LogsOptions } from './logs.js';
import { resolveTarget } from './logs-target.js';
import type { Output } from './logs-output.js';

/** `notice`: what kubectl says on stderr (the container chosen for the user). */
export async function streamLogs(
  o: LogsOptions,
  out: Output,
  signal?: AbortSignal,
  notice: (line: string) => void = () => {},
): Promise<void> {
  const target = await resolveTarget(o);
  target.notices.forEach(notice);
  const sink: LinesSink = (lines) => out(renderLines(lines, o.timestamps));
  await streamContainerLog(
    {
      containerDir: target.containerDir,
      container: target.container,
      podName: target.pod.podName,
      ...(target.attempt !== undefined ? { attempt: target.attempt } : {}),
    },
    // A previous container writes no more.
    { ...(o.tail !== undefined ? { tail: o.tail } : {}), follow: o.follow && !o.previous, acrossRestarts: true },
    sink,
    signal,
  );
}
