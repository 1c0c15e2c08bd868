// Pods come and go with their manifest files, on a real containerd.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { open, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { spawnSync } from 'node:child_process';
import { AGENT_MAIN, manifest, sleep, useTestNode, waitFor } from '../support/harness.js';

describe('static pods from a manifest directory', () => {
  const node = useTestNode();

  it('starts every pod present at start, with the kubelet metadata, labels and log layout', async () => {
    await node.writeManifest('a.yaml', manifest('pod-a', { labels: { role: 'myrole' } }));
    await node.writeManifest(
      'b.json',
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'pod-b', namespace: 'kube-system' },
        spec: { containers: [{ name: 'main', image: 'staticlet.local/busybox:1', command: ['sleep', '3600'] }] },
      }),
    );
    await node.startAgent();
    const a = await waitFor('pod-a running', () => node.running('pod-a', 'main'));
    await waitFor('pod-b running', () => node.running('pod-b', 'main'));

    const sandboxes = await node.sandboxes();
    const sbA = sandboxes.find((s) => s.id === a.podSandboxId)!;
    assert.equal(sbA.metadata.name, node.podName('pod-a'));
    assert.equal(sbA.metadata.namespace, 'default');
    assert.equal(sbA.metadata.attempt, 0);
    assert.match(sbA.metadata.uid, /^[0-9a-f]{32}$/);
    assert.equal(sbA.labels['io.kubernetes.pod.name'], node.podName('pod-a'));
    assert.equal(sbA.labels['io.kubernetes.pod.namespace'], 'default');
    assert.equal(sbA.labels['io.kubernetes.pod.uid'], sbA.metadata.uid);
    assert.equal(sbA.labels.role, 'myrole', 'pod labels are copied to the sandbox');
    assert.equal(sbA.annotations['kubernetes.io/config.source'], 'file');
    assert.equal(a.labels['io.kubernetes.container.name'], 'main');
    const sbB = sandboxes.find((s) => s.metadata.name === node.podName('pod-b'))!;
    assert.equal(sbB.metadata.namespace, 'kube-system');

    // The kubelet's log layout: <pod logs dir>/<namespace>_<name>_<uid>/<container>/<attempt>.log
    const logDir = join(node.logsDir, `default_${node.podName('pod-a')}_${sbA.metadata.uid}`);
    await waitFor('the container log file', () => existsSync(join(logDir, 'main', '0.log')));
  });

  it('starts a pod when its file appears, stops and removes it when the file goes, and starts it again', async () => {
    await node.startAgent();
    await node.writeManifest('web.yaml', manifest('web'));
    const first = await waitFor('web running', () => node.running('web', 'main'));

    const [sandbox] = await node.sandboxes();
    const logDir = join(node.logsDir, `default_${node.podName('web')}_${sandbox!.metadata.uid}`);
    assert.ok(existsSync(logDir), 'the pod has its log directory');

    await node.removeManifest('web.yaml');
    await waitFor('the sandbox removed', async () => (await node.sandboxes()).length === 0);
    assert.equal((await node.containers()).length, 0, 'containers are removed with the sandbox');
    await waitFor('its log directory removed with it', () => !existsSync(logDir));

    await node.writeManifest('web.yaml', manifest('web'));
    const again = await waitFor('web running again', () => node.running('web', 'main'));
    assert.notEqual(again.id, first.id);
  });

  it('with one runtime call at a time, a burst of pods all start, and all go with their files', async () => {
    await node.startAgent(['--max-parallel-runtime-calls=1']);
    const names = ['burst-a', 'burst-b', 'burst-c', 'burst-d', 'burst-e'];
    await Promise.all(names.map((n) => node.writeManifest(`${n}.yaml`, manifest(n))));
    for (const n of names) await waitFor(`${n} running`, () => node.running(n, 'main'));
    assert.equal((await node.sandboxes()).length, names.length);

    await Promise.all(names.map((n) => node.removeManifest(`${n}.yaml`)));
    await waitFor('every sandbox removed', async () => (await node.sandboxes()).length === 0);
    assert.equal((await node.containers()).length, 0);
  });

  it('honours the termination grace period when stopping', async () => {
    // A container that ignores SIGTERM is killed when its grace period ends, not before.
    await node.writeManifest(
      'stubborn.yaml',
      manifest('stubborn', { script: "trap '' TERM; while true; do sleep 1; done", trapTerm: false, grace: 3 }),
    );
    await node.startAgent();
    await waitFor('stubborn running', () => node.running('stubborn', 'main'));
    const t0 = Date.now();
    await node.removeManifest('stubborn.yaml');
    await waitFor('the sandbox removed', async () => (await node.sandboxes()).length === 0, 30_000);
    assert.ok(Date.now() - t0 >= 2_500, `stopped after ${Date.now() - t0} ms; the grace period is 3 s`);
  });

  it('never reads dot-files or files without a manifest extension', async () => {
    await node.writeManifest('.hidden.yaml', manifest('hidden'));
    await node.writeManifest('web.yaml.bak', manifest('backup'));
    await node.writeManifest('web.yaml', manifest('web'));
    const agent = await node.startAgent(['--file-check-frequency=1s']);
    await waitFor('web running', () => node.running('web', 'main'));
    await sleep(1_500); // past a rescan
    const names = (await node.sandboxes()).map((s) => s.metadata.name);
    assert.deepEqual(names, [node.podName('web')]);
    await agent.waitForLog(/web\.yaml\.bak.*not a manifest, skipped|not a manifest, skipped.*web\.yaml\.bak/);
  });

  it('never starts a half-written file', async () => {
    await node.startAgent(['--file-check-frequency=1s']);
    const text = manifest('slow', {
      extraContainer: '      env:\n        - name: A\n          value: "1"\n        - name: B\n          value: "2"\n',
    });
    // The first half is itself a valid pod (without the env): it must not start.
    const cut = text.indexOf('        - name: B');
    const fh = await open(join(node.manifests, 'slow.yaml'), 'w');
    await fh.write(text.slice(0, cut));
    await fh.sync();
    await sleep(2_500); // longer than a rescan and many relists
    assert.equal((await node.sandboxes()).length, 0, 'nothing starts while the file is still open for writing');
    await fh.write(text.slice(cut));
    await fh.close();
    const c = await waitFor('slow running', () => node.running('slow', 'main'));
    const env = await node.cri.execSync(c.id, ['sh', '-c', 'echo $A$B'], 10);
    assert.equal(env.stdout.toString().trim(), '12', 'the whole file was read');
  });

  it('replaces a pod whose manifest changed, never two at once; a whitespace edit changes nothing', async () => {
    await node.writeManifest('web.yaml', manifest('web'));
    await node.startAgent();
    const first = await waitFor('web running', () => node.running('web', 'main'));

    await node.writeManifest('web.yaml', '# a comment\n' + manifest('web').replace('kind: Pod', 'kind:   Pod'));
    await sleep(1_500);
    assert.equal((await node.running('web', 'main'))?.id, first.id, 'whitespace and comments change nothing');

    let maxSandboxes = 0;
    const watching = (async () => {
      for (let i = 0; i < 300; i++) {
        const ready = (await node.sandboxes()).filter((s) => s.state === 'SANDBOX_READY');
        maxSandboxes = Math.max(maxSandboxes, ready.length);
        const c = await node.running('web', 'main');
        if (c && c.id !== first.id) return c;
        await sleep(50);
      }
      return undefined;
    })();
    await node.writeManifest('web.yaml', manifest('web', { labels: { app: 'web', version: '2' } }));
    const second = await watching;
    assert.ok(second, 'the new version runs');
    assert.notEqual(second.podSandboxId, first.podSandboxId);
    assert.equal(maxSandboxes, 1, 'the old pod was gone before the new one started');
  });

  it('on SIGTERM the agent exits cleanly and the pods keep running', async () => {
    await node.writeManifest('web.yaml', manifest('web'));
    const agent = await node.startAgent();
    const c = await waitFor('web running', () => node.running('web', 'main'));
    assert.equal(await agent.stop('SIGTERM'), 0);
    await sleep(500);
    assert.equal((await node.running('web', 'main'))?.id, c.id);
  });

  it('an unreachable runtime or a bad flag is one clear line and a non-zero exit', async () => {
    const agent = await node.startAgent(['--container-runtime-endpoint=unix:///nonexistent/cri.sock']);
    assert.equal(await agent.exited, 1);
    assert.match(
      agent.logs.join('\n'),
      /staticlet: cannot reach the container runtime at unix:\/\/\/nonexistent\/cri\.sock: /,
    );
    const bad = spawnSync(process.execPath, [AGENT_MAIN, '--pod-manifest-path=/x', '--no-such-flag'], {
      encoding: 'utf8',
    });
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /^staticlet: unknown flag: --no-such-flag\n/);
  });

  it('a missing manifest directory is an empty one, picked up when it appears', async () => {
    const later = join(node.dir, 'later');
    await node.startAgent(['--file-check-frequency=1s'], { manifests: later });
    await sleep(1_200);
    const { mkdir } = await import('node:fs/promises');
    await mkdir(later);
    await writeFile(join(later, 'web.yaml'), manifest('web'));
    await waitFor('web running', () => node.running('web', 'main'));
    assert.ok((await readdir(later)).length === 1);
  });
});
