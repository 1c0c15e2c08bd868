// The downward API and $(VAR) expansion reach the container's environment and command line.
import assert from 'node:assert/strict';
import { totalmem } from 'node:os';
import { describe, it } from 'node:test';
import { IMAGE, useTestNode, waitFor, type TestNode } from '../support/harness.js';

async function envOf(node: TestNode, id: string): Promise<Record<string, string>> {
  const out = (await node.cri.execSync(id, ['cat', '/proc/1/environ'], 10)).stdout.toString();
  return Object.fromEntries(
    out
      .split('\0')
      .filter(Boolean)
      .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
  );
}

describe('pod fields: environment', () => {
  const node = useTestNode();

  it('resolves fieldRef and resourceFieldRef, expands $(VAR) in env, command and args', async () => {
    await node.writeManifest(
      'env.yaml',
      `apiVersion: v1
kind: Pod
metadata:
  name: env
  namespace: team
  labels: {app: web}
  annotations: {owner: ops}
spec:
  terminationGracePeriodSeconds: 1
  containers:
    - name: main
      image: ${IMAGE}
      command: ["sh", "-c"]
      args: ["echo '$(GREETING) at $(POD_IP) $$(NOT_EXPANDED) $(UNDEFINED)' > /tmp/said; trap 'exit 0' TERM; sleep 3600 & wait"]
      resources:
        requests: {cpu: 250m, memory: 32Mi}
        limits: {cpu: 1500m, memory: 64Mi}
      env:
        - name: POD_NAME
          valueFrom: {fieldRef: {fieldPath: metadata.name}}
        - name: POD_NAMESPACE
          valueFrom: {fieldRef: {fieldPath: metadata.namespace}}
        - name: POD_UID
          valueFrom: {fieldRef: {fieldPath: metadata.uid}}
        - name: APP
          valueFrom: {fieldRef: {fieldPath: "metadata.labels['app']"}}
        - name: OWNER
          valueFrom: {fieldRef: {fieldPath: "metadata.annotations['owner']"}}
        - name: NODE_NAME
          valueFrom: {fieldRef: {fieldPath: spec.nodeName}}
        - name: POD_IP
          valueFrom: {fieldRef: {fieldPath: status.podIP}}
        - name: POD_IPS
          valueFrom: {fieldRef: {fieldPath: status.podIPs}}
        - name: HOST_IP
          valueFrom: {fieldRef: {fieldPath: status.hostIP}}
        - name: CPU_LIMIT
          valueFrom: {resourceFieldRef: {resource: limits.cpu}}
        - name: CPU_REQUEST_M
          valueFrom: {resourceFieldRef: {resource: requests.cpu, divisor: 1m}}
        - name: MEM_LIMIT_MI
          valueFrom: {resourceFieldRef: {resource: limits.memory, divisor: 1Mi}}
        - name: SIDE_MEM_LIMIT
          valueFrom: {resourceFieldRef: {containerName: side, resource: limits.memory}}
        - name: GREETING
          value: "hello from $(POD_NAME) in $(POD_NAMESPACE)"
    - name: side
      image: ${IMAGE}
      command: ["sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"]
`,
    );
    await node.startAgent(['--node-ip=192.0.2.77']);
    const main = await waitFor('main running', () => node.running('env', 'main'), 30_000);
    const podIP = (await node.cri.podSandboxStatus(main.podSandboxId)).network?.ip ?? '';
    assert.match(podIP, /^10\.203\.0\.\d+$/);
    const env = await envOf(node, main.id);
    const name = node.podName('env');
    assert.equal(env['POD_NAME'], name);
    assert.equal(env['POD_NAMESPACE'], 'team');
    assert.equal(env['POD_UID'], main.labels['io.kubernetes.pod.uid']);
    assert.equal(env['APP'], 'web');
    assert.equal(env['OWNER'], 'ops');
    assert.equal(env['NODE_NAME'], node.nodeName);
    assert.equal(env['POD_IP'], podIP, "the sandbox's IP, known when the container is created");
    assert.equal(env['POD_IPS'], podIP);
    assert.equal(env['HOST_IP'], '192.0.2.77', '--node-ip');
    assert.equal(env['CPU_LIMIT'], '2', '1500m rounded up to whole CPUs');
    assert.equal(env['CPU_REQUEST_M'], '250');
    assert.equal(env['MEM_LIMIT_MI'], '64');
    assert.equal(env['SIDE_MEM_LIMIT'], String(totalmem()), "no limit: the node's memory");
    assert.equal(env['GREETING'], `hello from ${name} in team`);
    const said = await waitFor(
      'the expanded args ran',
      async () => (await node.cri.execSync(main.id, ['cat', '/tmp/said'], 10)).stdout.toString() || undefined,
    );
    assert.equal(said, `hello from ${name} in team at ${podIP} $(NOT_EXPANDED) $(UNDEFINED)\n`);
  });

  it("a host-network pod's status.podIP is the node's address", async () => {
    await node.writeManifest(
      'hostnet.yaml',
      `apiVersion: v1
kind: Pod
metadata:
  name: hostnet
spec:
  hostNetwork: true
  terminationGracePeriodSeconds: 1
  containers:
    - name: main
      image: ${IMAGE}
      command: ["sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"]
      env:
        - name: POD_IP
          valueFrom: {fieldRef: {fieldPath: status.podIP}}
        - name: HOST_IP
          valueFrom: {fieldRef: {fieldPath: status.hostIP}}
`,
    );
    await node.startAgent(['--node-ip=192.0.2.78']);
    const main = await waitFor('main running', () => node.running('hostnet', 'main'), 30_000);
    const env = await envOf(node, main.id);
    assert.equal(env['POD_IP'], '192.0.2.78');
    assert.equal(env['HOST_IP'], '192.0.2.78');
  });
});
