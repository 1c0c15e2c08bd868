// CreateSandbox: RunPodSandbox, with the images, the log directory and (on the host network) the
// first container's config made ready while it runs; then the first container's start.
import type { CreateSandbox, FirstContainer, StartContainer } from '../../core/model/actions.js';
import type { ActionOutcome } from '../../core/model/events.js';
import type { SandboxObservation } from '../../core/model/observations.js';
import { findContainer, needsImageUser, sandboxConfig } from '../../core/runtime-spec.js';
import { observeSandbox } from '../../runtime/cri/observations.js';
import type { ContainerConfig, PodSandboxConfig } from '../../cri-api/messages.js';
import { ActionError } from '../action-error.js';
import { prepareContainer } from './container-config.js';
import { startContainer, type PreparedAhead } from './container-start.js';
import { messageOf, short, type Effects } from './deps.js';

export async function createSandbox(deps: Effects, action: CreateSandbox): Promise<ActionOutcome> {
  const config = sandboxConfig(action.pod, action.attempt, deps.spec);
  // The sandbox is asked for first; the rest is done while it starts. The container step finds
  // the image answers waiting. The log directory is needed only once a container is created, and
  // the first container's config needs nothing from the sandbox where the pod is on the host network.
  const sandbox = deps.cri.runPodSandbox(config);
  const spec = action.pod.pod.spec!;
  deps.images.prefetch([...(spec.initContainers ?? []), ...spec.containers]);
  const logDirectory = deps.host.ensureDirectory(config.logDirectory, true, 'pod log directory');
  const ahead: PreparedAhead | undefined = action.first
    ? { config: prepareAhead(deps, action, action.first), sandboxConfig: config }
    : undefined;
  const [made, started] = await Promise.allSettled([logDirectory, sandbox]);
  if (started.status === 'rejected') throw new ActionError('CreatePodSandboxError', messageOf(started.reason));
  const id = started.value;
  if (made.status === 'rejected') {
    // A sandbox without its log directory would fail every container: stop it, let the retry
    // start clean, and say why.
    await deps.cri.stopPodSandbox(id).catch(() => undefined);
    await deps.cri.removePodSandbox(id).catch(() => undefined);
    throw made.reason;
  }
  deps.log.info({ pod: action.podFullName, sandbox: short(id), attempt: action.attempt }, 'sandbox started');
  // On the pod network the first container's config needs the sandbox's IP: the status is read
  // first. A host-network pod has none to learn, and its status is read after the first container's
  // start, off that start's path, only for the runtime's own creation time: a time of ours would
  // differ from the one the relist later sees, move the pod's start time and cost a status patch.
  if (spec.hostNetwork) deps.statusCache?.sandboxIps.set(id, '');
  const podNetwork = spec.hostNetwork ? undefined : await podNetworkSandbox(deps, id);
  const observe = () => podNetwork ?? hostNetworkSandbox(deps, id, config);
  if (!action.first) return { sandboxes: await observe() };
  const start: StartContainer = {
    kind: 'StartContainer',
    id: action.id,
    podUid: action.podUid,
    podFullName: action.podFullName,
    pod: action.pod,
    sandboxId: id,
    ...action.first,
  };
  let container: ActionOutcome;
  try {
    container = await startContainer(deps, start, ahead);
  } catch (err) {
    // The sandbox stands: the container's failure is the container's, retried on its own back-off.
    const reason = err instanceof ActionError ? err.reason : 'RuntimeError';
    const message = messageOf(err);
    deps.log.warn(
      {
        pod: action.podFullName,
        action: 'StartContainer',
        container: action.first.containerName,
        reason,
        err: message,
      },
      `StartContainer failed: ${message}`,
    );
    return { sandboxes: await observe(), firstFailed: { reason, message } };
  }
  return { sandboxes: await observe(), ...container };
}

async function podNetworkSandbox(deps: Effects, id: string): Promise<SandboxObservation[]> {
  const status = await deps.cri.podSandboxStatus(id);
  deps.statusCache?.sandboxIps.set(id, status.network?.ip ?? '');
  return [observeSandbox(status, deps.now(), status.network?.ip)];
}

/**
 * A host-network sandbox as the runtime reports it, or, should that status call fail, as we asked
 * for it (the sandbox runs; the next relist brings the runtime's view).
 */
async function hostNetworkSandbox(deps: Effects, id: string, config: PodSandboxConfig): Promise<SandboxObservation[]> {
  const status = await deps.cri.podSandboxStatus(id).catch((err: unknown) => {
    deps.log.debug({ sandbox: short(id), err: messageOf(err) }, 'PodSandboxStatus failed after start');
    return {
      id,
      metadata: config.metadata,
      state: 'SANDBOX_READY' as const,
      createdAt: `${BigInt(deps.now()) * 1_000_000n}`,
      labels: config.labels,
      annotations: config.annotations,
    };
  });
  return [observeSandbox(status, deps.now())];
}

/**
 * A host-network pod's first container needs nothing from its sandbox: its config and host files
 * are prepared while RunPodSandbox runs, which takes the host's file operations off the start
 * path (each is a trip through the thread pool, slow while the runtime keeps the CPUs busy
 * starting the sandbox). Elsewhere the config waits for the sandbox's IP (or the image's user).
 */
function prepareAhead(
  deps: Effects,
  action: CreateSandbox,
  first: FirstContainer,
): Promise<ContainerConfig> | undefined {
  const spec = action.pod.pod.spec!;
  const found = findContainer(action.pod, first.containerName);
  if (!spec.hostNetwork || !found || needsImageUser(action.pod.pod, found.container)) return undefined;
  const config = prepareContainer(
    deps,
    { pod: action.pod, sandboxId: '', attempt: first.attempt },
    found.container,
    found.init,
    Promise.resolve(),
  );
  // Awaited by the container's start; until then a failure must not count as unhandled.
  config.catch(() => undefined);
  return config;
}
