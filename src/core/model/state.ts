// The reconciler's state: everything known, folded from the event log. Replaced, never mutated.
import type { Action } from './actions.js';
import type { DesiredView } from './desired.js';
import type { ManifestProblem } from './events.js';
import type { ContainerObservation, MirrorObservation, SandboxObservation } from './observations.js';
import type { SourceKind, StaticPod } from './static-pod.js';

export interface OriginState {
  readonly source: SourceKind;
  /** The last valid pods of this origin: they keep running while the origin is invalid. */
  readonly pods: readonly StaticPod[];
  /** Set while the origin's latest content is invalid or unreadable. */
  readonly problems?: readonly ManifestProblem[];
}

/** CrashLoopBackOff of one container: the delay before its next restart (see backoff.ts). */
export interface BackoffEntry {
  readonly delayMs: number;
  /** The finish time of the death that set this delay. */
  readonly lastUpdate: number;
}

/** What the mirror statuses need from the node and the runtime. */
export interface StatusContext {
  /** The node's address, for hostIP (and podIP of host-network pods). */
  readonly nodeIP: string;
  /** `containerd`, `cri-o`: the scheme of container IDs. */
  readonly runtimeName: string;
}

/** A failed step on a pod (a container start, a sandbox, a kill), retried after a back-off. */
export interface StepFailure {
  readonly at: number;
  readonly count: number;
  readonly reason: string;
  readonly message: string;
  /** For a container start: the sandbox it was tried in. Its retry waits in that sandbox only; in
   * a new one the container starts at once (a start that failed because its sandbox was being
   * stopped under it says nothing of the container). */
  readonly sandboxId?: string;
}

export interface RuntimeView {
  /** False until the first complete relist: nothing is decided before we know what runs. */
  readonly synced: boolean;
  readonly sandboxes: ReadonlyMap<string, SandboxObservation>;
  readonly containers: ReadonlyMap<string, ContainerObservation>;
  /** Ids removed by our actions, with the time, so an older relist cannot bring them back. */
  readonly removed: ReadonlyMap<string, number>;
  /** The start of the latest relist merged: an older one is not merged over it. */
  readonly listedAt?: number;
  readonly unavailable?: string;
}

/** What the API server shows of this node's pods (when the agent has a kubeconfig). */
export interface ApiView {
  readonly configured: boolean;
  /** What the mirror statuses need: the node's address and the runtime's name. */
  readonly statusContext: StatusContext;
  /** False until the first complete list of the node's pods. */
  readonly synced: boolean;
  readonly nodeUid?: string;
  /** Pods bound to this node, by `namespace/name`. */
  readonly pods: ReadonlyMap<string, MirrorObservation>;
  /** The status fingerprint last written to each mirror, by the mirror's API UID. */
  readonly reported: ReadonlyMap<string, string>;
  readonly unavailable?: string;
}

export interface ProbeVerdicts {
  readonly startup?: boolean;
  readonly liveness?: boolean;
  readonly readiness?: boolean;
  readonly message?: string;
}

/**
 * Everything the reconciler knows, folded from the event log: the manifests' pods by origin, the
 * runtime's sandboxes and containers, this node's pods in the API server, and the agent's own
 * bookkeeping (actions in flight, back-offs, step failures, probe verdicts). `desired` is the one
 * derived field, kept by the fold from `origins` (and `runtime.sandboxes`, for a contested name).
 * Replaced, never mutated: a fold returns a new State and copies only the maps it changes, so an
 * unchanged map keeps its identity and readers may compare by reference.
 */
export interface State {
  /** Time of the latest event (ms since the epoch): the reconciler's clock. */
  readonly now: number;
  /** Sources this agent was started with; a pod from another source is removed once these sync. */
  readonly configuredSources: readonly SourceKind[];
  readonly syncedSources: readonly SourceKind[];
  readonly origins: ReadonlyMap<string, OriginState>;
  /** Derived by the fold from the origins (and the sandboxes, for a contested name): which pods
   * should run. Read it through desiredPods (desired.ts). */
  readonly desired: DesiredView;
  readonly runtime: RuntimeView;
  readonly api: ApiView;
  /** At most one action per key (see inFlightKey) is in flight. */
  readonly inFlight: ReadonlyMap<string, Action>;
  /** CrashLoopBackOff per `<uid>/<container>`. */
  readonly backoff: ReadonlyMap<string, BackoffEntry>;
  /** Probe verdicts per container id (absent: not yet decided). */
  readonly probes: ReadonlyMap<string, ProbeVerdicts>;
  /** Failures per step (see stepKey); cleared when that step succeeds, or the pod is removed. */
  readonly failures: ReadonlyMap<string, StepFailure>;
}

export function initialState(configuredSources: readonly SourceKind[], now = 0, api?: StatusContext): State {
  return {
    now,
    configuredSources,
    api: {
      configured: api !== undefined,
      statusContext: api ?? { nodeIP: '', runtimeName: '' },
      synced: false,
      pods: new Map(),
      reported: new Map(),
    },
    syncedSources: [],
    origins: new Map(),
    desired: { byName: new Map(), contested: false, set: { pods: new Map(), conflicts: [] } },
    runtime: { synced: false, sandboxes: new Map(), containers: new Map(), removed: new Map() },
    inFlight: new Map(),
    backoff: new Map(),
    probes: new Map(),
    failures: new Map(),
  };
}

/**
 * Keys of the per-step failure and back-off maps: one per kind of step, so a failure is counted
 * against the step that failed and holds back only that step's retry (never another decision, such
 * as the pod's removal), and a success clears only its own step. Container names are DNS-1123
 * labels, so no name can collide with a `#` key.
 */
export const stepKey = {
  /** Starting a container (the first one with its sandbox too); the back-off of its restarts. */
  container: (uid: string, name: string) => `${uid}/${name}`,
  /** Removing a container that was created but never started, before it is created again. */
  removeCreated: (uid: string, name: string) => `${uid}/${name}/#remove-created`,
  /** Stopping a container that failed its liveness or startup probe. */
  probeStop: (uid: string, name: string) => `${uid}/${name}/#probe-stop`,
  sandbox: (uid: string) => `${uid}/#sandbox`,
  /** Stopping the running containers of a pod whose sandbox died. */
  sandboxDead: (uid: string) => `${uid}/#sandbox-dead`,
  /** Removing dead containers the pod no longer needs (garbage collection). */
  garbage: (uid: string) => `${uid}/#garbage`,
  /** Removing the pod's old sandboxes (garbage collection). */
  garbageSandboxes: (uid: string) => `${uid}/#garbage-sandboxes`,
  /** The pod's removal: stop and remove all it has (removed, replaced). */
  kill: (uid: string) => `${uid}/#kill`,
  mirror: (fullName: string) => `mirror/${fullName}`,
};

/** Every key of the pod `uid`'s steps starts with this. */
export const podStepPrefix = (uid: string) => `${uid}/`;
