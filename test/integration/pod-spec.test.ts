// The pod spec reaches the containers: init containers, env, command/args, workingDir, ports,
// hostNetwork, hostPath and emptyDir volumes, and the cluster DNS settings.
import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { IMAGE, useTestNode, waitFor } from '../support/harness.js';

describe('pod spec', () => {
  const node = useTestNode();

  it('runs init containers in order to success, then the app with env, command, args, workingDir and volumes', async () => {
    const hostDir = join(node.dir, 'host-data');
    await mkdir(hostDir);
    await writeFile(join(hostDir, 'from-host.txt'), 'hello from the host\n');
    await node.writeManifest(
      'app.yaml',
      `apiVersion: v1
kind: Pod
metadata:
  name: app
spec:
  terminationGracePeriodSeconds: 2
  initContainers:
    - name: first
      image: ${IMAGE}
      command: ["sh", "-c", "sleep 1; echo first >> /work/order"]
      volumeMounts: [{name: work, mountPath: /work}]
    - name: second
      image: ${IMAGE}
      command: ["sh", "-c", "echo second >> /work/order"]
      volumeMounts: [{name: work, mountPath: /work}]
  containers:
    - name: main
      image: ${IMAGE}
      command: ["sh", "-c"]
      args: ["echo \\"$GREETING from $(pwd)\\" > /work/main; cp /host/from-host.txt /out/copied.txt; trap 'exit 0' TERM; sleep 3600 & wait"]
      workingDir: /tmp
      env:
        - name: GREETING
          value: hello
      volumeMounts:
        - {name: work, mountPath: /work}
        - {name: host, mountPath: /host, readOnly: true}
        - {name: out, mountPath: /out}
  volumes:
    - name: work
      emptyDir: {}
    - name: host
      hostPath: {path: ${hostDir}, type: Directory}
    - name: out
      hostPath: {path: ${join(node.dir, 'created')}, type: DirectoryOrCreate}
`,
    );
    await node.startAgent();
    const main = await waitFor('main running', () => node.running('app', 'main'), 30_000);
    const exec = async (cmd: string) => (await node.cri.execSync(main.id, ['sh', '-c', cmd], 10)).stdout.toString();
    assert.equal(await exec('cat /work/order'), 'first\nsecond\n', 'init containers ran in order, each to completion');
    assert.equal(await exec('cat /work/main'), 'hello from /tmp\n');
    assert.equal(
      await waitFor('the copied file', () => readFile(join(node.dir, 'created', 'copied.txt'), 'utf8')),
      'hello from the host\n',
    );
    assert.notEqual(
      (await node.cri.execSync(main.id, ['sh', '-c', 'touch /host/x'], 10)).exitCode,
      0,
      'readOnly mount',
    );
    const inits = (await node.containers()).filter((c) => c.metadata.name !== 'main');
    assert.deepEqual(inits.map((c) => c.state).sort(), ['CONTAINER_EXITED', 'CONTAINER_EXITED']);
  });

  it('gives a pod-network pod an IP on the bridge that serves its port, and cluster DNS in resolv.conf', async () => {
    await node.writeManifest(
      'web.yaml',
      `apiVersion: v1
kind: Pod
metadata:
  name: web
  namespace: team
spec:
  terminationGracePeriodSeconds: 2
  containers:
    - name: web
      image: ${IMAGE}
      command: ["sh", "-c", "mkdir -p /www && echo it-works > /www/index.html && exec httpd -f -p 8080 -h /www"]
      ports: [{containerPort: 8080}]
`,
    );
    await node.startAgent(['--cluster-dns=10.96.0.10', '--cluster-domain=kube.local']);
    const c = await waitFor('web running', () => node.running('web', 'web'));
    const status = await node.cri.podSandboxStatus(c.podSandboxId);
    const ip = status.network?.ip;
    assert.match(ip ?? '', /^10\.203\.0\.\d+$/, 'an address on our own test bridge');
    // Traffic only to the pod we created on our own bridge.
    const body = await waitFor(
      'HTTP from the pod',
      async () => {
        const res = await fetch(`http://${ip}:8080/`, { signal: AbortSignal.timeout(2_000) });
        return res.ok ? res.text() : undefined;
      },
      15_000,
      250,
    );
    assert.equal(body.trim(), 'it-works');
    const resolv = (await node.cri.execSync(c.id, ['cat', '/etc/resolv.conf'], 10)).stdout.toString();
    assert.match(resolv, /nameserver 10\.96\.0\.10/);
    assert.match(resolv, /search team\.svc\.kube\.local svc\.kube\.local kube\.local/);
    assert.match(resolv, /options ndots:5/);
  });

  it('runs a hostNetwork pod in the node network namespace, without cluster DNS', async () => {
    const port = 20_000 + Math.floor(Math.random() * 20_000);
    await node.writeManifest(
      'hostnet.yaml',
      `apiVersion: v1
kind: Pod
metadata:
  name: hostnet
spec:
  hostNetwork: true
  terminationGracePeriodSeconds: 2
  containers:
    - name: web
      image: ${IMAGE}
      command: ["sh", "-c", "mkdir -p /www && echo on-the-host > /www/index.html && exec httpd -f -p 127.0.0.1:${port} -h /www"]
      ports: [{containerPort: ${port}, hostPort: ${port}}]
`,
    );
    await node.startAgent(['--cluster-dns=10.96.0.10', '--cluster-domain=kube.local']);
    const c = await waitFor('hostnet running', () => node.running('hostnet', 'web'));
    const body = await waitFor(
      'HTTP on loopback',
      async () => {
        const res = await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(2_000) });
        return res.ok ? res.text() : undefined;
      },
      15_000,
      250,
    );
    assert.equal(body.trim(), 'on-the-host');
    const resolv = (await node.cri.execSync(c.id, ['cat', '/etc/resolv.conf'], 10)).stdout.toString();
    assert.doesNotMatch(resolv, /10\.96\.0\.10/, 'ClusterFirst on the host network falls back to the node resolver');
  });
});
