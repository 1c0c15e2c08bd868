// Kubernetes Events on the mirror pods, so `kubectl describe pod` tells the pod's story: Pulled,
// Created, Started, Killing, BackOff, Failed, InvalidManifest. Best effort: a bounded queue, and
// an event the API server does not take is dropped (the log has it too).
import type { CoreV1Event } from '@kubernetes/client-node';
import { catchError, EMPTY, finalize, from, mergeMap, Subject, type Subscription } from 'rxjs';
import { desiredPods } from '../core/desired.js';
import type { LoopStep } from '../loop.js';
import { podStatus } from '../core/pod-status.js';
import { fullName, type StaticPod } from '../core/model/static-pod.js';
import type { State } from '../core/model/state.js';
import type { KubeApi } from '../runtime/kube/types.js';
import type { Logger } from '../runtime/logger.js';

const MAX_PENDING = 500;
const CONCURRENCY = 4;

interface PodEvent {
  readonly pod: string; // namespace/name
  readonly type: 'Normal' | 'Warning';
  readonly reason: string;
  readonly message: string;
}

export interface EventRecorder {
  record(step: LoopStep): void;
  close(): void;
}

export function createEventRecorder(kube: KubeApi, nodeName: string, log: Logger): EventRecorder {
  const queue = new Subject<{ namespace: string; event: CoreV1Event }>();
  let pending = 0;
  let seq = 0;
  const sub: Subscription = queue
    .pipe(
      mergeMap(
        ({ namespace, event }) =>
          from(kube.createEvent(namespace, event)).pipe(
            catchError((err: unknown) => {
              log.debug({ err: (err as Error).message, reason: event.reason }, 'event not recorded');
              return EMPTY;
            }),
            finalize(() => pending--),
          ),
        CONCURRENCY,
      ),
    )
    .subscribe();
  const waiting = new Map<string, Set<string>>(); // pod → containers in CrashLoopBackOff

  const send = (state: State, e: PodEvent) => {
    const mirror = state.api.pods.get(e.pod);
    if (!mirror || pending >= MAX_PENDING) return;
    const now = new Date(state.now);
    pending++;
    queue.next({
      namespace: mirror.namespace,
      event: {
        metadata: {
          name: `${mirror.name}.${now.getTime().toString(16)}${(seq++ % 4096).toString(16)}`,
          namespace: mirror.namespace,
        },
        // Like the kubelet: events of a static pod name the static pod's UID (the mirror's
        // config.mirror annotation), which is where `kubectl describe` looks for them.
        involvedObject: {
          apiVersion: 'v1',
          kind: 'Pod',
          name: mirror.name,
          namespace: mirror.namespace,
          uid: mirror.mirrorOf ?? mirror.uid,
        },
        reason: e.reason,
        message: e.message,
        type: e.type,
        source: { component: 'staticlet', host: nodeName },
        reportingComponent: 'staticlet',
        reportingInstance: nodeName,
        firstTimestamp: now,
        lastTimestamp: now,
        count: 1,
      },
    });
  };

  return {
    record: ({ event, state, actions }) => {
      if (!state.api.configured) return;
      for (const e of eventsOf(event, actions, state)) send(state, e);
      if (
        event.type === 'RuntimeRelisted' ||
        event.type === 'ContainerExited' ||
        event.type === 'ActionSucceeded' ||
        event.type === 'TimerFired'
      ) {
        for (const pod of desiredPods(state).pods.values()) {
          for (const e of backOffEvents(state, pod, waiting)) send(state, e);
        }
      }
    },
    close: () => {
      queue.complete();
      sub.unsubscribe();
    },
  };
}

function eventsOf(event: LoopStep['event'], actions: LoopStep['actions'], state: State): PodEvent[] {
  const out: PodEvent[] = [];
  for (const a of actions) {
    if (a.kind === 'KillPod' && a.containers.length > 0) {
      for (const c of a.containers)
        out.push({ pod: a.podFullName, type: 'Normal', reason: 'Killing', message: `Stopping container ${c.name}` });
    }
  }
  if (event.type === 'ActionSucceeded' && event.action.kind === 'StartContainer') {
    out.push(
      ...startedEvents(
        event.action.pod,
        event.action.podFullName,
        event.action.containerName,
        event.outcome.imagePulled,
      ),
    );
  }
  // A new sandbox's first container starts within the sandbox's action.
  if (event.type === 'ActionSucceeded' && event.action.kind === 'CreateSandbox' && event.action.first) {
    const { containerName } = event.action.first;
    const failed = event.outcome.firstFailed;
    if (failed)
      out.push({
        pod: event.action.podFullName,
        type: 'Warning',
        reason: 'Failed',
        message: `${failed.reason}: ${failed.message}`,
      });
    else
      out.push(...startedEvents(event.action.pod, event.action.podFullName, containerName, event.outcome.imagePulled));
  }
  if (
    event.type === 'ActionFailed' &&
    (event.action.kind === 'StartContainer' || event.action.kind === 'CreateSandbox')
  ) {
    out.push({
      pod: event.action.podFullName,
      type: 'Warning',
      reason: 'Failed',
      message: `${event.reason}: ${event.message}`,
    });
  }
  if (event.type === 'ManifestInvalid') {
    for (const pod of state.origins.get(event.origin)?.pods ?? []) {
      const first = event.problems[0];
      const where = first?.line !== undefined ? `${event.origin}:${first.line}` : event.origin;
      out.push({
        pod: fullName(pod),
        type: 'Warning',
        reason: 'InvalidManifest',
        message: `${where}: ${first?.field ? `${first.field}: ` : ''}${first?.message ?? 'invalid'}; the last valid version keeps running`,
      });
    }
  }
  return out;
}

/** What the kubelet says of a container it started: its image, then Created and Started. */
function startedEvents(
  pod: StaticPod,
  podFullName: string,
  containerName: string,
  imagePulled: boolean | undefined,
): PodEvent[] {
  const spec = pod.pod.spec!;
  const image = spec.containers.concat(spec.initContainers ?? []).find((c) => c.name === containerName)?.image ?? '';
  return [
    imagePulled
      ? { pod: podFullName, type: 'Normal', reason: 'Pulled', message: `Successfully pulled image "${image}"` }
      : {
          pod: podFullName,
          type: 'Normal',
          reason: 'Pulled',
          message: `Container image "${image}" already present on machine`,
        },
    { pod: podFullName, type: 'Normal', reason: 'Created', message: `Created container: ${containerName}` },
    { pod: podFullName, type: 'Normal', reason: 'Started', message: `Started container ${containerName}` },
  ];
}

/** A BackOff event when a container enters CrashLoopBackOff. */
function backOffEvents(state: State, pod: StaticPod, waiting: Map<string, Set<string>>): PodEvent[] {
  const name = fullName(pod);
  if (!state.api.pods.has(name)) return [];
  const status = podStatus(state, pod, state.api.statusContext);
  const now = new Set(
    (status.containerStatuses ?? []).filter((c) => c.state?.waiting?.reason === 'CrashLoopBackOff').map((c) => c.name),
  );
  const before = waiting.get(name) ?? new Set<string>();
  waiting.set(name, now);
  return [...now]
    .filter((c) => !before.has(c))
    .map((c) => ({
      pod: name,
      type: 'Warning' as const,
      reason: 'BackOff',
      message: `Back-off restarting failed container ${c} in pod ${pod.name}_${pod.namespace}(${pod.uid})`,
    }));
}
