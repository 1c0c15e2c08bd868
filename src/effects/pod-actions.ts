// The effect that carries out pod actions on the CRI runtime. Every action ends in exactly one
// result event, success or failure; nothing throws into the stream. Per-pod serialisation comes
// from the core (at most one action per pod in flight); this operator bounds the parallelism
// across pods.
import type { OperatorFunction } from 'rxjs';
import type {
  CreateSandbox,
  FirstContainer,
  KillPod,
  RemoveContainers,
  RuntimeAction,
  StartContainer,
  StopContainer,
} from '../core/model/actions.js';
import type { ActionOutcome, EventBody } from '../core/model/events.js';
import type { SandboxObservation } from '../core/model/observations.js';
import type { V1Container } from '@kubernetes/client-node';
import {
  containerConfig,
  findContainer,
  managesEtcHosts,
  needsImageUser,
  podDirectory,
  podIPsFor,
  podLogDirectory,
  podVolumesDirectory,
  sandboxConfig,
  type RuntimeSpecOptions,
} from '../core/runtime-spec.js';
import { containerFromStatus, observeContainer, observeSandbox } from '../runtime/cri/observations.js';
import { CriError, type CriRuntime } from '../cri-api/runtime-service.js';
import type { ContainerConfig, PodSandboxConfig } from '../cri-api/messages.js';
import type { RuntimeStatusCache } from '../runtime/cri/status-cache.js';
import type { ExpectedExits } from '../runtime/expected-exits.js';
import { ANNOTATION } from '../core/runtime-labels.js';
import type { HostPort } from '../runtime/host.js';
import type { Logger } from '../runtime/logger.js';
import { ActionError } from './action-error.js';
import { runHook, runPreStop } from './hooks.js';
import { runActions } from './run-actions.js';
import { ensureImage, ImageLookup } from './images.js';
import type { ProbePort } from '../runtime/probe-port.js';

export interface PodActionDeps {
  readonly cri: CriRuntime;
  readonly host: HostPort;
  readonly spec: RuntimeSpecOptions;
  readonly log: Logger;
  readonly now: () => number;
  /** How many pods may be worked on at once. */
  readonly concurrency: number;
  /** Exec / HTTP / TCP, for lifecycle hooks. */
  readonly probes: ProbePort;
  /** Where what the effects learn is shared with the relist, which then need not ask again. */
  readonly statusCache?: RuntimeStatusCache;
  /** Where the effects note the containers and sandboxes they stop, whose exits are then no news. */
  readonly expectedExits?: ExpectedExits;
}

interface Effects extends PodActionDeps {
  readonly images: ImageLookup;
}

/** What a sandbox's first container start finds made while the sandbox started. */
interface PreparedAhead {
  /** Where the config needed nothing from the sandbox. */
  readonly config?: Promise<ContainerConfig>;
  /** The sandbox's config, which CreateContainer carries too: built once, not again on the start path. */
  readonly sandboxConfig: PodSandboxConfig;
}

/** What a container's config is prepared for. */
type ContainerTarget = Pick<StartContainer, 'pod' | 'sandboxId' | 'attempt'>;

export function podActions(podDeps: PodActionDeps): OperatorFunction<RuntimeAction, EventBody> {
  const deps: Effects = { ...podDeps, images: new ImageLookup(podDeps.cri, podDeps.now) };
  return runActions((action: RuntimeAction) => runAction(deps, action), {
    concurrency: deps.concurrency,
    log: deps.log,
    reasonOf: (err) => (err instanceof ActionError ? err.reason : 'RuntimeError'),
  });
}

function runAction(deps: Effects, action: RuntimeAction): Promise<ActionOutcome> {
  switch (action.kind) {
    case 'CreateSandbox':
      return createSandbox(deps, action);
    case 'StartContainer':
      return startContainer(deps, action, undefined);
    case 'KillPod':
      return killPod(deps, action);
    case 'RemoveContainers':
      return removeContainers(deps, action);
    case 'StopContainer':
      return stopContainer(deps, action);
  }
}

/** Where hooks without a host go: the pod IP, or loopback for host-network pods. */
async function hookHost(deps: Effects, sandboxId: string): Promise<string> {
  const status = await deps.cri.podSandboxStatus(sandboxId).catch(() => undefined);
  return status?.network?.ip || '127.0.0.1';
}

async function stopContainer(deps: Effects, action: StopContainer): Promise<ActionOutcome> {
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

async function createSandbox(deps: Effects, action: CreateSandbox): Promise<ActionOutcome> {
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
  let sandboxes: SandboxObservation[];
  if (spec.hostNetwork) {
    deps.statusCache?.sandboxIps.set(id, '');
    // No pod IP to learn: what we asked for is what runs, and the next relist confirms it.
    sandboxes = [
      observeSandbox(
        {
          id,
          metadata: config.metadata,
          state: 'SANDBOX_READY',
          createdAt: `${BigInt(deps.now()) * 1_000_000n}`,
          labels: config.labels,
          annotations: config.annotations,
        },
        deps.now(),
      ),
    ];
  } else {
    const status = await deps.cri.podSandboxStatus(id);
    deps.statusCache?.sandboxIps.set(id, status.network?.ip ?? '');
    sandboxes = [observeSandbox(status, deps.now(), status.network?.ip)];
  }
  if (!action.first) return { sandboxes };
  const start: StartContainer = {
    kind: 'StartContainer',
    id: action.id,
    podUid: action.podUid,
    podFullName: action.podFullName,
    pod: action.pod,
    sandboxId: id,
    ...action.first,
  };
  try {
    return { sandboxes, ...(await startContainer(deps, start, ahead)) };
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
    return { sandboxes, firstFailed: { reason, message } };
  }
}

/** Ensures the image, then creates and starts the container; `ahead` is what its sandbox's start made for it. */
async function startContainer(
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
  deps.statusCache?.containers.set(id, { state: status.state, status });
  deps.log.info(
    { pod: action.podFullName, container: container.name, attempt: action.attempt, id: short(id) },
    init ? 'init container started' : 'container started',
  );
  return {
    containers: [observeContainer(containerFromStatus(status, action.sandboxId), status, deps.now())],
    imagePulled: image.pulled,
  };
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

/**
 * What only the runtime and the host know (the pod's IPs, the image's user, the node's hosts
 * file), then the container's config, then the host prepared for it: hostPath checks, emptyDirs
 * and tmpfs, subPaths, the managed /etc/hosts, the log directory, the termination message file.
 * Any failure is a CreateContainerConfigError.
 */
async function prepareContainer(
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

async function killPod(deps: Effects, action: KillPod): Promise<ActionOutcome> {
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
    }
    deps.log.info(
      { pod: action.podFullName, reason: action.reason, sandboxes: action.sandboxIds.map(short) },
      'pod removed',
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

async function removeContainers(deps: Effects, action: RemoveContainers): Promise<ActionOutcome> {
  for (const id of action.containerIds) await ignoreNotFound(deps.cri.removeContainer(id));
  return { removedContainerIds: action.containerIds };
}

async function ignoreNotFound(p: Promise<void>): Promise<void> {
  try {
    await p;
  } catch (err) {
    if (err instanceof CriError && err.code === 'NOT_FOUND') return;
    throw err;
  }
}

function messageOf(err: unknown): string {
  return err instanceof CriError ? err.details || err.message : err instanceof Error ? err.message : String(err);
}

function short(id: string): string {
  return id.slice(0, 13);
}
