// The CRI port with every call counted and timed, as the kubelet's instrumented runtime service
// does it: one operation per call, its duration, and its errors, labelled by the kubelet's
// operation names. It wraps the client itself, under the call gate, so a duration is the
// runtime's, not the time a call waited for a place.
import { performance } from 'node:perf_hooks';
import type { Counter, Histogram } from 'prom-client';
import type { CriRuntime } from '../../cri-api/runtime-service.js';

/** The kubelet's `operation_type` of each unary call of the port. */
export const OPERATION_TYPES = {
  version: 'version',
  runPodSandbox: 'run_podsandbox',
  stopPodSandbox: 'stop_podsandbox',
  removePodSandbox: 'remove_podsandbox',
  podSandboxStatus: 'podsandbox_status',
  listPodSandbox: 'list_podsandbox',
  createContainer: 'create_container',
  startContainer: 'start_container',
  stopContainer: 'stop_container',
  removeContainer: 'remove_container',
  listContainers: 'list_containers',
  containerStatus: 'container_status',
  execSync: 'exec_sync',
  exec: 'exec',
  attach: 'attach',
  portForward: 'port_forward',
  listContainerStats: 'list_container_stats',
  imageStatus: 'image_status',
  pullImage: 'pull_image',
} as const satisfies Record<Exclude<keyof CriRuntime, 'containerEvents' | 'close'>, string>;

/** The event stream's operation: counted, timed and failed when the stream ends, as the kubelet does. */
const EVENTS_OPERATION = 'get_container_events';

export interface RuntimeOperationMetrics {
  readonly operations: Counter<'operation_type'>;
  readonly duration: Histogram<'operation_type'>;
  readonly errors: Counter<'operation_type'>;
}

type UnaryMethod = keyof typeof OPERATION_TYPES;
type AnyCall = (...args: unknown[]) => Promise<unknown>;

export function instrumentRuntimeCalls(cri: CriRuntime, m: RuntimeOperationMetrics): CriRuntime {
  const record = (operation: string, startedAt: number, failed: boolean) => {
    m.operations.inc({ operation_type: operation });
    m.duration.observe({ operation_type: operation }, (performance.now() - startedAt) / 1000);
    if (failed) m.errors.inc({ operation_type: operation });
  };
  const wrapped: Partial<Record<keyof CriRuntime, unknown>> = {};
  for (const method of Object.keys(OPERATION_TYPES) as UnaryMethod[]) {
    const operation = OPERATION_TYPES[method];
    wrapped[method] = async (...args: unknown[]) => {
      const startedAt = performance.now();
      try {
        const result = await (cri[method] as AnyCall).apply(cri, args);
        record(operation, startedAt, false);
        return result;
      } catch (err) {
        record(operation, startedAt, true);
        throw err;
      }
    };
  }
  const containerEvents: CriRuntime['containerEvents'] = (types) => {
    const stream = cri.containerEvents(types);
    return {
      subscribe: (handlers) => {
        const startedAt = performance.now();
        return stream.subscribe({
          next: handlers.next,
          error: (err) => {
            record(EVENTS_OPERATION, startedAt, true);
            handlers.error(err);
          },
          complete: () => {
            record(EVENTS_OPERATION, startedAt, false);
            handlers.complete();
          },
        });
      },
    };
  };
  wrapped.containerEvents = containerEvents;
  // `close` and anything else is the client's own, reached through the prototype.
  return Object.assign(Object.create(cri) as CriRuntime, wrapped);
}
