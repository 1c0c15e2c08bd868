// The status of a static pod as the kubelet would report it, computed purely from the state, so
// `kubectl get pods` on the mirror tells the truth: READY, STATUS, RESTARTS.
// Every time in it comes from an observation, never from the clock, so an unchanged pod gives
// an identical status and no needless write.
import type {
  V1Container,
  V1ContainerState,
  V1ContainerStatus,
  V1PodCondition,
  V1PodStatus,
} from '@kubernetes/client-node';
import { failureDelay, restartHeldUntil, START_RETRY } from './backoff.js';
import type { ContainerObservation, SandboxObservation } from './model/observations.js';
import { qosClass } from './qos.js';
import type { StaticPod } from './model/static-pod.js';
import { stepKey, type State, type StatusContext } from './model/state.js';

/** Whole seconds: what the API stores, and stable text for the fingerprint. */
function time(ms: number | undefined): Date | undefined {
  return ms === undefined || ms === 0 ? undefined : new Date(Math.floor(ms / 1000) * 1000);
}

export function podStatus(state: State, pod: StaticPod, ctx: StatusContext): V1PodStatus {
  const spec = pod.pod.spec!;
  const policy = spec.restartPolicy ?? 'Always';
  const sandboxes: SandboxObservation[] = [];
  const containers: ContainerObservation[] = [];
  for (const sb of state.runtime.sandboxes.values()) if (sb.podUid === pod.uid) sandboxes.push(sb);
  for (const c of state.runtime.containers.values()) if (c.podUid === pod.uid) containers.push(c);
  sandboxes.sort((a, b) => b.attempt - a.attempt || b.createdAt - a.createdAt);
  const newest = sandboxes[0];

  const byName = new Map<string, ContainerObservation[]>();
  for (const c of containers) {
    const list = byName.get(c.name) ?? [];
    list.push(c);
    byName.set(c.name, list);
  }
  for (const list of byName.values()) list.sort((a, b) => b.attempt - a.attempt || b.createdAt - a.createdAt);

  const statusOf = (c: V1Container, init: boolean): V1ContainerStatus => {
    const [latest, ...older] = byName.get(c.name) ?? [];
    const previous = older.find((o) => o.state === 'exited');
    const key = stepKey.container(pod.uid, c.name);
    const failure = state.failures.get(key);
    let current: V1ContainerState;
    let lastState: V1ContainerState = previous ? { terminated: terminated(previous, ctx) } : {};
    if (!latest || latest.state === 'created') {
      current = {
        waiting: failure
          ? waitingForFailure(state, failure, key)
          : { reason: newest ? 'ContainerCreating' : 'PodInitializing' },
      };
    } else if (latest.state === 'running' || latest.state === 'unknown') {
      current = { running: { startedAt: time(latest.startedAt)! } };
    } else {
      const restarts = !init
        ? policy === 'Always' || (policy === 'OnFailure' && latest.exitCode !== 0)
        : policy !== 'Never' && latest.exitCode !== 0;
      if (restarts) {
        const heldUntil = restartHeldUntil(state.backoff.get(key), latest.finishedAt ?? latest.observedAt, state.now);
        current =
          heldUntil !== undefined
            ? {
                waiting: {
                  reason: 'CrashLoopBackOff',
                  message: `back-off ${Math.round(state.backoff.get(key)!.delayMs / 1000)}s restarting failed container=${c.name} pod=${pod.name}_${pod.namespace}(${pod.uid})`,
                },
              }
            : { waiting: { reason: failure ? failure.reason : 'ContainerCreating' } };
        lastState = { terminated: terminated(latest, ctx) };
      } else {
        current = { terminated: terminated(latest, ctx) };
      }
    }
    // Probes decide: started once the startup probe passed; ready once the readiness probe passed.
    const verdict = latest ? state.probes.get(latest.id) : undefined;
    const started = current.running !== undefined && (!c.startupProbe || verdict?.startup === true);
    const ready = init
      ? current.terminated?.exitCode === 0
      : started && (!c.readinessProbe || verdict?.readiness === true);
    return {
      name: c.name,
      image: c.image ?? '',
      // As the kubelet: the runtime's reference of the image it runs, else the image as given.
      imageID: latest?.imageRef || latest?.image || '',
      ...(latest ? { containerID: `${ctx.runtimeName}://${latest.id}` } : {}),
      ready,
      started,
      restartCount: latest?.attempt ?? 0,
      state: current,
      lastState,
    };
  };

  const initStatuses = (spec.initContainers ?? []).map((c) => statusOf(c, true));
  const appStatuses = spec.containers.map((c) => statusOf(c, false));
  const appStarted = containers.some(
    (c) => newest && c.sandboxId === newest.id && spec.containers.some((s) => s.name === c.name),
  );
  const initDone = appStarted || initStatuses.every((s) => s.state?.terminated?.exitCode === 0);
  const initFailed =
    policy === 'Never' && initStatuses.some((s) => s.state?.terminated && s.state.terminated.exitCode !== 0);

  const running = appStatuses.filter((s) => s.state?.running).length;
  const ended = appStatuses.filter((s) => s.state?.terminated);
  const everStarted = appStatuses.some((s) => s.state?.running || s.state?.terminated || s.lastState?.terminated);
  let phase: string;
  if (initFailed) phase = 'Failed';
  else if (!initDone || !newest) phase = 'Pending';
  else if (ended.length === appStatuses.length)
    phase = ended.every((s) => s.state!.terminated!.exitCode === 0) ? 'Succeeded' : 'Failed';
  else if (running > 0 || everStarted) phase = 'Running';
  else phase = 'Pending';

  const allReady = appStatuses.every((s) => s.ready);
  const since = time(newest?.createdAt);
  const condition = (type: string, ok: boolean, reason?: string): V1PodCondition => ({
    type,
    status: ok ? 'True' : 'False',
    ...(since ? { lastTransitionTime: since } : {}),
    ...(!ok && reason ? { reason } : {}),
  });
  const hostNetwork = spec.hostNetwork === true;
  const podIP = hostNetwork ? ctx.nodeIP : newest?.ip;
  const startTime = time(Math.min(...sandboxes.map((s) => s.createdAt)));
  return {
    phase,
    conditions: [
      condition('PodReadyToStartContainers', newest?.ready === true),
      condition('Initialized', initDone, 'ContainersNotInitialized'),
      condition('Ready', allReady && phase === 'Running', 'ContainersNotReady'),
      condition('ContainersReady', allReady, 'ContainersNotReady'),
      condition('PodScheduled', true),
    ],
    hostIP: ctx.nodeIP,
    hostIPs: [{ ip: ctx.nodeIP }],
    ...(podIP ? { podIP, podIPs: [{ ip: podIP }] } : {}),
    ...(sandboxes.length > 0 && startTime ? { startTime } : {}),
    ...(initStatuses.length > 0 ? { initContainerStatuses: initStatuses } : {}),
    containerStatuses: appStatuses,
    qosClass: qosClass(pod.pod),
  };
}

function terminated(c: ContainerObservation, ctx: StatusContext): NonNullable<V1ContainerState['terminated']> {
  const exitCode = c.exitCode ?? 0;
  return {
    exitCode,
    reason: c.reason || (exitCode === 0 ? 'Completed' : 'Error'),
    ...(c.message ? { message: c.message } : {}),
    ...(time(c.startedAt) ? { startedAt: time(c.startedAt)! } : {}),
    ...(time(c.finishedAt) ? { finishedAt: time(c.finishedAt)! } : {}),
    containerID: `${ctx.runtimeName}://${c.id}`,
  };
}

function waitingForFailure(
  state: State,
  failure: { at: number; count: number; reason: string; message: string },
  _key: string,
): { reason: string; message: string } {
  // While a failed pull waits for its retry, the kubelet says ImagePullBackOff.
  const retryAt = failure.at + failureDelay(failure.count, START_RETRY.baseMs, START_RETRY.maxMs);
  const reason = failure.reason === 'ErrImagePull' && state.now < retryAt ? 'ImagePullBackOff' : failure.reason;
  return { reason, message: failure.message };
}
