// Every metric the agent exports, on one registry per agent. The kubelet's names, labels and
// buckets where the meaning is the same (pkg/kubelet/metrics, pkg/kubelet/prober); our own under
// `staticlet_`. The meaning of each is in docs/metrics.md.
import { Counter, Gauge, Histogram, exponentialBuckets, type Registry } from 'prom-client';
import {
  backoffsInForce,
  containersByState,
  desiredPodCount,
  manifestProblemCounts,
  mirrorPodCount,
  runningPodCount,
} from '../../core/node-counts.js';
import type { State } from '../../core/model/state.js';
import { PRIORITIES, type CallGate } from '../cri/call-gate.js';

/** The kubelet's `podStartupDurationBuckets` (seconds). */
const POD_START_BUCKETS = [
  0.5, 1, 2, 3, 4, 5, 6, 8, 10, 20, 30, 45, 60, 120, 180, 240, 300, 360, 480, 600, 900, 1200, 1800, 2700, 3600,
];
/** Prometheus' default buckets, which the kubelet uses for its PLEG relist. */
const DEFAULT_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** What the gauges are read from when scraped: the loop's latest state, the call gate. */
export interface GaugeSources {
  readonly state: () => State | undefined;
  readonly gate: () => CallGate | undefined;
}

export function createCollectors(registry: Registry, from: GaugeSources) {
  const registers = [registry];
  /** A gauge's collect: runs at each scrape, on the latest state (nothing before the first step). */
  const fromState = <T extends string>(read: (gauge: Gauge<T>, state: State) => void) =>
    function (this: Gauge<T>) {
      const state = from.state();
      if (state) read(this, state);
    };
  return {
    // Gauges, read when scraped: a step costs no counting.
    runningPods: new Gauge({
      name: 'kubelet_running_pods',
      help: 'Number of pods that have a running pod sandbox',
      registers,
      collect: fromState((g, s) => g.set(runningPodCount(s))),
    }),
    runningContainers: new Gauge({
      name: 'kubelet_running_containers',
      help: "Number of the agent's containers on the runtime, by state (created, running, exited, unknown)",
      labelNames: ['container_state'] as const,
      registers,
      collect: fromState<'container_state'>((g, s) => {
        for (const [state, n] of Object.entries(containersByState(s))) g.set({ container_state: state }, n);
      }),
    }),
    desiredPods: new Gauge({
      name: 'kubelet_desired_pods',
      help: 'The number of pods the agent is instructed to run. static is true if the pod is not from the apiserver (always, here).',
      labelNames: ['static'] as const,
      registers,
      collect: fromState<'static'>((g, s) => {
        g.set({ static: 'true' }, desiredPodCount(s));
        // The kubelet's pods from the API server: staticlet runs none.
        g.set({ static: '' }, 0);
      }),
    }),
    mirrorPods: new Gauge({
      name: 'kubelet_mirror_pods',
      help: 'The number of mirror pods of our static pods that the API server shows',
      registers,
      collect: fromState((g, s) => g.set(mirrorPodCount(s))),
    }),
    backoffs: new Gauge({
      name: 'staticlet_backoffs',
      help: 'Back-offs in force: containers waiting out CrashLoopBackOff (crash-loop), failed steps waiting for their retry (failed-step)',
      labelNames: ['kind'] as const,
      registers,
      collect: fromState<'kind'>((g, s) => {
        for (const [kind, n] of Object.entries(backoffsInForce(s))) g.set({ kind }, n);
      }),
    }),
    manifestProblems: new Gauge({
      name: 'staticlet_manifest_problems',
      help: 'Problems of the manifests whose latest content cannot be run (their last valid pods keep running), by source and reason',
      labelNames: ['source', 'reason'] as const,
      registers,
      collect: fromState<'source' | 'reason'>((g, s) => {
        // A fixed problem's series goes: only what is wrong now is shown.
        g.reset();
        for (const p of manifestProblemCounts(s)) g.set({ source: p.source, reason: p.reason }, p.count);
      }),
    }),
    gateWaiting: new Gauge({
      name: 'staticlet_runtime_call_gate_waiting',
      help: 'Runtime calls waiting for a place in the call gate (--max-parallel-runtime-calls), by queue',
      labelNames: ['queue'] as const,
      registers,
      collect() {
        const gate = from.gate();
        for (const queue of PRIORITIES) this.set({ queue }, gate?.waitingIn(queue) ?? 0);
      },
    }),
    gateInFlight: new Gauge({
      name: 'staticlet_runtime_call_gate_in_flight',
      help: 'Runtime calls holding a place in the call gate',
      registers,
      collect() {
        this.set(from.gate()?.load.inFlight ?? 0);
      },
    }),

    // Counted as it happens.
    startedPods: new Counter({
      name: 'kubelet_started_pods_total',
      help: 'Cumulative number of pods started (pod sandbox starts whose result came back)',
      registers,
    }),
    startedPodsErrors: new Counter({
      name: 'kubelet_started_pods_errors_total',
      help: 'Cumulative number of errors when starting pods (pod sandboxes)',
      registers,
    }),
    startedContainers: new Counter({
      name: 'kubelet_started_containers_total',
      help: 'Cumulative number of containers started (starts whose result came back)',
      labelNames: ['container_type'] as const,
      registers,
    }),
    startedContainersErrors: new Counter({
      name: 'kubelet_started_containers_errors_total',
      help: 'Cumulative number of errors when starting containers, by container type and reason (code)',
      labelNames: ['container_type', 'code'] as const,
      registers,
    }),
    runtimeOperations: new Counter({
      name: 'kubelet_runtime_operations_total',
      help: 'Cumulative number of runtime operations by operation type.',
      labelNames: ['operation_type'] as const,
      registers,
    }),
    runtimeOperationsDuration: new Histogram({
      name: 'kubelet_runtime_operations_duration_seconds',
      help: 'Duration in seconds of runtime operations. Broken down by operation type.',
      labelNames: ['operation_type'] as const,
      buckets: exponentialBuckets(0.005, 2.5, 14),
      registers,
    }),
    runtimeOperationsErrors: new Counter({
      name: 'kubelet_runtime_operations_errors_total',
      help: 'Cumulative number of runtime operation errors by operation type.',
      labelNames: ['operation_type'] as const,
      registers,
    }),
    podStartDuration: new Histogram({
      name: 'kubelet_pod_start_duration_seconds',
      help: 'Duration in seconds from the agent seeing a pod (its manifest) for the first time to the pod starting to run',
      buckets: POD_START_BUCKETS,
      registers,
    }),
    relistDuration: new Histogram({
      name: 'kubelet_pleg_relist_duration_seconds',
      help: 'Duration in seconds for relisting pods (and containers) from the runtime.',
      buckets: DEFAULT_BUCKETS,
      registers,
    }),
    probes: new Counter({
      name: 'prober_probe_total',
      help: 'Cumulative number of a liveness, readiness or startup probe for a container by result.',
      labelNames: ['probe_type', 'result', 'container', 'pod', 'namespace', 'pod_uid'] as const,
      registers,
    }),
    sourceFailures: new Counter({
      name: 'staticlet_source_failures_total',
      help: 'Manifest source failures: URL fetches that failed or answered a non-2xx status (http), directory scans that failed (file)',
      labelNames: ['source'] as const,
      registers,
    }),
    exits: new Counter({
      name: 'staticlet_container_exits_total',
      help: "Containers seen to go from running to exited, by who told first: the runtime's event stream (event) or the relist (relist)",
      labelNames: ['seen_by'] as const,
      registers,
    }),
    relistMissedChanges: new Counter({
      name: 'staticlet_relist_missed_changes_total',
      help: "Changes a safety-net relist found that neither the runtime's event stream nor the agent's own actions had told, by kind (container_state, sandbox, added, gone)",
      labelNames: ['kind'] as const,
      registers,
    }),
    eventsLogged: new Counter({
      name: 'staticlet_events_logged_total',
      help: 'Events written to the event log (--event-log)',
      registers,
    }),
    loopSteps: new Counter({
      name: 'staticlet_loop_steps_total',
      help: 'Steps of the reconciler loop, by the type of the event folded',
      labelNames: ['event'] as const,
      registers,
    }),
    actionsIssued: new Counter({
      name: 'staticlet_actions_issued_total',
      help: 'Actions the reconciler issued, by kind',
      labelNames: ['kind'] as const,
      registers,
    }),
  };
}

export type Collectors = ReturnType<typeof createCollectors>;
