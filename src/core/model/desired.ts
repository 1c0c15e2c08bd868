// Which static pods should run, as the state holds it: derived from the origins (and, for a name
// two origins define, from the sandboxes) by the fold; the rule itself is in ../desired.ts.
import type { StaticPod } from './static-pod.js';

/** A `namespace/name` that more than one origin defines. */
export interface Conflict {
  readonly fullName: string;
  readonly winner: string;
  readonly losers: readonly string[];
}

export interface DesiredSet {
  /** By UID. */
  readonly pods: ReadonlyMap<string, StaticPod>;
  readonly conflicts: readonly Conflict[];
}

export interface DesiredView {
  /** The origins' pods grouped by `namespace/name`, each group in origin name order. */
  readonly byName: ReadonlyMap<string, readonly StaticPod[]>;
  /** Some name is defined twice: then `set` depends on what runs. */
  readonly contested: boolean;
  readonly set: DesiredSet;
}
