// /metrics in process: the real agent loop (runAgent) on the real containerd, with its metrics,
// scraped through the handler a server mounts. The same scenario through the agent's HTTP
// endpoint is in metrics-endpoint.test.ts.
import { describe, it } from 'node:test';
import { createAgentMetrics } from '../../src/runtime/metrics/agent-metrics.js';
import { useTestNode } from '../support/harness.js';
import { startAgentInProcess } from '../support/in-process-agent.js';
import { metricsFollowThePods } from '../support/metrics-scenario.js';
import { parseScrape } from '../support/prometheus-text.js';

describe('metrics of an agent running in process', () => {
  const node = useTestNode();

  it('move with the pods: runtime operations, starts, exits, back-offs, probes; gauges match crictl', async () => {
    const metrics = createAgentMetrics();
    const agent = await startAgentInProcess(node, { metrics });
    try {
      await metricsFollowThePods(node, async () => parseScrape((await metrics.handler()).body));
    } finally {
      await agent.stop();
    }
  });
});
