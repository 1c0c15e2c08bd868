// containerd's events service as a container-exit observer (on containerd 1.6, whose CRI has no
// GetContainerEvents).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { firstValueFrom, filter, take, timeout } from 'rxjs';
import { containerdTaskEvents } from '../../src/runtime/containerd/events.js';
import { nanosToMillis } from '../../src/runtime/cri/observations.js';
import { endpoint, manifest, useTestNode, waitFor } from '../support/harness.js';

describe('containerd task events', () => {
  const node = useTestNode();

  /** A running container, and the next task exit reported for it. */
  async function watchedContainer() {
    await node.writeManifest('web.yaml', manifest('web'));
    await node.startAgent();
    const c = await waitFor('web running', () => node.running('web', 'main'));
    const exit = firstValueFrom(
      containerdTaskEvents(endpoint()).pipe(
        filter((e) => e.topic === '/tasks/exit' && e.containerId === c.id),
        take(1),
        timeout(20_000),
      ),
    );
    await new Promise((r) => setTimeout(r, 300)); // subscribed
    return { c, exit };
  }

  it('reports a container exit of the CRI namespace with its facts: which container, exit code, when', async () => {
    const { c, exit } = await watchedContainer();
    await node.cri.stopContainer(c.id, 0);
    const e = await exit;
    assert.equal(e.namespace, 'k8s.io');
    assert.equal(e.exit?.mainProcess, true);
    const status = await waitFor('CRI shows the exit', async () => {
      const s = await node.cri.containerStatus(c.id);
      return s.state === 'CONTAINER_EXITED' ? s : undefined;
    });
    assert.equal(e.exit?.exitCode, status.exitCode, 'the exit code the CRI reports (137: killed)');
    assert.equal(e.exit?.exitCode, 137);
    const finishedAt = nanosToMillis(status.finishedAt)!;
    assert.ok(
      Math.abs(e.exit!.exitedAt! - finishedAt) < 1000,
      `exited at ${e.exit?.exitedAt}, the CRI says ${finishedAt}`,
    );
  });

  it("an exec that ends is not taken for the container's exit", async () => {
    const { c, exit } = await watchedContainer();
    const r = await node.cri.execSync(c.id, ['sh', '-c', 'exit 3'], 10);
    assert.equal(r.exitCode, 3);
    const e = await exit;
    assert.deepEqual([e.exit?.mainProcess, e.exit?.exitCode], [false, 3]);
    assert.equal((await node.cri.containerStatus(c.id)).state, 'CONTAINER_RUNNING');
  });

  it("reports a container's removal with its id", async () => {
    const { c, exit } = await watchedContainer();
    const removal = firstValueFrom(
      containerdTaskEvents(endpoint()).pipe(
        filter((e) => e.topic === '/containers/delete' && e.containerId === c.id),
        take(1),
        timeout(20_000),
      ),
    );
    await new Promise((r) => setTimeout(r, 300)); // subscribed
    await node.cri.stopContainer(c.id, 0);
    await exit;
    await node.cri.removeContainer(c.id);
    const e = await removal;
    assert.deepEqual([e.namespace, e.exit], ['k8s.io', undefined]);
  });

  it('the agent subscribes to them when the CRI has no event stream', async () => {
    const agent = await node.startAgent();
    const line = await agent.waitForLog(/"events":"(containerd|cri)"/);
    assert.match(line, /containerd task events|GetContainerEvents/);
  });
});
