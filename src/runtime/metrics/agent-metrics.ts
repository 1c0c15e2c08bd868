// One agent's metrics: its own registry (never prom-client's global one, so several agents can
// live in one process, as in tests), the collectors, the decorators that count at the ports, the
// step watcher that counts the loop, and the handler a server mounts at GET /metrics.
import { collectDefaultMetrics, Registry } from 'prom-client';
import type { CriRuntime } from '../../cri-api/runtime-service.js';
import type { ProbeKind, ProbeTarget } from '../../core/model/probes.js';
import type { SourceKind } from '../../core/model/static-pod.js';
import type { ObservedStep } from '../../core/step-outcomes.js';
import type { CallGate } from '../cri/call-gate.js';
import type { EventLogWriter } from '../event-log.js';
import type { HttpPort } from '../http-fetch.js';
import { createCollectors } from './collectors.js';
import { instrumentRuntimeCalls } from './instrumented-cri.js';
import { probeResults } from './probe-results.js';
import { stepMetrics } from './step-metrics.js';

/** What GET /metrics answers: the Prometheus text format (version 0.0.4). */
export interface MetricsResponse {
  readonly contentType: string;
  readonly body: string;
}

export type MetricsHandler = () => Promise<MetricsResponse>;

/** The scrape of a registry, for a server to answer GET /metrics with (status 200). */
export function metricsHandler(registry: Registry): MetricsHandler {
  return async () => ({ contentType: registry.contentType, body: await registry.metrics() });
}

export interface AgentMetrics {
  readonly registry: Registry;
  /** Mount at GET /metrics. */
  readonly handler: MetricsHandler;
  /** A StepWatcher (runAgent's `deps.watchers`): counts each step, keeps the latest state. */
  readonly watcher: (step: ObservedStep) => void;
  /** The CRI port with every call counted and timed (kubelet_runtime_operations_*). */
  instrumentCri(cri: CriRuntime): CriRuntime;
  /** The manifest URL's HTTP port with its failed fetches counted. */
  instrumentHttp(http: HttpPort): HttpPort;
  /** The event log writer with its writes counted. */
  countEventLog(writer: EventLogWriter): EventLogWriter;
  /** The call gate whose queues the gauges show. */
  watchGate(gate: CallGate): void;
  /** A relist of the runtime took this long (ms), whether it succeeded or not. */
  relisted(durationMs: number): void;
  /** A probe ran. */
  probed(target: ProbeTarget, kind: ProbeKind, success: boolean): void;
  /** A manifest directory scan failed (URL fetches are counted by instrumentHttp). */
  sourceFailed(source: SourceKind): void;
}

export interface AgentMetricsOptions {
  /** Node's process metrics (CPU, memory, event loop, handles), prom-client's defaults. */
  readonly processMetrics?: boolean;
}

/**
 * How often the event loop's delay is sampled for `nodejs_eventloop_lag_*`. prom-client's 10 ms
 * woke an idle agent 100 times a second, most of its idle CPU (docs/benchmarks.md); once a second
 * still catches any stall of the loop, which delays the next sample by as much.
 */
export const EVENT_LOOP_SAMPLE_MS = 1_000;

export function createAgentMetrics(options: AgentMetricsOptions = {}): AgentMetrics {
  const registry = new Registry();
  if (options.processMetrics ?? true)
    collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: EVENT_LOOP_SAMPLE_MS });
  let gate: CallGate | undefined;
  // The gauges are read only when scraped, by then `counts` is there.
  const c = createCollectors(registry, { state: () => counts.latest(), gate: () => gate });
  const counts = stepMetrics(c);
  const probes = probeResults(c.probes);

  return {
    registry,
    handler: metricsHandler(registry),
    watcher: (step) => {
      const before = counts.latest()?.desired;
      counts.watch(step);
      // The probe series of pods no longer run go with them.
      if (before !== undefined && before !== step.state.desired) probes.keepOnly(step.state.desired.set.pods);
    },
    instrumentCri: (cri) =>
      instrumentRuntimeCalls(cri, {
        operations: c.runtimeOperations,
        duration: c.runtimeOperationsDuration,
        errors: c.runtimeOperationsErrors,
      }),
    instrumentHttp: (http) => ({
      get: async (...args) => {
        try {
          const res = await http.get(...args);
          if (res.status < 200 || res.status > 299) c.sourceFailures.inc({ source: 'http' });
          return res;
        } catch (err) {
          c.sourceFailures.inc({ source: 'http' });
          throw err;
        }
      },
    }),
    countEventLog: (writer) => ({
      write: (event) => {
        writer.write(event);
        c.eventsLogged.inc();
      },
      close: () => writer.close(),
    }),
    watchGate: (g) => {
      gate = g;
    },
    relisted: (ms) => c.relistDuration.observe(ms / 1000),
    probed: (target, kind, success) => probes.record(target, kind, success),
    sourceFailed: (source) => c.sourceFailures.inc({ source }),
  };
}
