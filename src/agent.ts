// Wiring: the configured sources, the reconciler loop and the effects, on real ports.
import {
  asyncScheduler,
  connect,
  distinctUntilChanged,
  EMPTY,
  Subject,
  filter,
  merge,
  type Observable,
  share,
  type SchedulerLike,
  tap,
} from 'rxjs';
import type { AgentOptions } from './cli/options.js';
import { isApiAction, type Action, type ApiAction, type RuntimeAction } from './core/model/actions.js';
import type { EventBody } from './core/model/events.js';
import { reconcileLoop, type LoopStep } from './loop.js';
import { initialState, type State } from './core/model/state.js';
import { createProbePort } from './runtime/probe-port.js';
import { probers } from './streams/probers.js';
import type { SourceKind } from './core/model/static-pod.js';
import { createEventRecorder } from './effects/kube-events.js';
import { mirrorActions } from './effects/mirror-actions.js';
import { nodeHeartbeat } from './effects/node-heartbeat.js';
import { podActions } from './effects/pod-actions.js';
import { createReporter } from './effects/report.js';
import type { CriRuntime } from './cri-api/runtime-service.js';
import type { EventLogWriter } from './runtime/event-log.js';
import { nodeAllocatable, nodeHost, readHostDns } from './runtime/host.js';
import { nodeHttp } from './runtime/http-fetch.js';
import type { Logger } from './runtime/logger.js';
import { nodeManifestFs } from './runtime/manifest-fs.js';
import { manifestDirectory } from './streams/manifest-dir.js';
import { manifestUrl } from './streams/manifest-url.js';
import {
  runtimeContainerEvents,
  runtimeEvents,
  runtimeExits,
  streamHealth,
  withoutExpectedExits,
} from './streams/runtime-events.js';
import { dropEventsOnFault } from './streams/fault-drop-events.js';
import { runtimeRelist } from './streams/runtime-relist.js';
import { SAFETY_NET_FACTOR } from './streams/relist-ticks.js';
import { heartbeat } from './streams/heartbeat.js';
import { holdOnSignal } from './streams/fault-hold.js';
import { readTerminationMessage } from './runtime/termination-message.js';
import { RuntimeStatusCache } from './runtime/cri/status-cache.js';
import { ExpectedExits } from './runtime/expected-exits.js';
import { CallGate, gateRuntimeCalls } from './runtime/cri/call-gate.js';
import type { AgentMetrics } from './runtime/metrics/agent-metrics.js';
import { mirrorWatch } from './streams/mirror-watch.js';
import type { KubeApi } from './runtime/kube/types.js';

export interface AgentDeps {
  readonly cri: CriRuntime;
  readonly log: Logger;
  readonly eventLog?: EventLogWriter;
  readonly scheduler?: SchedulerLike;
  /** Present when the agent mirrors its pods into an API server. */
  readonly kube?: KubeApi;
  /** From the runtime's Version answer: `containerd`, `1.6.20`. */
  readonly runtimeName: string;
  readonly runtimeVersion: string;
  readonly agentVersion: string;
  /** Read-only observers of every step (health, metrics, readiness), called after the event log. */
  readonly watchers?: readonly StepWatcher[];
  /** When given, the agent counts into it: its CRI calls, relists, probes, sources and steps. */
  readonly metrics?: AgentMetrics;
}

/** Sees each step of the loop as it comes out; must not throw and must not block. */
export type StepWatcher = (step: LoopStep) => void;

/** How often a Heartbeat event passes through the loop. */
export const HEARTBEAT_PERIOD_MS = 5_000;

export function configuredSources(options: AgentOptions): SourceKind[] {
  return [...(options.podManifestPath ? (['file'] as const) : []), ...(options.manifestUrl ? (['http'] as const) : [])];
}

/** Runs the agent until `stop` emits; resolves when the loop has wound down. */
export async function runAgent(options: AgentOptions, deps: AgentDeps, stop: Observable<unknown>): Promise<void> {
  const scheduler = deps.scheduler ?? asyncScheduler;
  const { log, metrics } = deps;
  // Every runtime call is counted and timed below the call gate, so a duration is the runtime's.
  const cri = metrics ? metrics.instrumentCri(deps.cri) : deps.cri;
  const eventLog = metrics && deps.eventLog ? metrics.countEventLog(deps.eventLog) : deps.eventLog;
  const hostDns = await readHostDns(options.resolvConf);

  const sources: Observable<EventBody>[] = [];
  if (options.podManifestPath) {
    sources.push(
      manifestDirectory(
        nodeManifestFs,
        {
          path: options.podManifestPath,
          nodeName: options.nodeName,
          checkFrequencyMs: options.fileCheckFrequencyMs,
          onSkipped: (file, why) => log.info({ file }, `not a manifest, skipped: ${why}`),
          onScanError: (err) => {
            metrics?.sourceFailed('file');
            log.error(
              { err: (err as Error).message, path: options.podManifestPath },
              'manifest directory scan failed; retrying',
            );
          },
        },
        scheduler,
      ),
    );
  }
  if (options.manifestUrl) {
    sources.push(
      manifestUrl(
        metrics ? metrics.instrumentHttp(nodeHttp) : nodeHttp,
        {
          url: options.manifestUrl,
          headers: options.manifestUrlHeaders,
          nodeName: options.nodeName,
          checkFrequencyMs: options.httpCheckFrequencyMs,
        },
        scheduler,
      ),
    );
  }
  // What the pod effects share with the runtime sources, made here so the sharing shows:
  // - statusCache: statuses and IPs the effects learn, which the relist then need not read, and
  //   the containers of pods being removed, whose statuses the relist does not read at all;
  // - expectedExits: what the effects stop, whose exits the signal stream drops (the relist
  //   forgets the ids once the runtime no longer lists them).
  const statusCache = new RuntimeStatusCache();
  const expectedExits = new ExpectedExits();
  // One subscription to the runtime's events: its exits go to the loop, and it all triggers
  // relists, except the exits of what the effects stop themselves.
  const signals$ = runtimeContainerEvents(
    cri,
    options.containerRuntimeEndpoint,
    (kind, why) => log.info({ events: kind }, why),
    scheduler,
    (why, retryInMs) =>
      log.warn({ retryInMs }, `container event stream broke (${why}): subscribing again, the relist goes on`),
  ).pipe(withoutExpectedExits(expectedExits), dropEventsOnFault(process.env), share());
  // While the stream is up the periodic relist is a safety net (see streams/relist-ticks.ts).
  const streamUp$ = streamHealth(signals$).pipe(
    distinctUntilChanged(),
    tap((up) =>
      up
        ? log.info(
            { relistEvery: `${(SAFETY_NET_FACTOR * options.relistPeriodMs) / 1000}s` },
            'runtime event stream up: events drive the reactions, the relist is a safety net',
          )
        : log.warn(
            { relistEvery: `${options.relistPeriodMs / 1000}s` },
            'runtime event stream down: relisting every relist period until it is back',
          ),
    ),
    share(),
  );
  sources.push(runtimeExits(signals$));
  sources.push(
    runtimeRelist(
      cri,
      {
        nodeName: options.nodeName,
        intervalMs: options.relistPeriodMs,
        terminationMessage: readTerminationMessage,
        cache: statusCache,
        expectedExits,
        ...(metrics ? { onRelisted: (ms: number) => metrics.relisted(ms) } : {}),
      },
      scheduler,
      runtimeEvents(signals$),
      streamUp$,
    ),
  );

  const kube = deps.kube;
  if (kube) {
    sources.push(mirrorWatch(kube, options.nodeName));
    sources.push(
      nodeHeartbeat(
        kube,
        {
          nodeName: options.nodeName,
          nodeIP: options.nodeIP,
          agentVersion: deps.agentVersion,
          runtimeVersion: `${deps.runtimeName}://${deps.runtimeVersion}`,
          labels: options.nodeLabels,
          taints: options.registerWithTaints,
          registerNode: options.registerNode,
          statusUpdateMs: options.nodeStatusUpdateFrequencyMs,
          statusReportMs: options.nodeStatusReportFrequencyMs,
          ...(options.kubeletApi ? { kubeletPort: options.kubeletApi.port } : {}),
        },
        scheduler,
        log,
      ),
    );
  }

  sources.push(heartbeat(HEARTBEAT_PERIOD_MS, scheduler));

  // Probers watch the state the loop folds (a feedback edge, like the effects' results).
  const probePort = createProbePort(cri);
  const state$ = new Subject<State>();
  sources.push(probers(state$, probePort, scheduler, metrics && ((t, kind, ok) => metrics.probed(t, kind, ok))));

  const gate = new CallGate(options.maxParallelRuntimeCalls);
  metrics?.watchGate(gate);

  const runtimeEffects = podActions({
    // Only the effects' calls are gated: the relist and the probes only read.
    cri: gateRuntimeCalls(cri, gate),
    host: nodeHost,
    spec: {
      nodeName: options.nodeName,
      podLogsDir: options.podLogsDir,
      rootDir: options.rootDir,
      clusterDNS: options.clusterDNS,
      clusterDomain: options.clusterDomain,
      hostDns,
      nodeIP: options.nodeIP,
      nodeAllocatable: nodeAllocatable(),
      protectedPaths: [
        options.rootDir,
        ...(options.eventLog ? [options.eventLog] : []),
        ...(deps.kube?.credentialFiles ?? []),
      ],
    },
    log,
    now: () => scheduler.now(),
    concurrency: options.maxParallelPods,
    probes: probePort,
    statusCache,
    expectedExits,
  });
  const apiEffects = kube ? mirrorActions({ kube, log, concurrency: options.maxParallelPods }) : undefined;

  const loop$ = reconcileLoop({
    initial: initialState(
      configuredSources(options),
      scheduler.now(),
      kube ? { nodeIP: options.nodeIP, runtimeName: deps.runtimeName } : undefined,
    ),
    inputs: merge(...sources).pipe(
      holdOnSignal(process.env, (held) => log.warn({ held }, 'fault injection: loop inputs held or released')),
    ),
    // Runtime work and API work run side by side: an API server that is down never delays a pod.
    effects: (actions$: Observable<Action>) =>
      actions$.pipe(
        connect((shared) =>
          merge(
            shared.pipe(
              filter((a): a is RuntimeAction => !isApiAction(a)),
              runtimeEffects,
            ),
            apiEffects
              ? shared.pipe(
                  filter((a): a is ApiAction => isApiAction(a)),
                  apiEffects,
                )
              : EMPTY,
          ),
        ),
      ),
    scheduler,
    stop,
  });

  const report = createReporter(log);
  const recorder = kube ? createEventRecorder(kube, options.nodeName, log) : undefined;
  await new Promise<void>((resolve, reject) => {
    loop$.subscribe({
      next: (s: LoopStep) => {
        // Heartbeats are not history: replaying the log needs none of them.
        if (s.event.type !== 'Heartbeat') eventLog?.write(s.event);
        // The probers need the state a diff saw; a scan's burst has it at its last step.
        if (!s.deferred) state$.next(s.state);
        report(s);
        recorder?.record(s);
        for (const a of s.actions) log.debug({ action: a.kind, pod: a.podFullName, id: a.id }, 'action issued');
        metrics?.watcher(s);
        for (const watch of deps.watchers ?? []) watch(s);
      },
      error: reject,
      complete: resolve,
    });
  }).finally(() => {
    recorder?.close();
    state$.complete();
  });
}
