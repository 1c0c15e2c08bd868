// Every input to the reconciler is an event in one log. Results of effects come back as events
// too, so the log alone is enough to replay what the agent decided.
import type { Action } from './actions.js';
import type { ProbeKind } from './probes.js';
import type { SourceKind, StaticPod } from './static-pod.js';
import type { ContainerObservation, MirrorObservation, SandboxObservation } from './observations.js';

/** A problem with a manifest, located as precisely as we can. */
export interface ManifestProblem {
  /** File path or URL. */
  readonly origin: string;
  /** 1-based line and column in the manifest, when known. */
  readonly line?: number;
  readonly column?: number;
  /** The field path, e.g. `spec.containers[0].image`, when the problem is about one field. */
  readonly field?: string;
  readonly message: string;
}

/** A manifest event from a scan that found several changes at once: `more` on every one but the
 * last, so a step folds it and leaves the diff to the last (a burst of a hundred files is one
 * diff over the whole burst, and all its actions go out together, not a hundred diffs). */
interface ScanPart {
  more?: true;
}

export type EventBody =
  /** A manifest origin was read and holds these pods (one for a file, any number for a URL). */
  | ({ type: 'ManifestRead'; source: SourceKind; origin: string; pods: StaticPod[] } & ScanPart)
  /** A manifest origin could not be read or is invalid. Its last valid pods keep running. */
  | ({ type: 'ManifestInvalid'; source: SourceKind; origin: string; problems: ManifestProblem[] } & ScanPart)
  /** A manifest file is gone: its pods are to be removed. */
  | ({ type: 'ManifestGone'; source: SourceKind; origin: string } & ScanPart)
  /** A source finished its first complete listing: from now on what it lacks may be removed. */
  | { type: 'SourceSynced'; source: SourceKind; sourceId: string }
  /** A complete listing of what we run on the runtime, taken starting at `startedAt` (ms). */
  | {
      type: 'RuntimeRelisted';
      startedAt: number;
      sandboxes: SandboxObservation[];
      containers: ContainerObservation[];
      /** A safety-net relist: periodic, while the runtime's event stream was up, with no event
       * asking for it; what it finds that the state did not know is a change the events missed. */
      safetyNet?: true;
    }
  /** The runtime's event stream saw a container's main process exit (a sandbox's, for its pause
   * container), ahead of the CRI's own view; the next relist adds the rest (reason, message). */
  | { type: 'ContainerExited'; containerId: string; exitCode: number; finishedAt?: number }
  | { type: 'RuntimeUnavailable'; message: string }
  | { type: 'ActionSucceeded'; action: Action; outcome: ActionOutcome }
  | { type: 'ActionFailed'; action: Action; reason: string; message: string }
  /** The complete list of pods bound to this node in the API server (after each (re)connect). */
  | { type: 'MirrorsListed'; pods: MirrorObservation[] }
  | { type: 'MirrorChanged'; pod: MirrorObservation }
  | { type: 'MirrorGone'; namespace: string; name: string; uid: string }
  | { type: 'ApiUnavailable'; message: string }
  /** The Node object exists (registered by us or found); mirrors are owned by it. */
  | { type: 'NodeRegistered'; uid: string }
  /** A probe's verdict changed (after its success or failure threshold). */
  | {
      type: 'ProbeChanged';
      podUid: string;
      containerId: string;
      containerName: string;
      probe: ProbeKind;
      ok: boolean;
      message: string;
    }
  /** A wake-up the reconciler asked for (e.g. a back-off ended). */
  | { type: 'TimerFired' }
  /** A liveness tick. It changes nothing; that it came out of the loop at all is what the health
   * check and systemd's watchdog watch (a loop that stops turning stops passing it on). */
  | { type: 'Heartbeat' };

/** What an effect learned by doing its action: facts newer than the last relist. */
export interface ActionOutcome {
  readonly sandboxes?: SandboxObservation[];
  readonly containers?: ContainerObservation[];
  /** For a mirror creation: the mirror as the API server created it. */
  readonly mirror?: MirrorObservation;
  /** For a container start: the image had to be pulled (it was not present). */
  readonly imagePulled?: boolean;
  /** For a sandbox with a first container: the sandbox started, but its container did not. */
  readonly firstFailed?: { readonly reason: string; readonly message: string };
  /** For a status update: the fingerprint of the status now shown by the mirror. */
  readonly reportedStatus?: string;
  /** Ids the action removed from the runtime. */
  readonly removedSandboxIds?: string[];
  readonly removedContainerIds?: string[];
}

/** An event as it sits in the log: numbered and timed (ms since the epoch). */
export type LoggedEvent = EventBody & { readonly seq: number; readonly at: number };
