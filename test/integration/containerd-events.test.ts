// containerd's events service as a container-exit observer (on containerd 1.6, whose CRI has no
// GetContainerEvents).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { firstValueFrom, filter, take, timeout } from 'rxjs';
import { containerdTaskEvents } from '../../src/runtime/containerd/events.js';
import { endpoint, manifest, useTestNode, waitFor } from '../support/harness.js';

describe('containerd task events', () => {
  const node = useTestNode();

  it('reports a container exit of the CRI namespace', async () => {
    await node.writeManifest('web.yaml', manifest('web'));
    await node.startAgent();
    const c = await waitFor('web running', () => node.running('web', 'main'));
    const exit = firstValueFrom(containerdTaskEvents(endpoint()).pipe(filter((e) => e.topic === '/tasks/exit'), take(1), timeout(20_000)));
    await new Promise((r) => setTimeout(r, 300)); // subscribed
    await node.cri.stopContainer(c.id, 0);
    const e = await exit;
    assert.equal(e.namespace, 'k8s.io');
  });

  it('the agent subscribes to them when the CRI has no event stream', async () => {
    const agent = await node.startAgent();
    const line = await agent.waitForLog(/"events":"(containerd|cri)"/);
    assert.match(line, /containerd task events|GetContainerEvents/);
  });
});
