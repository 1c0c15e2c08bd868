// Exits the agent causes itself, so that the runtime's report of them is not taken for news.

/**
 * The containers and sandboxes the agent's own effects stop: their exits are expected.
 *
 * - Written by the pod effects (src/effects/pod-actions/stop.ts), before they stop a container (a
 *   failed probe's restart, a pod's kill) or a sandbox they remove.
 * - Read by the runtime's signal stream (withoutExpectedExits, src/streams/runtime-events.ts),
 *   which drops those exits: no relist and no step for them.
 * - Pruned by the relist (src/streams/runtime-relist.ts): an id the runtime no longer lists is
 *   forgotten.
 *
 * Why: such an exit is the agent's own doing, and the action's result reports it; at a 100-pod
 * removal, 200 exits would otherwise each ask for a relist of the whole node. One instance is
 * made in src/agent.ts and handed to all three.
 */
export class ExpectedExits {
  private readonly ids = new Set<string>();

  /** The agent is about to stop this container or sandbox. */
  expect(id: string): void {
    this.ids.add(id);
  }

  isExpected(id: string): boolean {
    return this.ids.has(id);
  }

  /** Forgets ids the runtime no longer has (neither as a sandbox nor as a container). */
  prune(sandboxIds: ReadonlySet<string>, containerIds: ReadonlySet<string>): void {
    for (const id of this.ids) if (!containerIds.has(id) && !sandboxIds.has(id)) this.ids.delete(id);
  }

  get size(): number {
    return this.ids.size;
  }

  /** The ids, in the order they were first expected. */
  [Symbol.iterator](): IterableIterator<string> {
    return this.ids.values();
  }
}
