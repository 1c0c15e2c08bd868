// Which log file `staticlet logs` reads: the pod's log directory (by manifest or full pod name),
// the container and the attempt.
import { join } from 'node:path';
import {
  PodLogsError,
  lastLogTime,
  listAttempts,
  listContainerDirs,
  listPodLogDirs,
  type PodLogDir,
} from '../runtime/pod-logs/layout.js';
import type { LogsOptions } from './logs.js';

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
