// What the agent knows of the runtime: its own sandboxes and containers, read back from CRI labels
// and annotations so the state survives an agent restart. Times are ms since the epoch.

export interface SandboxObservation {
  readonly id: string;
  readonly podUid: string;
  /** Pod name and namespace as given to the runtime (`<name>-<node>`). */
  readonly podName: string;
  readonly namespace: string;
  readonly attempt: number;
  readonly ready: boolean;
  readonly createdAt: number;
  /** Pod IP on the runtime's network, when it has one (not for host-network pods). */
  readonly ip?: string;
  /** `file` or `http`, and the manifest origin, from our annotations. */
  readonly source?: string;
  readonly origin?: string;
  /** When this fact was learned (a relist's start time, or an action's completion). */
  readonly observedAt: number;
}

export type ContainerRunState = 'created' | 'running' | 'exited' | 'unknown';

export interface ContainerObservation {
  readonly id: string;
  readonly sandboxId: string;
  readonly podUid: string;
  readonly name: string;
  readonly attempt: number;
  readonly state: ContainerRunState;
  readonly image: string;
  /** The image the runtime resolved it to (`sha256:…`, or a repo digest): the status's imageID. */
  readonly imageRef?: string;
  readonly createdAt: number;
  readonly startedAt?: number;
  readonly finishedAt?: number;
  readonly exitCode?: number;
  readonly reason?: string;
  readonly message?: string;
  /** Its preStop hook as JSON (from our annotation), run before it is stopped. */
  readonly preStop?: string;
  /** Grace period to use when stopping it (from our annotation), seconds. */
  readonly gracePeriodSeconds?: number;
  readonly observedAt: number;
}

/** A pod bound to this node in the API server: one of our mirror pods, or an ordinary pod. */
export interface MirrorObservation {
  readonly namespace: string;
  readonly name: string;
  /** The API object's UID (not the static pod's). */
  readonly uid: string;
  /** The `kubernetes.io/config.mirror` annotation: the UID of the static pod it mirrors. */
  readonly mirrorOf?: string;
  /** The `kubernetes.io/config.source` annotation. */
  readonly source?: string;
  /** It has a deletionTimestamp: someone deleted it. */
  readonly deleting: boolean;
  readonly phase?: string;
  /** When our delete of it succeeded; it stays known until the watch reports it gone. */
  readonly deleteRequestedAt?: number;
}
