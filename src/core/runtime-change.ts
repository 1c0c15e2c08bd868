// Which runtime events ask the agent to look again (a relist), whichever stream brings them: the
// CRI's GetContainerEvents (containerd 2.x, CRI-O) or containerd's task events (containerd 1.6).
// Each stream's events are told apart into these changes in src/streams/runtime-events.ts.

/** What a runtime event says happened to a container (or to a sandbox's pause container). */
export type RuntimeChange = 'created' | 'started' | 'stopped' | 'oom-killed' | 'deleted' | 'exec-exited';

/**
 * Whether a change asks for a look: a stop, an OOM kill (its container may be ending) or a removal
 * does; a creation, a start or an exec's end does not. A runtime creates and starts only when
 * asked: by the agent, whose action's result reports it, or by another client, which the
 * safety-net relist sees. An exec's end (an exec probe's, every period) changes nothing the relist
 * would see. Following creations and starts made the start of 50 pods on containerd 2.x cost ~250
 * relists of every sandbox and container instead of 2, and that churn left the idle agent ~20 MiB
 * more RSS (issue 25, docs/benchmarks.md).
 */
export function changeAsksForLook(change: RuntimeChange): boolean {
  return change === 'stopped' || change === 'oom-killed' || change === 'deleted';
}
