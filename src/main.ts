#!/usr/bin/env node
// staticlet: runs Kubernetes static pods on a CRI runtime.
import { readFileSync } from 'node:fs';
import { Subject } from 'rxjs';
import { configuredSources, HEARTBEAT_PERIOD_MS, runAgent } from './agent.js';
import { replay } from './core/replay.js';
import { parseCommand, USAGE, UsageError } from './cli/flags.js';
import { runLogsCommand } from './cli/logs-command.js';
import { runPlanCommand } from './cli/plan-command.js';
import { runValidateCommand } from './cli/validate-command.js';
import { runStatusCommand } from './cli/status-command.js';
import { createCriRuntime } from './runtime/cri/client.js';
import { openEventLog, readEventLog } from './runtime/event-log.js';
import { createLogger } from './runtime/logger.js';
import { openEndpoint } from './serving/endpoint.js';
import type { KubeletApi } from './serving/kubelet-api.js';
import type { PodAccessRoutes } from './runtime/kubelet-api/pod-access-routes.js';
import { LoopView } from './serving/loop-view.js';
import { createAgentMetrics } from './runtime/metrics/agent-metrics.js';
import type { KubeApi } from './runtime/kube/types.js';
import { createSystemdNotifier, takeNotifyEnvironment } from './runtime/systemd-notify.js';
import { systemdWatcher } from './effects/systemd-watcher.js';

/** How long a shutdown may wait for CRI calls in flight before the process exits anyway. */
const SHUTDOWN_GRACE_MS = 10_000;
const RUNTIME_CHECK_TIMEOUT_MS = 10_000;

function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
      version?: string;
    };
    return pkg.version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

async function main(argv: string[]): Promise<number> {
  let command;
  try {
    command = await parseCommand(argv);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`staticlet: ${err.message}\n(see staticlet --help)\n`);
      return 2;
    }
    throw err;
  }
  if (command.kind === 'help') {
    process.stdout.write(USAGE + '\n');
    return 0;
  }
  if (command.kind === 'version') {
    process.stdout.write(`staticlet ${packageVersion()}\n`);
    return 0;
  }
  if (command.kind === 'logs') return runLogsCommand(command.args);
  if (command.kind === 'validate') return runValidateCommand(command.args);
  if (command.kind === 'plan') return runPlanCommand(command.args);
  if (command.kind === 'status') return runStatusCommand(command.args);
  if (command.kind === 'replay') {
    const runs = await readEventLog(command.file);
    for (const run of runs) {
      const { steps } = replay(run.header.configuredSources, run.events);
      process.stdout.write(
        `# run started ${run.header.startedAt} on node ${run.header.nodeName}: ${run.events.length} events\n`,
      );
      for (const s of steps) {
        for (const a of s.actions) {
          const { pod: _pod, ...rest } = a as typeof a & { pod?: unknown };
          process.stdout.write(JSON.stringify({ afterEvent: s.event.seq, eventType: s.event.type, ...rest }) + '\n');
        }
      }
    }
    return 0;
  }

  const { options, ignoredConfigFields, unusedKubeletFlags } = command;
  // Taken out of the environment first, so that nothing the agent runs inherits it.
  const notifyEnvironment = takeNotifyEnvironment(process.env, process.pid);
  const log = await createLogger({ level: options.logLevel });
  const systemd = notifyEnvironment && createSystemdNotifier(notifyEnvironment, { pid: process.pid, log });
  if (ignoredConfigFields.length > 0)
    log.info({ fields: ignoredConfigFields }, 'config fields that staticlet does not use');
  if (unusedKubeletFlags.length > 0)
    log.info({ flags: unusedKubeletFlags }, 'kubelet flags that staticlet does not use');

  const cri = createCriRuntime(options.containerRuntimeEndpoint);
  let runtime: { name: string; version: string };
  try {
    const v = await cri.version(RUNTIME_CHECK_TIMEOUT_MS);
    runtime = { name: v.runtimeName, version: v.runtimeVersion };
    log.info(
      {
        runtime: `${v.runtimeName} ${v.runtimeVersion}`,
        api: v.runtimeApiVersion,
        endpoint: options.containerRuntimeEndpoint,
      },
      'container runtime connected',
    );
  } catch (err) {
    process.stderr.write(
      `staticlet: cannot reach the container runtime at ${options.containerRuntimeEndpoint}: ${(err as Error).message}\n`,
    );
    cri.close();
    return 1;
  }

  const eventLog = options.eventLog
    ? openEventLog(options.eventLog, {
        staticlet: 'event-log',
        nodeName: options.nodeName,
        configuredSources: configuredSources(options),
        startedAt: new Date().toISOString(),
      })
    : undefined;

  const stop = new Subject<void>();
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      // Static pods outlive their agent, as with the kubelet: stopping the agent stops no pod.
      log.info({ signal }, 'stopping; pods keep running');
      systemd?.notify({ STOPPING: '1', STATUS: 'stopping; pods keep running' });
      stop.next();
      setTimeout(() => {
        log.warn('runtime calls still in flight after the shutdown grace period; exiting anyway');
        process.exit(0);
      }, SHUTDOWN_GRACE_MS).unref();
    });
  }

  let kube: KubeApi | undefined;
  if (options.kubeconfig) {
    try {
      // Loaded only when needed: the Kubernetes client is most of the agent's memory.
      const { createKubeApi } = await import('./runtime/kube/client.js');
      kube = createKubeApi(options.kubeconfig, {
        userAgent: `staticlet/v${packageVersion()} (${process.platform}/${process.arch})`,
      });
    } catch (err) {
      process.stderr.write(`staticlet: --kubeconfig ${options.kubeconfig}: ${(err as Error).message}\n`);
      cri.close();
      return 2;
    }
    log.info({ server: kube!.server, node: options.nodeName }, 'mirroring static pods into the API server');
  }

  // The agent counts into these only when an endpoint is there to serve them (GET /metrics).
  const metrics = options.healthz || options.kubeletApi ? createAgentMetrics() : undefined;

  log.info(
    { node: options.nodeName, manifests: options.podManifestPath, url: options.manifestUrl },
    'staticlet started',
  );
  // Up before the loop starts, so a supervisor sees the agent from its first step on.
  const endpoint = options.healthz
    ? openEndpoint({
        address: options.healthz,
        log,
        statusContext: { nodeIP: options.nodeIP, runtimeName: runtime.name },
        ...(metrics ? { metrics: metrics.handler } : {}),
      })
    : undefined;
  // The kubelet API's route sets besides the agent's own: logs, exec, attach, port-forward and run
  // of the static pods, found in the loop's latest state.
  // Its modules load only when it is served: a standalone node never needs them.
  const podAccessView = options.kubeletApi ? new LoopView() : undefined;
  let kubeletApi: KubeletApi | undefined;
  let podAccess: PodAccessRoutes | undefined;
  if (options.kubeletApi && podAccessView) {
    try {
      const { createPodAccessRoutes } = await import('./runtime/kubelet-api/pod-access-routes.js');
      const { openKubeletApi } = await import('./serving/kubelet-api.js');
      podAccess = createPodAccessRoutes({
        cri: metrics ? metrics.instrumentCri(cri) : cri,
        state: () => podAccessView.state,
        podLogsDir: options.podLogsDir,
        log,
      });
      kubeletApi = await openKubeletApi({
        settings: options.kubeletApi,
        nodeName: options.nodeName,
        nodeAddresses: [options.nodeIP],
        rootDir: options.rootDir,
        cri,
        ...(kube ? { kube } : {}),
        log,
        statusContext: { nodeIP: options.nodeIP, runtimeName: runtime.name },
        ...(metrics ? { metrics: metrics.handler } : {}),
        routes: [podAccess],
      });
    } catch (err) {
      process.stderr.write(
        `staticlet: the kubelet API (--port ${options.kubeletApi.port}): ${(err as Error).message}\n`,
      );
      podAccess?.close();
      await endpoint?.close();
      kube?.close();
      cri.close();
      return 2;
    }
  }
  await runAgent(
    options,
    {
      cri,
      log,
      ...(eventLog ? { eventLog } : {}),
      ...(kube ? { kube } : {}),
      runtimeName: runtime.name,
      runtimeVersion: runtime.version,
      agentVersion: packageVersion(),
      watchers: [
        ...(endpoint ? [endpoint.watcher] : []),
        ...(kubeletApi ? [kubeletApi.watcher] : []),
        ...(podAccessView ? [podAccessView.watch] : []),
        ...(systemd ? [systemdWatcher(systemd, { heartbeatPeriodMs: HEARTBEAT_PERIOD_MS, now: Date.now })] : []),
      ],
      ...(metrics ? { metrics } : {}),
    },
    stop,
  ).finally(() => {
    podAccess?.close();
    return Promise.all([endpoint?.close(), kubeletApi?.close()]);
  });
  await systemd?.flush();
  await eventLog?.close();
  kube?.close();
  cri.close();
  log.info('stopped');
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`staticlet: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
  },
);
