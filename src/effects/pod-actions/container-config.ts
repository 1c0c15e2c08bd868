// A container's config, with what only the runtime and the host know, and the host prepared for it.
import type { StartContainer } from '../../core/model/actions.js';
import type { V1Container } from '@kubernetes/client-node';
import {
  containerConfig,
  managesEtcHosts,
  needsImageUser,
  podDirectory,
  podIPsFor,
  podLogDirectory,
} from '../../core/runtime-spec.js';
import type { ContainerConfig } from '../../cri-api/messages.js';
import { ANNOTATION } from '../../core/runtime-labels.js';
import { ActionError } from '../action-error.js';
import { messageOf, type Effects } from './deps.js';

/** What a container's config is prepared for. */
export type ContainerTarget = Pick<StartContainer, 'pod' | 'sandboxId' | 'attempt'>;

/**
 * What only the runtime and the host know (the pod's IPs, the image's user, the node's hosts
 * file), then the container's config, then the host prepared for it: hostPath checks, emptyDirs
 * and tmpfs, subPaths, the managed /etc/hosts, the log directory, the termination message file.
 * Any failure is a CreateContainerConfigError.
 */
export async function prepareContainer(
  deps: Effects,
  action: ContainerTarget,
  container: V1Container,
  init: boolean,
  imageReady: Promise<unknown>,
): Promise<ContainerConfig> {
  try {
    const spec = action.pod.pod.spec!;
    const sandbox = spec.hostNetwork ? undefined : await deps.cri.podSandboxStatus(action.sandboxId);
    const sandboxIPs = sandbox?.network ? [sandbox.network.ip, ...sandbox.network.additionalIps] : [];
    const imageUser = needsImageUser(action.pod.pod, container)
      ? await imageReady.then(() => deps.images.status(container.image!))
      : undefined;
    const podIPs = podIPsFor(action.pod, sandboxIPs, deps.spec);
    const nodeHosts =
      spec.hostNetwork && managesEtcHosts(container, podIPs)
        ? await deps.host.readFile('/etc/hosts').catch(() => '')
        : undefined;
    const { config, prepare } = containerConfig(action.pod, container, init, action.attempt, deps.spec, {
      sandboxIPs,
      ...(imageUser !== undefined ? { imageUser } : {}),
      ...(nodeHosts !== undefined ? { nodeHosts } : {}),
    });
    // Volumes in order (a subPath may lie in an emptyDir made just before); the log directory and
    // the termination message file are independent of them, so made side by side.
    const [, , terminationFile] = await Promise.all([
      (async () => {
        for (const item of prepare) {
          const resolved = await deps.host.prepare(item);
          if (item.kind === 'subPath' && resolved) config.mounts[item.mount]!.hostPath = resolved;
        }
      })(),
      deps.host.ensureDirectory(
        `${podLogDirectory(action.pod, deps.spec.podLogsDir)}/${container.name}`,
        true,
        'container log directory',
      ),
      container.terminationMessagePath ? terminationMessageFile(deps, action, container.name) : undefined,
    ]);
    if (terminationFile !== undefined) {
      config.mounts.push({
        containerPath: container.terminationMessagePath!,
        hostPath: terminationFile,
        readonly: false,
      });
      config.annotations[ANNOTATION.terminationMessageHostPath] = terminationFile;
      config.annotations[ANNOTATION.terminationMessagePolicy] = container.terminationMessagePolicy ?? 'File';
    }
    return config;
  } catch (err) {
    if (err instanceof ActionError) throw err;
    throw new ActionError('CreateContainerConfigError', messageOf(err));
  }
}

/** Like the kubelet: an empty host file, mounted at terminationMessagePath and read when the
 * container ends (see runtime/termination-message.ts). */
async function terminationMessageFile(deps: Effects, action: ContainerTarget, name: string): Promise<string> {
  const dir = `${podDirectory(deps.spec.rootDir, action.pod.uid)}/containers/${name}`;
  const file = `${dir}/termination-log-${action.attempt}`;
  await deps.host.ensureDirectory(dir, true, 'termination message directory');
  await deps.host.writeFile(file, '');
  return file;
}
