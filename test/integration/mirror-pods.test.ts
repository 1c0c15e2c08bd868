// Mirror pods on a real kube-apiserver (Node authorization + NodeRestriction), with kubectl as the
// outside client, and the pods on a real containerd.
import assert from 'node:assert/strict';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { ControlPlane } from '../support/control-plane.js';
import { crictl, manifest, sleep, TestNode, waitFor } from '../support/harness.js';

describe('mirror pods', () => {
  const cp = new ControlPlane();
  before(async () => {
    await cp.start();
  });
  after(async () => {
    await cp.stop();
  });

  let node: TestNode;
  let kubeconfig = '';
  beforeEach(async () => {
    node = await new TestNode().setup();
    kubeconfig = await cp.nodeKubeconfig(node.nodeName);
  });
  afterEach(async (t) => {
    await node.cleanup(t);
  });

  const startAgent = (extra: string[] = []) =>
    node.startAgent([`--kubeconfig=${kubeconfig}`, '--node-ip=127.0.0.1', '--file-check-frequency=2s', ...extra]);
  const mirrorName = (pod: string) => node.podName(pod);
  const mirrorRunning = (pod: string, ns = 'default') =>
    waitFor(
      `mirror ${pod} Running 1/1`,
      async () => {
        const m = await cp.getPodJson(ns, mirrorName(pod));
        return m?.status.phase === 'Running' && m.status.containerStatuses?.every((c) => c.ready) ? m : undefined;
      },
      30_000,
      200,
    );

  it('the walk-through: kubectl shows the static pod as a mirror, Running 1/1 with its labels, on a Ready node', async () => {
    await node.writeManifest('static-web.yaml', manifest('static-web', { labels: { role: 'myrole' } }));
    await startAgent();
    const m = await mirrorRunning('static-web');
    assert.equal(m.metadata.labels?.role, 'myrole');
    assert.equal(m.spec.nodeName, node.nodeName);
    assert.equal(m.metadata.annotations?.['kubernetes.io/config.source'], 'file');
    assert.ok(m.metadata.annotations?.['kubernetes.io/config.mirror']);
    assert.deepEqual(
      m.metadata.ownerReferences?.map((o) => [o.kind, o.name, o.controller]),
      [['Node', node.nodeName, true]],
    );
    assert.equal(m.status.hostIP, '127.0.0.1');

    const table = await cp.kubectl('get', 'pods', '-l', 'role=myrole', '-o', 'wide');
    const row = table.split('\n').find((l) => l.startsWith(mirrorName('static-web')));
    assert.ok(row, table);
    assert.match(row, /\s1\/1\s+Running\s+0\s/);

    const nodes = await waitFor('node Ready', async () => {
      const out = await cp.kubectl('get', 'node', node.nodeName, '--no-headers');
      return /\sReady\s/.test(out) ? out : undefined;
    });
    assert.match(nodes, new RegExp(`^${node.nodeName}\\s+Ready`));
    const taints = await cp.kubectl('get', 'node', node.nodeName, '-o', 'jsonpath={.spec.taints[*].key}');
    assert.match(taints, /node\.staticlet\.io\/static-pods-only/);
  });

  it("kubectl describe shows the pod's events: pulled, created, started, killing, back-off, invalid manifest", async () => {
    await node.writeManifest('crash.yaml', manifest('crash', { script: 'sleep 1; exit 1', trapTerm: false }));
    await node.writeManifest('web.yaml', manifest('web'));
    await startAgent();
    await mirrorRunning('web');
    const reasons = async (pod: string) =>
      (
        await cp.kubectl(
          'get',
          'events',
          '--field-selector',
          `involvedObject.name=${mirrorName(pod)}`,
          '-o',
          'jsonpath={.items[*].reason}',
        )
      ).split(/\s+/);
    await waitFor(
      'Pulled, Created, Started',
      async () => {
        const seen = await reasons('web');
        return ['Pulled', 'Created', 'Started'].every((r) => seen.includes(r));
      },
      20_000,
      250,
    );
    await waitFor('BackOff on the crashing pod', async () => (await reasons('crash')).includes('BackOff'), 30_000, 250);
    await node.writeManifest('web.yaml', manifest('web').replace(/ {6}image: .*\n/, ''));
    await waitFor('InvalidManifest', async () => (await reasons('web')).includes('InvalidManifest'), 20_000, 250);
    const describe = await cp.kubectl('describe', 'pod', mirrorName('web'));
    assert.match(describe, /InvalidManifest.*web\.yaml:\d+: spec\.containers\[0\]\.image/);
    assert.match(describe, /Started\s+.*Started container main/);
    await node.removeManifest('web.yaml');
    await waitFor('Killing', async () => (await reasons('web')).includes('Killing'), 20_000, 250).catch(
      () => undefined,
    );
  });

  it('readiness decides READY on the mirror: 0/1, then 1/1 once the probe passes', async () => {
    await node.writeManifest(
      'ready.yaml',
      manifest('ready').replace(
        '      command:',
        '      readinessProbe:\n        exec: {command: ["test", "-f", "/tmp/ready"]}\n        periodSeconds: 1\n      command:',
      ),
    );
    await startAgent();
    const c = await waitFor('ready running', () => node.running('ready', 'main'));
    await waitFor(
      '0/1 Running',
      async () => /\s0\/1\s+Running\s/.test(await cp.kubectl('get', 'pod', mirrorName('ready'), '--no-headers')),
      30_000,
      250,
    );
    await node.cri.execSync(c.id, ['touch', '/tmp/ready'], 5);
    await mirrorRunning('ready');
    assert.match(await cp.kubectl('get', 'pod', mirrorName('ready'), '--no-headers'), /\s1\/1\s+Running\s+0\s/);
  });

  it('kubectl delete pod: a new mirror appears, the container keeps its ID and attempt', async () => {
    await node.writeManifest('web.yaml', manifest('web'));
    await startAgent();
    const before = await mirrorRunning('web');
    const c = await waitFor('web running', () => node.running('web', 'main'));
    await cp.kubectl('delete', 'pod', mirrorName('web'), '--wait=true', '--timeout=30s');
    const after = await waitFor(
      'a new mirror',
      async () => {
        const m = await cp.getPodJson('default', mirrorName('web'));
        return m && m.metadata.uid !== before.metadata.uid ? m : undefined;
      },
      10_000,
      100,
    );
    assert.notEqual(after.metadata.uid, before.metadata.uid);
    await mirrorRunning('web');
    const still = await node.running('web', 'main');
    assert.equal(still?.id, c.id, 'the container was not touched');
    assert.equal(still?.metadata.attempt, 0);
  });

  it('a container stopped on the node shows as RESTARTS 1 on the mirror', async () => {
    await node.writeManifest('web.yaml', manifest('web'));
    await startAgent();
    await mirrorRunning('web');
    const c = await waitFor('web running', () => node.running('web', 'main'));
    await crictl('stop', c.id);
    const m = await waitFor(
      'restartCount 1',
      async () => {
        const p = await cp.getPodJson('default', mirrorName('web'));
        return p?.status.containerStatuses?.[0]?.restartCount === 1 && p.status.containerStatuses[0].ready
          ? p
          : undefined;
      },
      30_000,
      200,
    );
    assert.equal(m.status.phase, 'Running');
    const row = (await cp.kubectl('get', 'pod', mirrorName('web'), '--no-headers')).trim();
    assert.match(row, /\s1\/1\s+Running\s+1\s/);
  });

  it('manifest removed: the mirror goes; restored: it comes back', async () => {
    await node.writeManifest('web.yaml', manifest('web'));
    await startAgent();
    await mirrorRunning('web');
    await node.removeManifest('web.yaml');
    await waitFor(
      'mirror gone',
      async () => (await cp.getPodJson('default', mirrorName('web'))) === undefined,
      30_000,
      200,
    );
    await node.writeManifest('web.yaml', manifest('web'));
    await mirrorRunning('web');
  });

  it('API server down for a while: pods run on, removals happen locally, mirrors converge when it returns', async () => {
    await node.writeManifest('keep.yaml', manifest('keep'));
    await node.writeManifest('drop.yaml', manifest('drop'));
    await startAgent();
    await mirrorRunning('keep');
    await mirrorRunning('drop');
    const keep = await waitFor('keep running', () => node.running('keep', 'main'));

    await cp.stopApiserver();
    await node.writeManifest('added.yaml', manifest('added'));
    await node.removeManifest('drop.yaml');
    await waitFor('added running without the API server', () => node.running('added', 'main'));
    await waitFor(
      'drop removed without the API server',
      async () => !(await node.sandboxes()).some((s) => s.metadata.name === mirrorName('drop')),
    );
    await sleep(2_000);
    await cp.startApiserver();

    await mirrorRunning('added');
    await waitFor(
      'drop mirror gone',
      async () => (await cp.getPodJson('default', mirrorName('drop'))) === undefined,
      60_000,
      200,
    ).catch((err: Error) => {
      const agent = node.agents[0]!;
      throw new Error(
        `${err.message}\nagent exit code: ${agent.proc.exitCode} signal: ${agent.proc.signalCode}\nagent log:\n${agent.logs.slice(-25).join('\n')}`,
      );
    });
    const k = await node.running('keep', 'main');
    assert.equal(k?.id, keep.id, 'no container restarted');
    assert.equal(k?.metadata.attempt, 0);
    await mirrorRunning('keep');
  });

  it("two agents: each sees and changes only its own mirrors; the node identity cannot delete another node's pod", async () => {
    const other = await new TestNode().setup();
    try {
      const otherKubeconfig = await cp.nodeKubeconfig(other.nodeName);
      await node.writeManifest('web.yaml', manifest('web'));
      await other.writeManifest('web.yaml', manifest('web'));
      await startAgent();
      await other.startAgent([`--kubeconfig=${otherKubeconfig}`, '--node-ip=127.0.0.1']);
      await mirrorRunning('web');
      await waitFor(
        'the other mirror',
        async () => (await cp.getPodJson('default', other.podName('web')))?.status.phase === 'Running',
        30_000,
        200,
      );

      const denied = await cp.kubectlAs(kubeconfig, 'delete', 'pod', other.podName('web'), '--wait=false');
      assert.notEqual(denied.code, 0);
      assert.match(denied.stderr, /forbidden/i);
      const listOther = await cp.kubectlAs(
        kubeconfig,
        'get',
        'pods',
        '--field-selector',
        `spec.nodeName=${other.nodeName}`,
      );
      assert.notEqual(listOther.code, 0, "a node may not list another node's pods");

      await node.removeManifest('web.yaml');
      await waitFor(
        'our mirror gone',
        async () => (await cp.getPodJson('default', mirrorName('web'))) === undefined,
        30_000,
        200,
      );
      assert.ok(await cp.getPodJson('default', other.podName('web')), "the other node's mirror is untouched");
    } finally {
      await other.cleanup();
    }
  });

  it('an admin label patch on the mirror changes nothing on the node', async () => {
    await node.writeManifest('web.yaml', manifest('web'));
    await startAgent();
    await mirrorRunning('web');
    const c = await waitFor('web running', () => node.running('web', 'main'));
    await cp.kubectl('label', 'pod', mirrorName('web'), 'extra=yes');
    await sleep(2_000);
    assert.equal((await node.running('web', 'main'))?.id, c.id);
    assert.equal((await node.sandboxes()).length, 1);
  });

  it('a mirror the API server rejects is reported with the pod and the reason; the pod runs locally', async () => {
    const text = manifest('lost').replace('metadata:\n', 'metadata:\n  namespace: no-such-namespace\n');
    await node.writeManifest('lost.yaml', text);
    const agent = await startAgent();
    await waitFor('lost running locally', () => node.running('lost', 'main'));
    const line = await agent.waitForLog(/CreateMirror failed/, 30_000);
    assert.match(line, new RegExp(`no-such-namespace/${mirrorName('lost')}`));
    assert.match(line, /not ?found/i);
  });

  it('an ordinary pod bound to this node is set to Failed with a clear reason', async () => {
    await startAgent();
    await waitFor('node registered', async () =>
      (await cp.kubectl('get', 'nodes', '--no-headers')).includes(node.nodeName),
    );
    await cp.kubectl('create', 'serviceaccount', 'default').catch(() => undefined);
    const pod = JSON.stringify({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: `ordinary-${node.nodeName}` },
      spec: { nodeName: node.nodeName, containers: [{ name: 'c', image: 'staticlet.local/busybox:1' }] },
    });
    const { writeFile } = await import('node:fs/promises');
    const file = `${node.dir}/ordinary.json`;
    await writeFile(file, pod);
    await cp.kubectl('create', '-f', file);
    const p = await waitFor(
      'refused',
      async () => {
        const got = await cp.getPodJson('default', `ordinary-${node.nodeName}`);
        return got?.status.phase === 'Failed' ? got : undefined;
      },
      30_000,
      200,
    );
    assert.equal((p.status as { reason?: string }).reason, 'NodeRunsStaticPodsOnly');
    assert.equal((await node.sandboxes()).length, 0, 'nothing ran');
    await cp
      .kubectl('delete', 'pod', `ordinary-${node.nodeName}`, '--grace-period=0', '--force')
      .catch(() => undefined);
  });
});
