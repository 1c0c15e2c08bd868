// DNS, hostname and /etc/hosts inside real containers: dnsPolicy None and dnsConfig, hostAliases,
// hostname, subdomain, setHostnameAsFQDN, and the host network's managed hosts file.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { IMAGE, useTestNode, waitFor, type TestNode } from '../support/harness.js';

async function out(node: TestNode, id: string, cmd: string): Promise<string> {
  const r = await node.cri.execSync(id, ['sh', '-c', cmd], 10);
  assert.equal(r.exitCode, 0, `${cmd}: ${r.stderr.toString()}`);
  return r.stdout.toString();
}

const container = `  containers:
    - name: main
      image: ${IMAGE}
      command: ["sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"]
`;

describe('pod fields: DNS, hostname and /etc/hosts', () => {
  const node = useTestNode();

  it('dnsPolicy None takes only dnsConfig; dnsConfig merges into ClusterFirst', async () => {
    await node.writeManifest(
      'none.yaml',
      `apiVersion: v1
kind: Pod
metadata: {name: none}
spec:
  terminationGracePeriodSeconds: 1
  dnsPolicy: None
  dnsConfig:
    nameservers: [192.0.2.53]
    searches: [example.test]
    options: [{name: ndots, value: "2"}, {name: edns0}]
${container}`,
    );
    await node.writeManifest(
      'merged.yaml',
      `apiVersion: v1
kind: Pod
metadata: {name: merged, namespace: team}
spec:
  terminationGracePeriodSeconds: 1
  dnsConfig:
    nameservers: [192.0.2.54]
    searches: [extra.test]
    options: [{name: ndots, value: "1"}, {name: timeout, value: "2"}]
${container}`,
    );
    await node.startAgent(['--cluster-dns=10.96.0.10', '--cluster-domain=kube.local']);
    const none = await waitFor('none running', () => node.running('none', 'main'), 30_000);
    const merged = await waitFor('merged running', () => node.running('merged', 'main'), 30_000);

    const r1 = await out(node, none.id, 'cat /etc/resolv.conf');
    assert.match(r1, /^nameserver 192\.0\.2\.53$/m);
    assert.doesNotMatch(r1, /10\.96\.0\.10/);
    assert.match(r1, /^search example\.test$/m);
    assert.match(r1, /^options ndots:2 edns0$/m);

    const r2 = await out(node, merged.id, 'cat /etc/resolv.conf');
    assert.deepEqual(r2.match(/^nameserver .*$/gm), ['nameserver 10.96.0.10', 'nameserver 192.0.2.54']);
    assert.match(r2, /^search team\.svc\.kube\.local svc\.kube\.local kube\.local( \S+)* extra\.test$/m);
    assert.match(r2, /^options ndots:1 timeout:2$/m, "the pod's ndots overrides the cluster's");
  });

  it("hostname, subdomain and setHostnameAsFQDN; hostAliases and the pod's IP in a managed /etc/hosts", async () => {
    await node.writeManifest(
      'named.yaml',
      `apiVersion: v1
kind: Pod
metadata: {name: named, namespace: team}
spec:
  terminationGracePeriodSeconds: 1
  hostname: db-0
  subdomain: dbs
  setHostnameAsFQDN: true
  hostAliases:
    - ip: 192.0.2.1
      hostnames: [foo.test, bar.test]
${container}`,
    );
    await node.writeManifest(
      'plain.yaml',
      `apiVersion: v1
kind: Pod
metadata: {name: plain}
spec:
  terminationGracePeriodSeconds: 1
${container}`,
    );
    await node.startAgent(['--cluster-domain=kube.local']);
    const named = await waitFor('named running', () => node.running('named', 'main'), 30_000);
    const plain = await waitFor('plain running', () => node.running('plain', 'main'), 30_000);
    const ip = (await node.cri.podSandboxStatus(named.podSandboxId)).network!.ip;

    assert.equal((await out(node, named.id, 'hostname')).trim(), 'db-0.dbs.team.svc.kube.local');
    const hosts = await out(node, named.id, 'cat /etc/hosts');
    assert.match(hosts, /^# Kubernetes-managed hosts file\.$/m);
    assert.match(hosts, /^127\.0\.0\.1\tlocalhost$/m);
    assert.ok(hosts.includes(`\n${ip}\tdb-0.dbs.team.svc.kube.local\tdb-0\n`), hosts);
    assert.match(hosts, /# Entries added by HostAliases\.\n192\.0\.2\.1\tfoo\.test\tbar\.test\n$/);

    const plainIP = (await node.cri.podSandboxStatus(plain.podSandboxId)).network!.ip;
    const name = node.podName('plain');
    assert.equal((await out(node, plain.id, 'hostname')).trim(), name);
    assert.ok((await out(node, plain.id, 'cat /etc/hosts')).endsWith(`\n${plainIP}\t${name}\n`));
    const podDir = `${node.rootDir}/pods/${named.labels['io.kubernetes.pod.uid']}`;
    assert.equal(await readFile(`${podDir}/etc-hosts`, 'utf8'), hosts, "written under the pod's directory");
  });

  it("a host-network pod gets the node's hosts file with its aliases, and the node's hostname", async () => {
    await node.writeManifest(
      'hostnet.yaml',
      `apiVersion: v1
kind: Pod
metadata: {name: hostnet}
spec:
  terminationGracePeriodSeconds: 1
  hostNetwork: true
  hostAliases:
    - ip: 192.0.2.2
      hostnames: [baz.test]
${container}`,
    );
    await node.startAgent();
    const c = await waitFor('hostnet running', () => node.running('hostnet', 'main'), 30_000);
    const nodeHosts = await readFile('/etc/hosts', 'utf8');
    assert.equal(
      await out(node, c.id, 'cat /etc/hosts'),
      `# Kubernetes-managed hosts file (host network).\n${nodeHosts}\n# Entries added by HostAliases.\n192.0.2.2\tbaz.test\n`,
    );
    assert.equal(
      (await out(node, c.id, 'hostname')).trim(),
      (await readFile('/proc/sys/kernel/hostname', 'utf8')).trim(),
    );
  });
});
