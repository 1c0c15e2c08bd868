// GET /metrics on the agent's local endpoint (--healthz-bind-address, --healthz-port): the agent
// binary, the real containerd, and the scrape read by a Prometheus text-format parser.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { freePort } from '../support/endpoint.js';
import { useTestNode } from '../support/harness.js';
import { metricsFollowThePods } from '../support/metrics-scenario.js';
import { parseScrape } from '../support/prometheus-text.js';

describe('the agent serves /metrics', () => {
  const node = useTestNode();

  it('in the Prometheus text format, and its counters move with the pods', async () => {
    const port = await freePort();
    await node.startAgent(['--healthz-bind-address=127.0.0.1', `--healthz-port=${port}`]);
    const url = `http://127.0.0.1:${port}/metrics`;
    const first = await fetch(url);
    assert.equal(first.status, 200);
    assert.match(first.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    await metricsFollowThePods(node, async () => {
      const res = await fetch(url);
      assert.equal(res.status, 200);
      return parseScrape(await res.text());
    });
  });
});
