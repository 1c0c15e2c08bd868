// CRI objects → the core's observations, read back from our labels and annotations.
import type { ContainerObservation, ContainerRunState, SandboxObservation } from '../../core/model/observations.js';
import { ANNOTATION, LABEL } from '../../core/runtime-labels.js';
import type { Container, ContainerStatus, PodSandbox, PodSandboxStatus } from '../../cri-api/messages.js';

/** CRI int64 nanoseconds (a decimal string) → ms since the epoch; 0 or absent → undefined. */
export function nanosToMillis(ns: string | undefined): number | undefined {
  if (!ns || ns === '0') return undefined;
  return Number(BigInt(ns) / 1_000_000n);
}

export function observeSandbox(sb: PodSandbox | PodSandboxStatus, observedAt: number, ip?: string): SandboxObservation {
  const source = sb.annotations[ANNOTATION.configSource];
  const origin = sb.annotations[ANNOTATION.origin];
  return {
    id: sb.id,
    podUid: sb.labels[LABEL.podUid] ?? sb.metadata.uid,
    podName: sb.metadata.name,
    namespace: sb.metadata.namespace,
    attempt: sb.metadata.attempt,
    ready: sb.state === 'SANDBOX_READY',
    createdAt: nanosToMillis(sb.createdAt) ?? 0,
    ...(ip ? { ip } : {}),
    ...(source ? { source } : {}),
    ...(origin ? { origin } : {}),
    observedAt,
  };
}

const STATES: Record<string, ContainerRunState> = {
  CONTAINER_CREATED: 'created',
  CONTAINER_RUNNING: 'running',
  CONTAINER_EXITED: 'exited',
  CONTAINER_UNKNOWN: 'unknown',
};

export function observeContainer(
  c: Container,
  status: ContainerStatus | undefined,
  observedAt: number,
): ContainerObservation {
  const annotations = status?.annotations ?? c.annotations;
  const grace = Number(annotations[ANNOTATION.gracePeriod]);
  const startedAt = nanosToMillis(status?.startedAt);
  const finishedAt = nanosToMillis(status?.finishedAt);
  const state = STATES[status?.state ?? c.state] ?? 'unknown';
  const imageRef = status?.imageRef || c.imageRef;
  return {
    id: c.id,
    sandboxId: c.podSandboxId,
    podUid: c.labels[LABEL.podUid] ?? '',
    name: c.labels[LABEL.containerName] ?? c.metadata.name,
    attempt: c.metadata.attempt,
    state,
    image: c.image,
    ...(imageRef ? { imageRef } : {}),
    createdAt: nanosToMillis(c.createdAt) ?? 0,
    ...(startedAt !== undefined ? { startedAt } : {}),
    ...(finishedAt !== undefined ? { finishedAt } : {}),
    ...(status && state === 'exited' ? { exitCode: status.exitCode } : {}),
    ...(status?.reason ? { reason: status.reason } : {}),
    ...(status?.message ? { message: status.message } : {}),
    ...(annotations[ANNOTATION.preStop] ? { preStop: annotations[ANNOTATION.preStop] } : {}),
    ...(Number.isFinite(grace) && annotations[ANNOTATION.gracePeriod] !== undefined
      ? { gracePeriodSeconds: grace }
      : {}),
    observedAt,
  };
}

/** The Container record that a ContainerStatus implies (for results read back by effects). */
export function containerFromStatus(status: ContainerStatus, podSandboxId: string): Container {
  const { id, metadata, image, imageRef, state, createdAt, labels, annotations } = status;
  return { id, podSandboxId, metadata, image, imageRef, state, createdAt, labels, annotations };
}
