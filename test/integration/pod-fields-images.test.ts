// imagePullPolicy on the real runtime: IfNotPresent and Never use a present image; Never with a
// missing image is ErrImageNeverPull; a pull that fails is ErrImagePull, retried after a back-off.
// The missing image's registry is a closed port on loopback: no traffic leaves the node.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { IMAGE, useTestNode, waitFor } from '../support/harness.js';

const pod = (name: string, image: string, policy: string) => `apiVersion: v1
kind: Pod
metadata: {name: ${name}}
spec:
  terminationGracePeriodSeconds: 1
  containers:
    - name: main
      image: ${image}
      imagePullPolicy: ${policy}
      command: ["sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"]
`;

const failures = (logs: string[], pod: string) =>
  logs
    .filter((l) => /StartContainer failed/.test(l) && l.includes(pod))
    .map((l) => JSON.parse(l) as { reason: string; err: string; time: number });

describe('pod fields: image pull policy', () => {
  const node = useTestNode();

  it('IfNotPresent and Never run a present image without pulling it', async () => {
    await node.writeManifest('ifnp.yaml', pod('ifnp', IMAGE, 'IfNotPresent'));
    await node.writeManifest('never.yaml', pod('never', IMAGE, 'Never'));
    const agent = await node.startAgent();
    await waitFor('ifnp running', () => node.running('ifnp', 'main'), 30_000);
    await waitFor('never running', () => node.running('never', 'main'), 30_000);
    assert.equal(agent.logs.filter((l) => /image pulled/.test(l)).length, 0);
  });

  it('Never with a missing image: ErrImageNeverPull, no pull', async () => {
    await node.writeManifest('absent.yaml', pod('absent', 'staticlet.local/absent:1', 'Never'));
    const agent = await node.startAgent();
    await agent.waitForLog(/StartContainer failed/, 30_000);
    const [f] = failures(agent.logs, node.podName('absent'));
    assert.equal(f?.reason, 'ErrImageNeverPull');
    assert.match(f!.err, /image "staticlet\.local\/absent:1" is not present and imagePullPolicy is Never/);
    assert.equal((await node.containers()).length, 0);
  });

  it('IfNotPresent with a missing image: ErrImagePull, retried after the back-off', async () => {
    await node.writeManifest('unpullable.yaml', pod('unpullable', '127.0.0.1:1/absent:1', 'IfNotPresent'));
    const agent = await node.startAgent();
    const name = node.podName('unpullable');
    const both = await waitFor(
      'two failed pulls',
      () => {
        const f = failures(agent.logs, name);
        return f.length >= 2 ? f : undefined;
      },
      40_000,
      250,
    );
    assert.deepEqual(
      both.slice(0, 2).map((f) => f.reason),
      ['ErrImagePull', 'ErrImagePull'],
    );
    assert.match(both[0]!.err, /pulling image "127\.0\.0\.1:1\/absent:1"/);
    const gap = both[1]!.time - both[0]!.time;
    assert.ok(gap >= 9_000, `the retry waited for the back-off (${gap} ms)`);
    assert.equal((await node.containers()).length, 0);
  });
});
