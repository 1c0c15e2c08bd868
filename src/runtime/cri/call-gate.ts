// Admission control for the runtime calls that make it work hard. A burst of pods (a node booting
// with a hundred manifests, a directory replaced at once) is a burst of sandbox and container
// starts and stops; containerd does them faster a few at a time than all at once, and the pods
// already under way finish first instead of every pod waiting for every other (figures:
// docs/benchmarks.md, "The call gate").
import type { CriRuntime } from '../../cri-api/runtime-service.js';

/** Which waiting call goes first when a place frees up: in this order. */
export const PRIORITIES = ['finish', 'cleanup', 'begin'] as const;
export type Priority = (typeof PRIORITIES)[number];

/**
 * A counting semaphore with three queues, taken in this order:
 * - `finish`: work that finishes or takes down what already runs (creating and starting a
 *   sandbox's containers, stopping a sandbox);
 * - `cleanup`: removing what has stopped, which frees nothing a pod is waiting for;
 * - `begin`: work that begins a new pod (RunPodSandbox), after the removals that may be making
 *   room for it (a replaced pod's successor waits for its predecessor's sandbox to go).
 * Within a queue, first come, first served.
 */
export class CallGate {
  private inFlight = 0;
  private readonly waiting: Record<Priority, (() => void)[]> = { finish: [], cleanup: [], begin: [] };

  constructor(readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1)
      throw new RangeError(`call gate limit must be a whole number of at least 1, got ${limit}`);
  }

  /** Calls in flight and calls waiting, for tests and logs. */
  get load(): { inFlight: number; waiting: number } {
    return { inFlight: this.inFlight, waiting: PRIORITIES.reduce((n, p) => n + this.waiting[p].length, 0) };
  }

  /** Calls waiting in one queue, for the metrics. */
  waitingIn(priority: Priority): number {
    return this.waiting[priority].length;
  }

  async run<T>(priority: Priority, call: () => Promise<T>): Promise<T> {
    if (this.inFlight < this.limit) this.inFlight++;
    else await new Promise<void>((admit) => this.waiting[priority].push(admit));
    try {
      return await call();
    } finally {
      // The place passes straight to the next caller, so a newcomer cannot jump the queue.
      const queue = PRIORITIES.map((p) => this.waiting[p]).find((q) => q.length > 0);
      const next = queue?.shift();
      if (next) next();
      else this.inFlight--;
    }
  }
}

/**
 * `cri` with its heavy calls admitted through a gate of `limit` places (or through `limit`, a gate
 * the caller made, to watch its load). When a hundred pods go at
 * once, every sandbox is stopped before the first is removed, so the last pod stops as soon as
 * the runtime can stop them all. StopContainer is not
 * gated: it waits out the container's grace period (up to minutes) while the runtime does nothing,
 * and must never hold a place that a start is waiting for. Reads (status, list) are cheap for the
 * runtime and never wait.
 */
export function gateRuntimeCalls(cri: CriRuntime, limit: number | CallGate): CriRuntime {
  const gate = typeof limit === 'number' ? new CallGate(limit) : limit;
  // Every other method is `cri`'s own, reached through the prototype.
  return Object.assign(Object.create(cri) as CriRuntime, {
    runPodSandbox: (config, handler) => gate.run('begin', () => cri.runPodSandbox(config, handler)),
    createContainer: (sandboxId, config, sandboxConfig) =>
      gate.run('finish', () => cri.createContainer(sandboxId, config, sandboxConfig)),
    startContainer: (id) => gate.run('finish', () => cri.startContainer(id)),
    stopPodSandbox: (id) => gate.run('finish', () => cri.stopPodSandbox(id)),
    removePodSandbox: (id) => gate.run('cleanup', () => cri.removePodSandbox(id)),
    removeContainer: (id) => gate.run('cleanup', () => cri.removeContainer(id)),
  } satisfies Partial<CriRuntime>);
}
