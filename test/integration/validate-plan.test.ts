// `staticlet validate` and `staticlet plan` against the real binary and the real containerd: what
// plan says the agent would do is what the agent then does, as crictl shows it.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { PlanJson } from '../../src/cli/plan-output.js';
import type { ValidateJson } from '../../src/cli/validate-output.js';
import { crictl, endpoint, manifest, REPO, staticletCommand, useTestNode, waitFor } from '../support/harness.js';

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** The staticlet command as users run it (the built launcher; the sources through tsx otherwise). */
function staticlet(args: string[]): Promise<Run> {
  const [program, ...pre] = staticletCommand();
  const proc = spawn(program!, [...pre, ...args], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  proc.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
  proc.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  return new Promise((resolve) => proc.on('close', (code) => resolve({ code, stdout, stderr })));
}

/** The pod names crictl shows on this test's node. */
async function crictlPods(nodeName: string): Promise<string[]> {
  const out = JSON.parse(await crictl('pods', '--label', `staticlet.io/node=${nodeName}`, '-o', 'json')) as {
    items: { metadata: { name: string; uid: string }; state: string }[];
  };
  return out.items
    .filter((p) => p.state === 'SANDBOX_READY')
    .map((p) => p.metadata.name)
    .sort();
}

describe('validate and plan', () => {
  const node = useTestNode();
  const plan = async (): Promise<{ code: number | null; doc: PlanJson; run: Run }> => {
    const run = await staticlet([
      'plan',
      '-o',
      'json',
      `--pod-manifest-path=${node.manifests}`,
      `--container-runtime-endpoint=${endpoint()}`,
      `--hostname-override=${node.nodeName}`,
    ]);
    assert.equal(run.stderr, '', run.stderr);
    return { code: run.code, doc: JSON.parse(run.stdout) as PlanJson, run };
  };
  const byPod = (doc: PlanJson): Record<string, PlanJson['entries'][number]> =>
    Object.fromEntries(doc.entries.map((e) => [e.pod ?? e.origin ?? '', e]));

  it('plan after validate passes shows exactly what the agent then does', async () => {
    await node.writeManifest('a.yaml', manifest('pod-a'));
    await node.writeManifest('b.yaml', manifest('pod-b', { extraSpec: '  restartPolicy: Always\n' }));
    await node.writeManifest(
      'c.json',
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'pod-c', namespace: 'kube-system' },
        spec: { containers: [{ name: 'main', image: 'staticlet.local/busybox:1', command: ['sleep', '3600'] }] },
      }),
    );

    const validated = await staticlet([
      'validate',
      '-o',
      'json',
      `--hostname-override=${node.nodeName}`,
      node.manifests,
    ]);
    assert.equal(validated.code, 0, validated.stdout);
    assert.equal((JSON.parse(validated.stdout) as ValidateJson).summary.pods, 3);

    const before = await plan();
    assert.equal(before.code, 2, 'something would change');
    assert.equal(before.doc.changes, true);
    assert.deepEqual(
      before.doc.entries.map((e) => e.action),
      ['start', 'start', 'start'],
    );
    const planned = before.doc.entries.map((e) => e.pod!.split('/')[1]!).sort();
    assert.deepEqual(planned, [node.podName('pod-a'), node.podName('pod-b'), node.podName('pod-c')].sort());
    assert.deepEqual(await crictlPods(node.nodeName), [], 'plan did nothing itself');

    await node.startAgent();
    await waitFor('every planned pod running', async () => (await crictlPods(node.nodeName)).length === 3 || undefined);
    for (const name of ['pod-a', 'pod-b', 'pod-c']) await waitFor(`${name} running`, () => node.running(name, 'main'));
    assert.deepEqual(await crictlPods(node.nodeName), planned, 'the pods plan said would start, and no other');

    const after = await plan();
    assert.equal(after.code, 0, after.run.stdout);
    assert.equal(after.doc.changes, false);
    assert.deepEqual(
      after.doc.entries.map((e) => [e.action, e.uid]),
      before.doc.entries.map((e) => ['keep', e.uid]),
      'the same pods, by UID, kept',
    );

    const text = await staticlet([
      'plan',
      `--pod-manifest-path=${node.manifests}`,
      `--container-runtime-endpoint=${endpoint()}`,
      `--hostname-override=${node.nodeName}`,
    ]);
    assert.equal(text.code, 0);
    assert.match(text.stdout, /^keep {5}default\/pod-a-/m);
    assert.match(text.stdout, /^No changes: 3 to keep\.$/m);
  });

  it('says replace with the reason, remove and refuse; and the agent then does just that', async () => {
    await node.writeManifest('a.yaml', manifest('pod-a'));
    await node.writeManifest('b.yaml', manifest('pod-b'));
    await node.writeManifest('c.yaml', manifest('pod-c'));
    const agent = await node.startAgent();
    for (const name of ['pod-a', 'pod-b', 'pod-c']) await waitFor(`${name} running`, () => node.running(name, 'main'));
    const uids = Object.fromEntries((await node.sandboxes()).map((s) => [s.metadata.name, s.metadata.uid]));
    // The agent away (its pods keep running): the edits wait for it.
    await agent.stop();

    await node.writeManifest(
      'a.yaml',
      manifest('pod-a').replace('image: staticlet.local/busybox:1', 'image: staticlet.local/busybox:2'),
    );
    await node.writeManifest('b.yaml', manifest('pod-b', { script: 'sleep 7200' }));
    await node.removeManifest('c.yaml');
    await node.writeManifest(
      'd.yaml',
      'apiVersion: v1\nkind: Pod\nmetadata:\n  name: pod-d\nspec:\n  containers:\n  - name: main\n',
    );

    const edited = await plan();
    assert.equal(edited.code, 2);
    const entries = byPod(edited.doc);
    const a = entries[`default/${node.podName('pod-a')}`]!;
    assert.equal(a.action, 'replace');
    assert.equal(a.replaces, uids[node.podName('pod-a')]);
    assert.deepEqual(a.reasons, ['spec.containers[0].image: staticlet.local/busybox:1 → staticlet.local/busybox:2']);
    const b = entries[`default/${node.podName('pod-b')}`]!;
    assert.equal(b.action, 'replace');
    assert.deepEqual(b.reasons, [
      'spec.containers[0] (main): changed (command, args, env or another field; the image is the same)',
    ]);
    const c = entries[`default/${node.podName('pod-c')}`]!;
    assert.equal(c.action, 'remove');
    assert.deepEqual(c.reasons, [`its manifest ${join(node.manifests, 'c.yaml')} is gone`]);
    const d = entries[join(node.manifests, 'd.yaml')]!;
    assert.equal(d.action, 'refuse');
    assert.deepEqual(
      d.problems?.map((p) => [p.line, p.field, p.message]),
      [[7, 'spec.containers[0].image', 'image is required']],
    );

    // The validate step of a pipeline stops d.yaml; a's image edit is taken back.
    const validated = await staticlet(['validate', `--hostname-override=${node.nodeName}`, node.manifests]);
    assert.equal(validated.code, 1);
    assert.equal(
      validated.stdout,
      `${join(node.manifests, 'd.yaml')}:7:5: spec.containers[0].image: image is required\n`,
    );
    await node.removeManifest('d.yaml');
    await node.writeManifest('a.yaml', manifest('pod-a'));
    assert.equal((await staticlet(['validate', `--hostname-override=${node.nodeName}`, node.manifests])).code, 0);

    const final = await plan();
    assert.equal(final.code, 2);
    const want = byPod(final.doc);
    assert.deepEqual(
      final.doc.entries.map((e) => [e.action, e.pod]),
      [
        ['keep', `default/${node.podName('pod-a')}`],
        ['replace', `default/${node.podName('pod-b')}`],
        ['remove', `default/${node.podName('pod-c')}`],
      ],
    );

    await node.startAgent();
    const newB = want[`default/${node.podName('pod-b')}`]!.uid!;
    await waitFor(
      'pod-b replaced by its planned UID',
      async () => {
        const sandboxes = await node.sandboxes();
        const names = sandboxes
          .filter((s) => s.state === 'SANDBOX_READY')
          .map((s) => `${s.metadata.name}/${s.metadata.uid}`);
        return (names.length === 2 && names.includes(`${node.podName('pod-b')}/${newB}`)) || undefined;
      },
      60_000,
    );
    await waitFor('pod-b running', () => node.running('pod-b', 'main'));
    await waitFor(
      'pod-c removed',
      async () => !(await node.sandboxes()).some((s) => s.metadata.name === node.podName('pod-c')),
    );
    assert.deepEqual(await crictlPods(node.nodeName), [node.podName('pod-a'), node.podName('pod-b')]);
    const aNow = (await node.sandboxes()).find((s) => s.metadata.name === node.podName('pod-a'))!;
    assert.equal(aNow.metadata.uid, uids[node.podName('pod-a')], 'pod-a kept as it was');

    const settled = await plan();
    assert.equal(settled.code, 0, settled.run.stdout);
    assert.deepEqual(
      settled.doc.entries.map((e) => e.action),
      ['keep', 'keep'],
    );
  });

  it('exits 1 when the runtime cannot be reached, and 2 on a usage error', async () => {
    const down = await staticlet([
      'plan',
      `--pod-manifest-path=${node.manifests}`,
      `--container-runtime-endpoint=unix://${join(node.dir, 'no.sock')}`,
      `--hostname-override=${node.nodeName}`,
    ]);
    assert.equal(down.code, 1);
    assert.match(down.stderr, /^staticlet plan: cannot reach the container runtime at unix:\/\/.*no\.sock: /);
    const usage = await staticlet(['plan', '--bogus']);
    assert.equal(usage.code, 2);
    const help = await staticlet(['plan', '--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /What plan cannot know/);
  });
});
