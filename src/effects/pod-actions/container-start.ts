// StartContainer: the image ensured and the config prepared side by side, then CreateContainer,
// StartContainer and the postStart hook.
import type { StartContainer } from '../../core/model/actions.js';
import type { ActionOutcome } from '../../core/model/events.js';
import { findContainer, sandboxConfig } from '../../core/runtime-spec.js';
import { containerFromStatus, observeContainer } from '../../runtime/cri/observations.js';
import type { ContainerConfig, PodSandboxConfig } from '../../cri-api/messages.js';
import { ActionError } from '../action-error.js';
import { runHook } from '../hooks.js';
import { ensureImage } from '../images.js';
import { prepareContainer } from './container-config.js';
import { hookHost, messageOf, short, type Effects } from './deps.js';

/** What a sandbox's first container start finds made while the sandbox started. */
export interface PreparedAhead {
  /** Where the config needed nothing from the sandbox. */
  readonly config?: Promise<ContainerConfig>;
  /** The sandbox's config, which CreateContainer carries too: built once, not again on the start path. */
  readonly sandboxConfig: PodSandboxConfig;
}

/** Ensures the image, then creates and starts the container; `ahead` is what its sandbox's start made for it. */
export async function startContainer(
  deps: Effects,
  action: StartContainer,
  ahead: PreparedAhead | undefined,
): Promise<ActionOutcome> {
  const found = findContainer(action.pod, action.containerName);
  if (!found) throw new ActionError('CreateContainerConfigError', `no container "${action.containerName}" in the pod`);
  const { container, init } = found;
  // The image and the host are independent: made ready side by side.
  const imageReady = ensureImage(
    deps.cri,
    container.image!,
    container.imagePullPolicy ?? 'IfNotPresent',
    deps.log,
    action.podFullName,
    deps.images,
  );
  const [image, config] = await Promise.all([
    imageReady,
    ahead?.config ?? prepareContainer(deps, action, container, init, imageReady),
  ]);

  let id: string;
  try {
    id = await deps.cri.createContainer(
      action.sandboxId,
      config,
      ahead?.sandboxConfig ?? sandboxConfig(action.pod, 0, deps.spec),
    );
  } catch (err) {
    throw new ActionError('CreateContainerError', messageOf(err));
  }
  try {
    await deps.cri.startContainer(id);
  } catch (err) {
    // A container that never started is of no use: remove it so the retry starts clean.
    await deps.cri.removeContainer(id).catch(() => undefined);
    throw new ActionError('RunContainerError', messageOf(err));
  }
  const postStart = container.lifecycle?.postStart;
  if (postStart) {
    const grace = action.pod.pod.spec!.terminationGracePeriodSeconds ?? 30;
    const result = await runHook(
      deps.probes,
      postStart,
      { containerId: id, host: await hookHost(deps, action.sandboxId) },
      Math.max(grace, 30) * 1000,
    );
    if (!result.success) {
      // Like the kubelet: a failed postStart hook kills the container; the restart policy decides.
      await deps.cri.stopContainer(id, grace).catch(() => undefined);
      throw new ActionError(
        'PostStartHookError',
        `postStart hook of container "${container.name}" failed: ${result.message}`,
      );
    }
  }
  const status = await deps.cri.containerStatus(id);
  // A container that has already exited is left to the relist, which reads its termination
  // message with its status; cached here, the relist would take it as known and never read it.
  if (status.state !== 'CONTAINER_EXITED') deps.statusCache?.containers.set(id, { state: status.state, status });
  deps.log.info(
    { pod: action.podFullName, container: container.name, attempt: action.attempt, id: short(id) },
    init ? 'init container started' : 'container started',
  );
  return {
    containers: [observeContainer(containerFromStatus(status, action.sandboxId), status, deps.now())],
    imagePulled: image.pulled,
  };
}
