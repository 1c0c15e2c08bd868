// Stopping and removing: StopContainer (a failed probe), KillPod (stop, and remove with the pod's
// directory) and RemoveContainers. What is stopped is marked in the status cache first.
import type { KillPod, RemoveContainers, StopContainer } from '../../core/model/actions.js';
import type { ActionOutcome } from '../../core/model/events.js';
import { podDirectory, podLogDirectory, podVolumesDirectory } from '../../core/runtime-spec.js';
import { containerFromStatus, observeContainer } from '../../runtime/cri/observations.js';
import { CriError } from '../../cri-api/runtime-service.js';
import { runPreStop } from '../hooks.js';
import { hookHost, short, type Effects } from './deps.js';

export async function stopContainer(deps: Effects, action: StopContainer): Promise<ActionOutcome> {
  deps.log.info(
    { pod: action.podFullName, container: action.containerName, reason: action.reason },
    `container failed its ${action.reason} probe: restarting it`,
  );
  const current = await deps.cri.containerStatus(action.containerId);
  const sandboxId = action.sandboxId;
  deps.expectedExits?.expect(action.containerId);
  const grace = await runPreStop(
    deps.probes,
    action.preStop,
    { containerId: action.containerId, host: await hookHost(deps, sandboxId) },
    action.gracePeriodSeconds,
  );
  await ignoreNotFound(deps.cri.stopContainer(action.containerId, grace));
  const status = await deps.cri.containerStatus(action.containerId).catch(() => current);
  return { containers: [observeContainer(containerFromStatus(status, sandboxId), status, deps.now())] };
}

export async function killPod(deps: Effects, action: KillPod): Promise<ActionOutcome> {
  const cache = deps.statusCache;
  for (const c of action.containers) {
    deps.expectedExits?.expect(c.id);
    if (action.remove) cache?.removing.add(c.id);
  }
  // A sandbox's own task (its pause process) has the sandbox's id; a removal reports it gone.
  if (action.remove) for (const id of action.sandboxIds) deps.expectedExits?.expect(id);
  const hosts = new Map<string, Promise<string>>();
  const hostOf = (sandboxId: string) => {
    if (!hosts.has(sandboxId)) hosts.set(sandboxId, hookHost(deps, sandboxId));
    return hosts.get(sandboxId)!;
  };
  await Promise.all(
    action.containers.map(async (c) => {
      const grace = c.preStop
        ? await runPreStop(
            deps.probes,
            c.preStop,
            { containerId: c.id, host: await hostOf(c.sandboxId) },
            c.gracePeriodSeconds,
          )
        : c.gracePeriodSeconds;
      await ignoreNotFound(deps.cri.stopContainer(c.id, grace));
    }),
  );
  await Promise.all(action.sandboxIds.map((id) => ignoreNotFound(deps.cri.stopPodSandbox(id))));
  if (action.remove) {
    // RemovePodSandbox takes the sandbox's containers with it; only strays need their own call.
    const removedSandboxes = new Set(action.sandboxIds);
    for (const c of action.containers)
      if (!removedSandboxes.has(c.sandboxId)) await ignoreNotFound(deps.cri.removeContainer(c.id));
    await Promise.all(action.sandboxIds.map((id) => ignoreNotFound(deps.cri.removePodSandbox(id))));
    if (action.reason === 'removed' || action.reason === 'replaced') {
      // Memory-backed emptyDirs are tmpfs mounts, the only mounts the agent makes, all below the
      // pod's volumes directory: off before the directory goes.
      await deps.host.unmountUnder(podVolumesDirectory(deps.spec.rootDir, action.podUid));
      await deps.host.removeTree(podDirectory(deps.spec.rootDir, action.podUid));
      // Its logs go with it, as the kubelet's garbage collection does: nothing reads a removed
      // pod's logs, and a node that replaces pods for months would otherwise fill its disk.
      const logs = podLogsOf(action.podFullName, action.podUid, deps.spec.podLogsDir);
      if (logs) await deps.host.removeTree(logs);
    }
    deps.log.info(
      { pod: action.podFullName, reason: action.reason, sandboxes: action.sandboxIds.map(short) },
      action.reason === 'garbage' ? 'old sandboxes removed' : 'pod removed',
    );
    return { removedSandboxIds: action.sandboxIds, removedContainerIds: action.containers.map((c) => c.id) };
  }
  // Stopped but kept: read back what they look like now.
  const now = deps.now();
  const containers = await Promise.all(
    action.containers.map(async (c) => {
      const status = await deps.cri.containerStatus(c.id).catch(() => undefined);
      return status ? observeContainer(containerFromStatus(status, c.sandboxId), status, now) : undefined;
    }),
  );
  deps.log.info({ pod: action.podFullName, reason: action.reason }, 'containers stopped');
  return { containers: containers.filter((c) => c !== undefined) };
}

export async function removeContainers(deps: Effects, action: RemoveContainers): Promise<ActionOutcome> {
  for (const id of action.containerIds) await ignoreNotFound(deps.cri.removeContainer(id));
  return { removedContainerIds: action.containerIds };
}

/** The log directory of a pod known by its `namespace/name` (a pod with no sandbox has none). */
function podLogsOf(podFullName: string, uid: string, podLogsDir: string): string | undefined {
  const slash = podFullName.indexOf('/');
  if (slash <= 0) return undefined;
  return podLogDirectory(
    { namespace: podFullName.slice(0, slash), name: podFullName.slice(slash + 1), uid },
    podLogsDir,
  );
}

async function ignoreNotFound(p: Promise<void>): Promise<void> {
  try {
    await p;
  } catch (err) {
    if (err instanceof CriError && err.code === 'NOT_FOUND') return;
    throw err;
  }
}
