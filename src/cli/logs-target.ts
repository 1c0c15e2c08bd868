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
import type { V1Pod } from '@kubernetes/client-node';
import { defaultContainer } from '../core/default-container.js';
import type { LogsOptions } from './logs.js';
import { scanOnce } from './read-sources-once.js';

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

/** The container to read, and what to tell the user about the choice. */
export interface ChosenContainer {
  readonly name: string;
  readonly notices: readonly string[];
}

/**
 * The container to read: the one asked for; else the pod's only one; else, when the pod's
 * manifest is known, kubectl's default (the `kubectl.kubernetes.io/default-container`
 * annotation's container, else the first).
 */
export async function resolveContainer(
  pod: PodLogDir,
  container: string | undefined,
  manifest?: V1Pod,
): Promise<ChosenContainer> {
  const containers = await listContainerDirs(pod.path);
  if (container !== undefined) {
    if (containers.includes(container)) return { name: container, notices: [] };
    throw new PodLogsError(
      containers.length > 0
        ? `container "${container}" is not valid for pod ${pod.podName}, choose one of: [${containers.join(' ')}] (${pod.path})`
        : `container "${container}" is not valid for pod ${pod.podName}: it has no container logs yet (${pod.path})`,
    );
  }
  const defaulted = manifest ? defaultContainer(manifest) : undefined;
  if (defaulted) {
    if (containers.includes(defaulted.name)) return defaulted;
    throw new PodLogsError(
      `container "${defaulted.name}" (the pod's default) has no logs yet in pod ${pod.podName} (${pod.path})`,
    );
  }
  if (containers.length === 1) return { name: containers[0]!, notices: [] };
  if (containers.length === 0) throw new PodLogsError(`pod ${pod.podName} has no container logs yet (${pod.path})`);
  throw new PodLogsError(
    `a container name must be specified for pod ${pod.podName}, choose one of: [${containers.join(' ')}]` +
      ' (or give --pod-manifest-path or --config, and the default container is chosen as kubectl does)',
  );
}

/** The pod's manifest as the agent reads it, when the manifest path is known and has the pod. */
async function manifestOf(o: Pick<LogsOptions, 'podManifestPath' | 'namespace' | 'nodeName'>, podName: string) {
  if (o.podManifestPath === undefined) return undefined;
  const { events } = await scanOnce(o.podManifestPath, o.nodeName);
  for (const e of events) {
    if (e.type !== 'ManifestRead') continue;
    const found = e.pods.find((p) => p.namespace === o.namespace && p.name === podName);
    if (found) return found.pod;
  }
  return undefined;
}

export interface LogTarget {
  readonly pod: PodLogDir;
  readonly container: string;
  readonly containerDir: string;
  /** The attempt to read; undefined when the container has not logged yet (following waits for it). */
  readonly attempt?: number;
  /** What to tell the user on stderr: which container was defaulted to. */
  readonly notices: readonly string[];
}

export async function resolveTarget(o: LogsOptions): Promise<LogTarget> {
  const pod = await resolvePodDir(o);
  const manifest = o.container === undefined ? await manifestOf(o, pod.podName) : undefined;
  const { name: container, notices } = await resolveContainer(pod, o.container, manifest);
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
    return { pod, container, containerDir, attempt: previous, notices };
  }
  if (current === undefined && !o.follow) {
    throw new PodLogsError(`container "${container}" in pod "${pod.podName}" has no log file yet (${containerDir})`);
  }
  return { pod, container, containerDir, ...(current !== undefined ? { attempt: current } : {}), notices };
}

export const logFilePath = (t: Pick<LogTarget, 'containerDir'>, attempt: number): string =>
  join(t.containerDir, `${attempt}.log`);
