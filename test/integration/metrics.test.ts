// /metrics in process: the real agent loop (runAgent) on the real containerd, with its metrics,
// scraped through the handler a server mounts. The same scenario through the agent's HTTP
// endpoint is in metrics-endpoint.test.ts.
import { describe, it } from 'node:test';
import { Subject } from 'rxjs';
import { runAgent } from '../../src/agent.js';
import { parseCommand } from '../../src/cli/flags.js';
import { createCriRuntime } from '../../src/runtime/cri/client.js';
import { createLogger } from '../../src/runtime/logger.js';
import { createAgentMetrics } from '../../src/runtime/metrics/agent-metrics.js';
import { endpoint, useTestNode } from '../support/harness.js';
import { metricsFollowThePods } from '../support/metrics-scenario.js';
import { parseScrape } from '../support/prometheus-text.js';

describe('metrics of an agent running in process', () => {
  const node = useTestNode();

  it('move with the pods: runtime operations, starts, exits, back-offs, probes; gauges match crictl', async () => {
    const command = await parseCommand([
      `--pod-manifest-path=${node.manifests}`,
      `--container-runtime-endpoint=${endpoint()}`,
      `--hostname-override=${node.nodeName}`,
      `--pod-logs-dir=${node.logsDir}`,
      `--root-dir=${node.rootDir}`,
    ]);
    if (command.kind !== 'run') throw new Error(`not a run: ${command.kind}`);
    const cri = createCriRuntime(endpoint());
    const version = await cri.version();
    const metrics = createAgentMetrics();
    const stop = new Subject<void>();
    const agent = runAgent(
      command.options,
      {
        cri,
        log: await createLogger({ level: 'silent' }),
        runtimeName: version.runtimeName,
        runtimeVersion: version.runtimeVersion,
        agentVersion: 'test',
        metrics,
      },
      stop,
    );
    try {
      await metricsFollowThePods(node, async () => parseScrape((await metrics.handler()).body));
    } finally {
      stop.next();
      await agent;
      cri.close();
    }
  });
});
