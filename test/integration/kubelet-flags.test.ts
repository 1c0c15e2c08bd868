// A kubelet's command line moves over unchanged: the real agent started with a kubeadm node's
// kubelet flags runs its pods and names the flags it does not use once; a flag that is nobody's
// still stops it with exit 2; and on a real kube-apiserver (Node authorizer, NodeRestriction) the
// Node it registers carries --node-labels and --register-with-taints, or, with
// --register-node=false, is left for someone else to create.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { ControlPlane } from '../support/control-plane.js';
import { endpoint, manifest, REPO, sleep, staticletCommand, useTestNode, waitFor } from '../support/harness.js';

/** The agent run to its exit, as users run it; resolves with the exit code and stderr. */
function runToExit(args: string[]): Promise<{ code: number; stderr: string }> {
  const [program, ...pre] = staticletCommand();
  return new Promise((resolve) => {
    execFile(program!, [...pre, ...args], { cwd: REPO, timeout: 60_000 }, (err, _stdout, stderr) => {
      const code = err ? ((err as { code?: unknown }).code as number) : 0;
      resolve({ code, stderr });
    });
  });
}

/** What kubeadm writes to /var/lib/kubelet/config.yaml, trimmed; staticPodPath is given by flag here. */
const KUBEADM_CONFIG = `apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
authentication:
  anonymous: {enabled: false}
  webhook: {cacheTTL: 0s, enabled: true}
  x509: {clientCAFile: /etc/kubernetes/pki/ca.crt}
authorization:
  mode: Webhook
cgroupDriver: systemd
clusterDNS: [10.96.0.10]
clusterDomain: cluster.local
healthzBindAddress: 127.0.0.1
rotateCertificates: true
runtimeRequestTimeout: 0s
shutdownGracePeriod: 0s
`;

describe("a kubelet's command line", () => {
  const node = useTestNode();

  it("runs with a kubeadm node's kubelet flags, starts the pods and names the unused flags once", async () => {
    const config = join(node.dir, 'config.yaml');
    await writeFile(config, KUBEADM_CONFIG);
    await node.writeManifest('web.yaml', manifest('web'));
    // As a kubeadm unit file has them (10-kubeadm.conf and kubeadm-flags.env), in both pflag spellings.
    const agent = await node.startAgent([
      '--bootstrap-kubeconfig=/etc/kubernetes/bootstrap-kubelet.conf',
      `--config=${config}`,
      '--pod-infra-container-image=registry.k8s.io/pause:3.10',
      '--v=2',
      '--cgroup-driver',
      'systemd',
      '--fail-swap-on=false',
      '--runtime-request-timeout',
      '15m',
      '--node-labels=node.kubernetes.io/pool=edge',
      '--register-node',
      '--anonymous-auth=false',
      '--cgroup-driver=systemd',
    ]);
    await waitFor('web running', () => node.running('web', 'main'));
    const unused = agent.logs.filter((l) => l.includes('kubelet flags that staticlet does not use'));
    assert.equal(unused.length, 1, 'one line');
    assert.deepEqual(JSON.parse(unused[0]!).flags, [
      '--bootstrap-kubeconfig',
      '--pod-infra-container-image',
      '--cgroup-driver',
      '--fail-swap-on',
      '--runtime-request-timeout',
    ]);
    const fields = agent.logs.find((l) => l.includes('config fields that staticlet does not use'));
    assert.ok(fields, 'the config file fields it does not use are named too');
    assert.ok(JSON.parse(fields).fields.includes('cgroupDriver'));
    await agent.stop();
  });

  it('still exits 2 on a flag that is no kubelet flag, naming it and the nearest one', async () => {
    const base = [`--pod-manifest-path=${node.manifests}`, `--container-runtime-endpoint=${endpoint()}`];
    const unknown = await runToExit([...base, '--no-such-flag']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /^staticlet: unknown flag: --no-such-flag\n/);
    const typo = await runToExit([...base, '--fail-swap-of=false']);
    assert.equal(typo.code, 2);
    assert.match(typo.stderr, /unknown flag: --fail-swap-of \(did you mean --fail-swap-on\?\)/);
    const refused = await runToExit([...base, '--node-labels=node-role.kubernetes.io/control-plane=']);
    assert.equal(refused.code, 2, 'a label NodeRestriction refuses stops it at start, as the kubelet');
    assert.match(refused.stderr, /--node-labels: node-role\.kubernetes\.io\/control-plane: a node may not set/);
  });
});

describe('the Node registered on a real kube-apiserver', () => {
  const cp = new ControlPlane();
  before(async () => {
    await cp.start();
  });
  after(async () => {
    await cp.stop();
  });

  const node = useTestNode();
  let kubeconfig = '';
  beforeEach(async () => {
    kubeconfig = await cp.nodeKubeconfig(node.nodeName); // after useTestNode's: the node name is new
  });

  const nodeJson = async (): Promise<NodeJson | undefined> => {
    const r = await cp.kubectlAs(cp.adminKubeconfig, 'get', 'node', node.nodeName, '-o', 'json');
    return r.code === 0 ? (JSON.parse(r.stdout) as NodeJson) : undefined;
  };
  const mirror = async () => {
    const r = await cp.kubectlAs(cp.adminKubeconfig, 'get', 'pod', node.podName('web'), '-o', 'json');
    return r.code === 0 ? (JSON.parse(r.stdout) as MirrorJson) : undefined;
  };
  const start = (extra: string[]) =>
    node.startAgent([`--kubeconfig=${kubeconfig}`, '--node-ip=127.0.0.1', '--file-check-frequency=2s', ...extra]);

  it('carries the labels and taints of --node-labels and --register-with-taints', async () => {
    await node.writeManifest('web.yaml', manifest('web'));
    await start([
      '--node-labels=node.kubernetes.io/pool=edge,example.com/team=infra',
      '--node-labels',
      'kubelet.kubernetes.io/rack=r1',
      '--register-with-taints=dedicated=edge:NoSchedule,example.com/slow:PreferNoSchedule',
      '--v=2',
    ]);
    const n = await waitFor('the Node', nodeJson, 30_000, 250);
    assert.equal(n.metadata.labels['node.kubernetes.io/pool'], 'edge');
    assert.equal(n.metadata.labels['example.com/team'], 'infra');
    assert.equal(n.metadata.labels['kubelet.kubernetes.io/rack'], 'r1');
    assert.equal(n.metadata.labels['kubernetes.io/hostname'], node.nodeName);
    // The API server adds node.kubernetes.io/not-ready itself (TaintNodesByCondition) until the node is Ready.
    const taints = n.spec.taints.map((t) => `${t.key}=${t.value ?? ''}:${t.effect}`);
    assert.deepEqual(
      taints.filter((t) => !t.startsWith('node.kubernetes.io/not-ready=')),
      [
        'node.staticlet.io/static-pods-only=true:NoSchedule',
        'dedicated=edge:NoSchedule',
        'example.com/slow=:PreferNoSchedule',
      ],
    );
    const labels = await cp.kubectl('get', 'nodes', '-l', 'node.kubernetes.io/pool=edge', '-o', 'name');
    assert.match(labels, new RegExp(`node/${node.nodeName}`), 'kubectl selects the node by its label');
    await waitFor('the mirror pod', async () => (await mirror())?.status.phase === 'Running', 30_000, 250);
  });

  it('with --register-node=false, creates no Node: the mirror pods wait until someone else creates it', async () => {
    await node.writeManifest('web.yaml', manifest('web'));
    const agent = await start(['--register-node=false', '--node-labels=node.kubernetes.io/pool=edge']);
    await waitFor('web running on the node', () => node.running('web', 'main'));
    await agent.waitForLog(/waiting for it to be created/);
    await sleep(3_000);
    assert.equal(await nodeJson(), undefined, 'no Node created');
    assert.equal(await mirror(), undefined, 'no mirror pod without a Node to own it');

    const file = join(node.dir, 'node.json');
    await writeFile(
      file,
      JSON.stringify({ apiVersion: 'v1', kind: 'Node', metadata: { name: node.nodeName, labels: { by: 'admin' } } }),
    );
    await cp.kubectl('create', '-f', file);
    const m = await waitFor('the mirror pod, once the Node exists', mirror, 40_000, 250);
    assert.deepEqual(
      m.metadata.ownerReferences.map((o) => [o.kind, o.name]),
      [['Node', node.nodeName]],
    );
    const n = (await nodeJson())!;
    assert.deepEqual(
      n.metadata.labels,
      { by: 'admin' },
      "the admin's Node, untouched: labels apply only to a Node staticlet creates",
    );
    await waitFor(
      'Ready',
      async () => (await nodeJson())?.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
      30_000,
      250,
    );
  });
});

interface NodeJson {
  metadata: { labels: Record<string, string> };
  spec: { taints: { key: string; value?: string; effect: string }[] };
  status: { conditions?: { type: string; status: string }[] };
}

interface MirrorJson {
  metadata: { ownerReferences: { kind: string; name: string }[] };
  status: { phase?: string };
}
