// Bad input never loses a running pod, and always says which file, which line, what is wrong.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { manifest, sleep, useTestNode, waitFor } from '../support/harness.js';

describe('bad manifests', () => {
  const node = useTestNode();

  it('an edit that breaks a manifest keeps the last valid pod running and names file, line and reason', async () => {
    await node.writeManifest('web.yaml', manifest('web'));
    const agent = await node.startAgent(['--file-check-frequency=1s']);
    const c = await waitFor('web running', () => node.running('web', 'main'));

    const broken = manifest('web').replace(/ {6}image: .*\n/, '');
    const path = await node.writeManifest('web.yaml', broken);
    const line = await agent.waitForLog(/invalid manifest/);
    const brokenLine = broken.split('\n').findIndex((l) => l.includes('- name: main')) + 1;
    assert.ok(line.includes(`${path}:${brokenLine}`), `names the file and line ${brokenLine}: ${line}`);
    assert.match(line, /spec\.containers\[0\]\.image: image is required/);
    assert.match(line, /keeping the last valid version running/);
    await sleep(2_500); // rescans and relists come and go
    assert.equal((await node.running('web', 'main'))?.id, c.id, 'the pod kept running, untouched');

    // YAML that does not even parse: the same.
    await node.writeManifest('web.yaml', 'apiVersion: v1\nkind: Pod\nmetadata: [oops\n');
    await agent.waitForLog(/invalid manifest: .*web\.yaml:\d+/);
    await sleep(1_500);
    assert.equal((await node.running('web', 'main'))?.id, c.id);

    // Deleting the file is what removes the pod.
    await node.removeManifest('web.yaml');
    await waitFor('web removed', async () => (await node.sandboxes()).length === 0);
  });

  it('a new invalid file starts nothing and says why', async () => {
    const agent = await node.startAgent();
    await node.writeManifest('bad.yaml', manifest('bad').replace('spec:\n', 'spec:\n  serviceAccountName: builder\n'));
    const line = await agent.waitForLog(/invalid manifest/);
    assert.match(
      line,
      /bad\.yaml:\d+:\d+: spec\.serviceAccountName: static pods may not use a service account; nothing started from it/,
    );
    await sleep(1_500);
    assert.equal((await node.sandboxes()).length, 0);
  });

  it('two files defining one pod: a deterministic winner and a clear error for the other', async () => {
    await node.writeManifest('a.yaml', manifest('web', { script: 'sleep 3601' }));
    await node.writeManifest('b.yaml', manifest('web', { script: 'sleep 3602' }));
    const agent = await node.startAgent();
    const c = await waitFor('web running', () => node.running('web', 'main'));
    const line = await agent.waitForLog(/defined by more than one manifest/);
    assert.match(line, /running the one from .*a\.yaml, ignoring .*b\.yaml/);
    const sandboxes = await node.sandboxes();
    assert.equal(sandboxes.length, 1);
    assert.match(sandboxes[0]!.annotations['staticlet.io/origin']!, /a\.yaml$/);
    // The running pod stays the winner even when the other file changes.
    await node.writeManifest('b.yaml', manifest('web', { script: 'sleep 3603' }));
    await sleep(1_500);
    assert.equal((await node.running('web', 'main'))?.id, c.id);
  });
});
