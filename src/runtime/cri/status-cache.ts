// What is already known of sandboxes and containers, shared by the effects (which learn it when
// they act) and the relist (which would otherwise ask the runtime again): a sandbox's IP never
// changes, and a container's status only changes with its state.
import type { ContainerStatus } from '../../cri-api/messages.js';

export class RuntimeStatusCache {
  /** Sandbox id → pod IP ('' for none, e.g. host network). */
  readonly sandboxIps = new Map<string, string>();
  /** Container id → its status, as of the state it was read in. */
  readonly containers = new Map<string, { state: string; status: ContainerStatus }>();
  /** Containers of pods being removed: how they end is of no use, so their status is not read
   * (at a 100-pod removal that is a hundred calls, and a hundred termination-message reads). */
  readonly removing = new Set<string>();

  /** Forgets ids the runtime no longer has. */
  prune(sandboxIds: ReadonlySet<string>, containerIds: ReadonlySet<string>): void {
    for (const id of this.sandboxIps.keys()) if (!sandboxIds.has(id)) this.sandboxIps.delete(id);
    for (const id of this.containers.keys()) if (!containerIds.has(id)) this.containers.delete(id);
    for (const id of this.removing) if (!containerIds.has(id)) this.removing.delete(id);
  }
}
