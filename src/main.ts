#!/usr/bin/env node
// staticlet: runs Kubernetes static pods on a CRI runtime.
import { readFileSync } from 'node:fs';
import { Subject } from 'rxjs';
import { configuredSources, runAgent } from './agent.js';
import { replay } from './core/replay.js';
import { parseCommand, USAGE, UsageError } from './cli/flags.js';
import { runLogsCommand } from './cli/logs-command.js';
import { createCriRuntime } from './runtime/cri/client.js';
import { openEventLog, readEventLog } from './runtime/event-log.js';
import { createLogger } from './runtime/logger.js';
import { createAgentMetrics } from './runtime/metrics/agent-metrics.js';
import type { KubeApi } from './runtime/kube/types.js';

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

  const { options, ignoredConfigFields } = command;
  const log = await createLogger({ level: options.logLevel });
  if (ignoredConfigFields.length > 0)
    log.info({ fields: ignoredConfigFields }, 'config fields that staticlet does not use');

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
        version: 1,
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
      kube = createKubeApi(options.kubeconfig);
    } catch (err) {
      process.stderr.write(`staticlet: --kubeconfig ${options.kubeconfig}: ${(err as Error).message}\n`);
      cri.close();
      return 2;
    }
    log.info({ server: kube!.server, node: options.nodeName }, 'mirroring static pods into the API server');
  }

  // The agent counts into these; `metrics.handler` answers GET /metrics on the local server.
  const metrics = createAgentMetrics();

  log.info(
    { node: options.nodeName, manifests: options.podManifestPath, url: options.manifestUrl },
    'staticlet started',
  );
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
      metrics,
    },
    stop,
  );
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
