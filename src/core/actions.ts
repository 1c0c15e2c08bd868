// What the reconciler decides. Each action concerns one pod (its UID), and at most one action per
// pod is in flight at a time: the effects serialise work on a pod, pods proceed in parallel.
import type { StaticPod } from './static-pod.js';

interface ActionBase {
  /** Unique within one agent run: `<seq of the event that caused it>.<index>`. */
  readonly id: string;
  readonly podUid: string;
  /** `namespace/name`, for logs. */
  readonly podFullName: string;
}

/** Run a new pod sandbox for the pod. */
export interface CreateSandbox extends ActionBase {
  readonly kind: 'CreateSandbox';
  readonly pod: StaticPod;
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

/** Stop containers (with their grace periods) and sandboxes; remove them too when `remove`. */
export interface KillPod extends ActionBase {
  readonly kind: 'KillPod';
  readonly reason: 'removed' | 'replaced' | 'sandbox-dead' | 'duplicate';
  readonly sandboxIds: string[];
  readonly containers: { id: string; sandboxId: string; name: string; gracePeriodSeconds: number }[];
  readonly remove: boolean;
}

/** Remove dead containers (garbage collection, or a container that was created but never started). */
export interface RemoveContainers extends ActionBase {
  readonly kind: 'RemoveContainers';
  readonly containerIds: string[];
}

export type Action = CreateSandbox | StartContainer | KillPod | RemoveContainers;
export type ActionKind = Action['kind'];
