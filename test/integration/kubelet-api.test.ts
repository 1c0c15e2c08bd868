// The kubelet API (--port) on a real kube-apiserver (Node authorization, NodeRestriction,
// --kubelet-client-certificate/key and --kubelet-certificate-authority) and containerd, with
// kubectl as the client: the serving certificate asked of the cluster (approved here with kubectl
// certificate approve, signed by a real kube-controller-manager running only its CSR signer, for
// 150 s so that it is renewed during the test), the API server's proxy to /healthz, /pods,
// /metrics and /stats/summary, and the agent's own authentication (401) and authorization (403
// for a token without the RBAC permission, 200 with system:kubelet-api-admin).
//
// The API server refuses to proxy to a loopback node address: the node gets the test bridge's
// gateway, 10.203.0.1 (stlt0, made when the first pod-network pod starts), and listens there.
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { request } from 'node:https';
import { connect } from 'node:tls';
import { after, before, describe, it } from 'node:test';
import { ControlPlane } from '../support/control-plane.js';
import { manifest, TestNode, waitFor, type AgentProcess } from '../support/harness.js';

const NODE_IP = '10.203.0.1';
/** Short enough to be renewed within the test: 150 s, backdated 5 min by the signer. */
const SIGNING_DURATION = '150s';

describe('kubelet API', () => {
  const cp = new ControlPlane();
  const node = new TestNode();
  let agent: AgentProcess;
  let port = 0;
  const raw = (path: string) => cp.kubectl('get', '--raw', `/api/v1/nodes/${node.nodeName}/proxy${path}`);

  before(async () => {
    await cp.start({
      apiserverFlags: ['--kubelet-certificate-authority=@PKI@/ca.crt', '--kubelet-preferred-address-types=InternalIP'],
    });
    await cp.startSigner(SIGNING_DURATION);
    await node.setup();
    const kubeconfig = await cp.nodeKubeconfig(node.nodeName);
    // 20000-32000, like the control plane's ports: below the ephemeral range.
    port = 20_000 + Math.floor(Math.random() * 12_000);
    await node.writeManifest('web.yaml', manifest('web'));
    agent = await node.startAgent([
      `--kubeconfig=${kubeconfig}`,
      `--node-ip=${NODE_IP}`,
      `--address=${NODE_IP}`,
      `--port=${port}`,
      `--client-ca-file=${cp.caFile}`,
      '--file-check-frequency=2s',
    ]);
    // The bridge (and so the address) exists once the pod-network pod runs.
    await waitFor('web running', () => node.running('web', 'main'), 60_000, 200);
  });
  after(async () => {
    await node.cleanup();
    await cp.stop();
  });

  /** The certificate the port serves now. */
  const servedCertificate = () =>
    new Promise<X509Certificate>((resolve, reject) => {
      const socket = connect({ host: NODE_IP, port, rejectUnauthorized: false }, () => {
        const der = socket.getPeerCertificate().raw;
        socket.end();
        resolve(new X509Certificate(der));
      });
      socket.once('error', reject);
    });

  /** The node's certificate signing requests, oldest first. */
  const nodeCsrs = async () => {
    const list = JSON.parse(await cp.kubectl('get', 'csr', '-o', 'json')) as {
      items: {
        metadata: { name: string; creationTimestamp: string };
        spec: { username: string; signerName: string; usages: string[] };
        status?: { certificate?: string; conditions?: { type: string }[] };
      }[];
    };
    return list.items
      .filter((c) => c.spec.username === `system:node:${node.nodeName}`)
      .sort((a, b) => a.metadata.creationTimestamp.localeCompare(b.metadata.creationTimestamp));
  };

  /** Approves the node's next pending request; resolves with the certificate then served. */
  const approveNext = async (before: Set<string>) => {
    const csr = await waitFor(
      'a new CSR from the node',
      async () => (await nodeCsrs()).find((c) => !before.has(c.metadata.name) && !c.status?.conditions),
      150_000,
      500,
    );
    assert.equal(csr.spec.signerName, 'kubernetes.io/kubelet-serving');
    assert.deepEqual([...csr.spec.usages].sort(), ['digital signature', 'server auth']);
    await cp.kubectl('certificate', 'approve', csr.metadata.name);
    const issued = await waitFor(
      'the CSR signed',
      async () => (await nodeCsrs()).find((c) => c.metadata.name === csr.metadata.name && c.status?.certificate),
      30_000,
      250,
    );
    const cert = new X509Certificate(Buffer.from(issued.status!.certificate!, 'base64'));
    await waitFor(
      'the issued certificate served',
      async () => (await servedCertificate()).serialNumber === cert.serialNumber,
      30_000,
      250,
    );
    return { name: csr.metadata.name, cert };
  };

  let first: { name: string; cert: X509Certificate };

  it('asks the cluster for its serving certificate and serves it once approved and signed', async () => {
    // Until then: self-signed, for the node's name and address.
    const selfSigned = await waitFor('the port answering', () => servedCertificate().catch(() => undefined), 30_000);
    if (selfSigned.issuer === selfSigned.subject) assert.ok(selfSigned.checkIP(NODE_IP));
    first = await approveNext(new Set());
    assert.match(first.cert.subject, new RegExp(`CN=system:node:${node.nodeName}`));
    assert.match(first.cert.subject, /O=system:nodes/);
    assert.match(first.cert.issuer, /CN=staticlet-test-ca/);
    assert.ok(first.cert.checkIP(NODE_IP));
    assert.equal(first.cert.checkHost(node.nodeName), node.nodeName);
  });

  it('the API server reaches it: kubectl get --raw …/proxy/healthz, /pods, /metrics, /stats/summary', async () => {
    const web = node.podName('web');
    const port_ = await cp.kubectl(
      'get',
      'node',
      node.nodeName,
      '-o',
      'jsonpath={.status.daemonEndpoints.kubeletEndpoint.Port}',
    );
    assert.equal(Number(port_), port);
    assert.match(await raw('/healthz'), /ok/);
    const pods = JSON.parse(await raw('/pods')) as { kind: string; items: { metadata: { name: string } }[] };
    assert.equal(pods.kind, 'PodList');
    assert.deepEqual(
      pods.items.map((p) => p.metadata.name),
      [web],
    );
    assert.match(await raw('/metrics'), /^kubelet_running_pods \d+$/m);
    assert.match(
      await raw('/metrics/resource'),
      new RegExp(`^container_cpu_usage_seconds_total\\{container="main",namespace="default",pod="${web}"\\} `, 'm'),
    );

    const summary = await waitFor(
      'a summary with the pod and its CPU rate',
      async () => {
        const s = JSON.parse(await raw('/stats/summary')) as Summary;
        return s.pods.some((p) => p.containers.some((c) => c.cpu?.usageNanoCores !== undefined)) &&
          s.node.cpu.usageNanoCores !== undefined
          ? s
          : undefined;
      },
      30_000,
      1_000,
    );
    assert.equal(summary.node.nodeName, node.nodeName);
    assert.ok(summary.node.cpu.usageCoreNanoSeconds > 0);
    assert.ok(summary.node.memory.workingSetBytes > 0);
    assert.ok(summary.node.fs.capacityBytes > 0);
    const pod = summary.pods.find((p) => p.podRef.name === web);
    assert.ok(pod, JSON.stringify(summary.pods));
    assert.equal(pod.podRef.namespace, 'default');
    const main = pod.containers.find((c) => c.name === 'main');
    assert.ok(main);
    assert.ok(main.cpu!.usageCoreNanoSeconds! > 0);
    assert.ok(main.memory!.workingSetBytes! > 0);
    assert.ok(Date.parse(main.startTime) > 0);
    assert.equal(
      await raw('/stats/nothing').catch((e: Error) => e.message.match(/NotFound|not found/i)?.[0]),
      'NotFound',
    );
  });

  it('refuses a request without credentials (401), a token without the permission (403), and admits system:kubelet-api-admin', async () => {
    const direct = (path: string, token?: string) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = request(
          {
            host: NODE_IP,
            port,
            path,
            ca: first.cert.toString() + '\n',
            checkServerIdentity: () => undefined,
            rejectUnauthorized: false,
            headers: token ? { Authorization: `Bearer ${token}` } : {},
          },
          (res) => {
            let body = '';
            res.setEncoding('utf8');
            res.on('data', (c: string) => (body += c));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
          },
        );
        req.once('error', reject);
        req.end();
      });
    assert.deepEqual(await direct('/stats/summary'), { status: 401, body: 'Unauthorized' });

    await cp.kubectl('create', 'serviceaccount', 'viewer');
    await cp.kubectl('create', 'serviceaccount', 'node-admin');
    await cp.kubectl(
      'create',
      'clusterrolebinding',
      'node-admin',
      '--clusterrole=system:kubelet-api-admin',
      '--serviceaccount=default:node-admin',
    );
    const viewer = (await cp.kubectl('create', 'token', 'viewer')).trim();
    const admin = (await cp.kubectl('create', 'token', 'node-admin')).trim();
    const refused = await direct('/stats/summary', viewer);
    assert.equal(refused.status, 403);
    assert.equal(
      refused.body,
      'Forbidden (user=system:serviceaccount:default:viewer, verb=get, resource=nodes, subresource(s)=[stats])\n',
    );
    const pods = await direct('/pods', viewer);
    assert.equal(pods.status, 403);
    assert.match(pods.body, /subresource\(s\)=\[pods proxy\]/);
    assert.equal((await direct('/stats/summary', 'not-a-token')).status, 401);

    for (const path of ['/stats/summary', '/pods', '/healthz', '/metrics']) {
      const admitted = await direct(path, admin);
      assert.equal(admitted.status, 200, `${path}: ${admitted.body}`);
    }
    assert.equal((await direct('/no-such-path', admin)).status, 404);

    // An upgrade (as exec, attach and port-forward ask) is admitted the same way, before any route.
    const upgrade = (path: string, token?: string) =>
      new Promise<string>((resolve, reject) => {
        const socket = connect({ host: NODE_IP, port, rejectUnauthorized: false }, () => {
          socket.write(
            `POST ${path} HTTP/1.1\r\nHost: ${NODE_IP}\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\n` +
              (token ? `Authorization: Bearer ${token}\r\n` : '') +
              '\r\n',
          );
        });
        let answer = '';
        socket.setEncoding('utf8');
        socket.on('data', (c: string) => (answer += c));
        socket.once('end', () => resolve(answer.split('\r\n', 1)[0] ?? ''));
        socket.once('error', reject);
      });
    assert.equal(await upgrade('/exec/default/web/main?command=true'), 'HTTP/1.1 401 Unauthorized');
    assert.equal(await upgrade('/exec/default/web/main?command=true', viewer), 'HTTP/1.1 403 Forbidden');
    assert.equal(await upgrade('/no-such-path', admin), 'HTTP/1.1 404 Not Found');
  });

  it('renews the certificate before it expires: a new CSR, and the new certificate served', async () => {
    const second = await approveNext(new Set([first.name]));
    assert.notEqual(second.cert.serialNumber, first.cert.serialNumber);
    // Renewed while the first was still valid.
    assert.ok(Date.parse(first.cert.validTo) > Date.now(), `${first.cert.validTo}`);
    assert.ok(agent.logs.some((l) => /serving the kubelet API with the certificate the cluster issued/.test(l)));
    // Still served through the API server with the new one.
    assert.match(await raw('/healthz'), /ok/);
  });
});

interface Summary {
  node: {
    nodeName: string;
    cpu: { usageNanoCores?: number; usageCoreNanoSeconds: number };
    memory: { workingSetBytes: number };
    fs: { capacityBytes: number };
  };
  pods: {
    podRef: { name: string; namespace: string };
    containers: {
      name: string;
      startTime: string;
      cpu?: { usageNanoCores?: number; usageCoreNanoSeconds?: number };
      memory?: { workingSetBytes?: number };
    }[];
  }[];
}
