// The relist as a slow safety net, on the real containerd 1.6 (whose task events are the stream):
// while the events are up the agent relists rarely and an exit behind its back is still restarted
// through its event; with the events silently lost, the safety-net relist repairs and counts.
// Assertions are on counts (CRI list calls, restarts, the missed-changes metric), not on timing.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { freePort } from '../support/endpoint.js';
import { manifest, sleep, useTestNode, waitFor } from '../support/harness.js';
import { metricValue, parseScrape, type Scrape } from '../support/prometheus-text.js';

describe('the relist as a safety net (containerd task events)', () => {
  const node = useTestNode();

  async function agentWithMetrics(extra: string[] = [], env: Record<string, string> = {}) {
    const port = await freePort();
    const agent = await node.startAgent(['--healthz-bind-address=127.0.0.1', `--healthz-port=${port}`, ...extra], {
      env,
    });
    const scrape = async (): Promise<Scrape> =>
      parseScrape(await (await fetch(`http://127.0.0.1:${port}/metrics`)).text());
    return { agent, scrape };
  }

  const listCalls = (m: Scrape) =>
    metricValue(m, 'kubelet_runtime_operations_total', { operation_type: 'list_containers' });

  /** The running container of web that is not `than`. */
  const restarted = (than: string) =>
    waitFor(
      'web restarted',
      async () => {
        const c = await node.running('web', 'main');
        return c && c.id !== than ? c : undefined;
      },
      60_000,
    );

  it('with the events up, relists rarely; a container killed behind its back is restarted through its event', async () => {
    // An exec probe every second: its execs' ends are task exits too, and must not ask for relists.
    const probe = '      readinessProbe:\n        exec:\n          command: ["true"]\n        periodSeconds: 1\n';
    await node.writeManifest('web.yaml', manifest('web', { extraContainer: probe }));
    const { agent, scrape } = await agentWithMetrics();
    const c = await waitFor('web running', () => node.running('web', 'main'));
    await agent.waitForLog(/runtime event stream up/);
    // Let the start's follow-up relists pass (the last comes 3 s after the latest event), then
    // count the CRI list calls over a window that holds five periods of the fast relist
    // (--relist-period, 1 s): the safety net (60 s) may fall in it once.
    await sleep(4_000);
    const before = listCalls(await scrape());
    await sleep(5_000);
    const during = listCalls(await scrape()) - before;
    assert.ok(during <= 1, `${during} ListContainers calls in 5 s with the events up (the fast relist makes ~5)`);
    const probes = metricValue(await scrape(), 'prober_probe_total', { probe_type: 'Readiness' });
    assert.ok(probes >= 5, `the exec probe ran (${probes} times)`);

    const exitsBefore = metricValue(await scrape(), 'staticlet_container_exits_total', { seen_by: 'event' });
    await node.cri.stopContainer(c.id, 0); // another client stops it: not the agent's doing
    await restarted(c.id);
    const m = await scrape();
    assert.equal(metricValue(m, 'staticlet_container_exits_total', { seen_by: 'event' }) - exitsBefore, 1);
    assert.equal(metricValue(m, 'staticlet_relist_missed_changes_total'), 0, 'the events told it all');
    assert.equal(metricValue(m, 'kubelet_running_containers', { container_state: 'running' }), 1);

    // The old container removed behind its back: its deletion event asks for the relist that
    // sees it gone (the safety net would take 60 s, past this wait).
    await waitFor('the old container known exited', async () =>
      metricValue(await scrape(), 'kubelet_running_containers', { container_state: 'exited' }) === 1 ? true : undefined,
    );
    await node.cri.removeContainer(c.id);
    await waitFor('its removal seen', async () =>
      metricValue(await scrape(), 'kubelet_running_containers', { container_state: 'exited' }) === 0 ? true : undefined,
    );
    assert.equal(metricValue(await scrape(), 'staticlet_relist_missed_changes_total'), 0);
  });

  it('with the events lost while the stream is up, the safety-net relist repairs and counts what they missed', async () => {
    await node.writeManifest('web.yaml', manifest('web'));
    // The fast period 100 ms, so the safety net (60 ×) runs every 6 s.
    const { agent, scrape } = await agentWithMetrics(['--relist-period=100ms'], {
      STATICLET_FAULT_INJECTION: 'drop-runtime-events',
    });
    const c = await waitFor('web running', () => node.running('web', 'main'));
    await agent.waitForLog(/runtime event stream up/);
    await waitFor('the running container known', async () =>
      metricValue(await scrape(), 'kubelet_running_containers', { container_state: 'running' }) === 1
        ? true
        : undefined,
    );
    assert.equal(metricValue(await scrape(), 'staticlet_relist_missed_changes_total'), 0);

    await node.cri.stopContainer(c.id, 0);
    await restarted(c.id);
    const m = await scrape();
    assert.equal(metricValue(m, 'staticlet_relist_missed_changes_total', { kind: 'container_state' }), 1);
    assert.equal(metricValue(m, 'staticlet_container_exits_total', { seen_by: 'event' }), 0, 'no event came');
    assert.equal(metricValue(m, 'staticlet_container_exits_total', { seen_by: 'relist' }), 1);
    const line = await agent.waitForLog(/safety-net relist found a change/);
    assert.match(line, /"kind":"container_state"/);
    assert.match(line, /"from":"running","to":"exited"/);
  });
});
