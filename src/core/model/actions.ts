// What the reconciler decides. Each action concerns one pod (its UID), and at most one action per
// pod is in flight at a time: the effects serialise work on a pod, pods proceed in parallel.
import type { V1Pod, V1PodStatus } from '@kubernetes/client-node';
import type { StaticPod } from './static-pod.js';

interface ActionBase {
  /** Unique within one agent run: `<seq of the event that caused it>.<index>`. */
  readonly id: string;
  readonly podUid: string;
  /** `namespace/name`, for logs (and the serialisation key of API actions). */
  readonly podFullName: string;
}

/** Run a new pod sandbox for the pod, and then its first container where there is one to start. */
export interface CreateSandbox extends ActionBase {
  readonly kind: 'CreateSandbox';
  readonly pod: StaticPod;
  readonly attempt: number;
  /**
   * The start the diff would decide as soon as the sandbox is ready, made in the same action: a
   * new pod's first container does not wait for another turn of the loop.
   */
  readonly first?: FirstContainer;
}

/** The container a new sandbox starts with: its first init container, else its first container. */
export interface FirstContainer {
  readonly containerName: string;
  readonly init: boolean;
  readonly attempt: number;
}

/** Ensure the image, then create and start one container in the pod's sandbox. */
export interface StartContainer extends ActionBase {
  readonly kind: 'StartContainer';
  readonly pod: StaticPod;
  readonly sandboxId: string;
  readonly containerName: string;
  readonly init: boolean;
  readonly attempt: number;
}

/**
 * Stop containers (with their grace periods) and sandboxes; remove them too when `remove`. Why:
 * the pod is `removed` or `replaced` (all of it goes, its directory too); its sandbox died under
 * running containers (`sandbox-dead`: they are stopped, not removed); old sandboxes are
 * `garbage` (removed).
 */
export interface KillPod extends ActionBase {
  readonly kind: 'KillPod';
  readonly reason: 'removed' | 'replaced' | 'sandbox-dead' | 'garbage' | 'duplicate';
  readonly sandboxIds: string[];
  readonly containers: { id: string; sandboxId: string; name: string; gracePeriodSeconds: number; preStop?: string }[];
  readonly remove: boolean;
}

/** Remove dead containers (`garbage`), or a container that was `created` but never started. */
export interface RemoveContainers extends ActionBase {
  readonly kind: 'RemoveContainers';
  readonly containerIds: string[];
  /** Absent in logs recorded before it existed: read as `garbage`. */
  readonly reason?: 'garbage' | 'created';
  /** For `created`: the container's name (its removal is that container's step). */
  readonly containerName?: string;
}

/** Create the mirror pod of a static pod in the API server. */
export interface CreateMirror extends ActionBase {
  readonly kind: 'CreateMirror';
  readonly mirror: V1Pod;
}

/** Delete a mirror pod (stale, orphaned, or deleted by someone and waiting for us to finish). */
export interface DeleteMirror extends ActionBase {
  readonly kind: 'DeleteMirror';
  readonly namespace: string;
  readonly name: string;
  readonly mirrorUid: string;
}

/** Write the static pod's status to its mirror pod. */
export interface UpdateMirrorStatus extends ActionBase {
  readonly kind: 'UpdateMirrorStatus';
  readonly namespace: string;
  readonly name: string;
  readonly mirrorUid: string;
  readonly status: V1PodStatus;
  readonly fingerprint: string;
}

/** An ordinary pod bound to this node: it is not run; its status says so. */
export interface RefusePod extends ActionBase {
  readonly kind: 'RefusePod';
  readonly namespace: string;
  readonly name: string;
  readonly uidInApi: string;
}

/** Stop one container (a failed liveness or startup probe); the restart policy does the rest. */
export interface StopContainer extends ActionBase {
  readonly kind: 'StopContainer';
  readonly containerId: string;
  readonly sandboxId: string;
  readonly containerName: string;
  readonly gracePeriodSeconds: number;
  readonly reason: 'liveness' | 'startup';
  /** The container's preStop hook, as JSON, run before the stop. */
  readonly preStop?: string;
}

export type RuntimeAction = CreateSandbox | StartContainer | KillPod | RemoveContainers | StopContainer;
export type ApiAction = CreateMirror | DeleteMirror | UpdateMirrorStatus | RefusePod;
export type Action = RuntimeAction | ApiAction;

export function isApiAction(action: Action): action is ApiAction {
  return (
    action.kind === 'CreateMirror' ||
    action.kind === 'DeleteMirror' ||
    action.kind === 'UpdateMirrorStatus' ||
    action.kind === 'RefusePod'
  );
}

/** Actions with one key are serialised: runtime work per pod UID, API work per pod name. */
export function inFlightKey(action: Action): string {
  return isApiAction(action) ? `mirror/${action.podFullName}` : action.podUid;
}
