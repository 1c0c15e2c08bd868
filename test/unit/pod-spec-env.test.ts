// Environment: the downward API (fieldRef, resourceFieldRef) and $(VAR) expansion, as Kubernetes does them.
import { specOptions } from '../support/fixtures.js';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readManifest } from '../../src/core/manifest/read-manifest.js';
import { containerConfig, ContainerConfigError, type RuntimeSpecOptions } from '../../src/core/runtime-spec.js';
import { expand } from '../../src/core/spec/env.js';
import type { StaticPod } from '../../src/core/model/static-pod.js';

const GiB = 1024 ** 3;
const opts = specOptions();

function read(yaml: string): StaticPod {
  const r = readManifest(yaml, { nodeName: 'node1', source: 'file', origin: '/m/env.yaml', seenAt: 0 });
  if (!r.ok) assert.fail(JSON.stringify(r.problems));
  return r.pods[0]!;
}

function envOf(pod: StaticPod, sandboxIPs: string[] = ['10.203.0.7'], name = 'main') {
  const c = pod.pod.spec!.containers.find((x) => x.name === name)!;
  const { config } = containerConfig(pod, c, false, 0, opts, { sandboxIPs });
  return {
    env: Object.fromEntries(config.envs.map((e) => [e.key, e.value])),
    keys: config.envs.map((e) => e.key),
    config,
  };
}

const pod = read(`apiVersion: v1
kind: Pod
metadata:
  name: env
  namespace: team
  labels: {app: web, "example.com/tier": front}
  annotations: {note: hello}
spec:
  hostname: ignored-here
  containers:
    - name: main
      image: busybox:1
      command: ["/bin/$(SHELL_NAME)", "-c"]
      args: ["echo $(POD_NAME) $$(POD_NAME) $(UNKNOWN) $(POD_IP)", "$$$$", "$(", "cost: $5"]
      resources:
        requests: {cpu: 250m, memory: 100Mi}
        limits: {cpu: 1500m, memory: 1Gi}
      env:
        - {name: SHELL_NAME, value: sh}
        - name: POD_NAME
          valueFrom: {fieldRef: {fieldPath: metadata.name}}
        - name: POD_NAMESPACE
          valueFrom: {fieldRef: {fieldPath: metadata.namespace, apiVersion: v1}}
        - name: POD_UID
          valueFrom: {fieldRef: {fieldPath: metadata.uid}}
        - name: APP
          valueFrom: {fieldRef: {fieldPath: "metadata.labels['app']"}}
        - name: TIER
          valueFrom: {fieldRef: {fieldPath: "metadata.labels['example.com/tier']"}}
        - name: NOTE
          valueFrom: {fieldRef: {fieldPath: "metadata.annotations['note']"}}
        - name: MISSING_LABEL
          valueFrom: {fieldRef: {fieldPath: "metadata.labels['nope']"}}
        - name: NODE
          valueFrom: {fieldRef: {fieldPath: spec.nodeName}}
        - name: SA
          valueFrom: {fieldRef: {fieldPath: spec.serviceAccountName}}
        - name: POD_IP
          valueFrom: {fieldRef: {fieldPath: status.podIP}}
        - name: POD_IPS
          valueFrom: {fieldRef: {fieldPath: status.podIPs}}
        - name: HOST_IP
          valueFrom: {fieldRef: {fieldPath: status.hostIP}}
        - name: HOST_IPS
          valueFrom: {fieldRef: {fieldPath: status.hostIPs}}
        - name: CPU_LIMIT
          valueFrom: {resourceFieldRef: {resource: limits.cpu}}
        - name: CPU_LIMIT_M
          valueFrom: {resourceFieldRef: {resource: limits.cpu, divisor: 1m}}
        - name: CPU_REQUEST
          valueFrom: {resourceFieldRef: {resource: requests.cpu}}
        - name: MEM_LIMIT_MI
          valueFrom: {resourceFieldRef: {resource: limits.memory, divisor: 1Mi}}
        - name: MEM_REQUEST
          valueFrom: {resourceFieldRef: {resource: requests.memory}}
        - name: MEM_REQUEST_G
          valueFrom: {resourceFieldRef: {resource: requests.memory, divisor: 1G}}
        - name: SIDE_CPU_LIMIT
          valueFrom: {resourceFieldRef: {containerName: side, resource: limits.cpu, divisor: 1m}}
        - name: SIDE_MEM_LIMIT
          valueFrom: {resourceFieldRef: {containerName: side, resource: limits.memory}}
        - name: SIDE_CPU_REQUEST
          valueFrom: {resourceFieldRef: {containerName: side, resource: requests.cpu}}
        - {name: GREETING, value: "hello $(POD_NAME) in $(POD_NAMESPACE)"}
        - {name: LATER_REF, value: "$(DEFINED_LATER)"}
        - {name: DEFINED_LATER, value: x}
        - {name: ESCAPED, value: "$$(POD_NAME)"}
        - {name: EMPTY, value: ""}
    - name: side
      image: busybox:1
`);

describe('downward API in env', () => {
  it('fieldRef: metadata, labels and annotations by key, spec and status', () => {
    const { env } = envOf(pod);
    assert.equal(env['POD_NAME'], 'env-node1');
    assert.equal(env['POD_NAMESPACE'], 'team');
    assert.equal(env['POD_UID'], pod.uid);
    assert.equal(env['APP'], 'web');
    assert.equal(env['TIER'], 'front');
    assert.equal(env['NOTE'], 'hello');
    assert.equal(env['MISSING_LABEL'], '');
    assert.equal(env['NODE'], 'node1');
    assert.equal(env['SA'], '', 'static pods have no service account');
    assert.equal(env['POD_IP'], '10.203.0.7');
    assert.equal(env['HOST_IP'], '192.0.2.10');
    assert.equal(env['HOST_IPS'], '192.0.2.10');
  });

  it("status.podIPs lists every sandbox IP; a host-network pod has the node's", () => {
    assert.equal(envOf(pod, ['10.203.0.7', 'fd00::7']).env['POD_IPS'], '10.203.0.7,fd00::7');
    const hostNet = read(`apiVersion: v1
kind: Pod
metadata: {name: hn}
spec:
  hostNetwork: true
  containers:
    - name: main
      image: busybox:1
      env:
        - name: POD_IP
          valueFrom: {fieldRef: {fieldPath: status.podIP}}
`);
    assert.equal(envOf(hostNet, []).env['POD_IP'], '192.0.2.10');
  });

  it("resourceFieldRef: divided by the divisor and rounded up; a missing limit is the node's allocatable", () => {
    const { env } = envOf(pod);
    assert.equal(env['CPU_LIMIT'], '2', '1500m in whole CPUs, rounded up');
    assert.equal(env['CPU_LIMIT_M'], '1500');
    assert.equal(env['CPU_REQUEST'], '1', '250m rounds up to 1');
    assert.equal(env['MEM_LIMIT_MI'], '1024');
    assert.equal(env['MEM_REQUEST'], String(100 * 1024 * 1024));
    assert.equal(env['MEM_REQUEST_G'], '1', '100Mi in G, rounded up');
    assert.equal(env['SIDE_CPU_LIMIT'], '4000', "no limit: the node's CPUs");
    assert.equal(env['SIDE_MEM_LIMIT'], String(8 * GiB), "no limit: the node's memory");
    assert.equal(env['SIDE_CPU_REQUEST'], '0');
  });
});

describe('$(VAR) expansion', () => {
  it('expands env values against variables declared before, keeps unknown references, $$ escapes', () => {
    const { env } = envOf(pod);
    assert.equal(env['GREETING'], 'hello env-node1 in team');
    assert.equal(env['LATER_REF'], '$(DEFINED_LATER)', 'only earlier variables');
    assert.equal(env['ESCAPED'], '$(POD_NAME)');
    assert.equal(env['EMPTY'], '');
  });

  it('expands command and args against the final environment', () => {
    const { config } = envOf(pod);
    assert.deepEqual(config.command, ['/bin/sh', '-c']);
    assert.deepEqual(config.args, ['echo env-node1 $(POD_NAME) $(UNKNOWN) 10.203.0.7', '$$', '$(', 'cost: $5']);
  });

  it("follows Kubernetes' expansion byte for byte on the edge cases", () => {
    const vars: Record<string, string> = { A: 'a', EMPTY: '', 'WITH SPACE': 'ws' };
    const lookup = (n: string) => vars[n];
    const cases: [string, string][] = [
      ['$(A)', 'a'],
      ['$(A)$(A)', 'aa'],
      ['x$(A)y', 'xay'],
      ['$$(A)', '$(A)'],
      ['$$$(A)', '$a'],
      ['$$$$(A)', '$$(A)'],
      ['$(EMPTY)', ''],
      ['$(B)', '$(B)'],
      ['$()', '$()'],
      ['$(A', '$(A'],
      ['$', '$'],
      ['a$', 'a$'],
      ['$$', '$'],
      ['$A', '$A'],
      ['$(WITH SPACE)', 'ws'],
      ['$((A))', '$((A))'],
      ['(A)', '(A)'],
      ['$(A)$', 'a$'],
    ];
    for (const [input, want] of cases) assert.equal(expand(input, lookup), want, input);
  });

  it('keeps the declaration order and one entry per name (the last value wins)', () => {
    const dup = read(`apiVersion: v1
kind: Pod
metadata: {name: dup}
spec:
  containers:
    - name: main
      image: busybox:1
      env:
        - {name: A, value: "1"}
        - {name: B, value: "2"}
        - {name: A, value: "3"}
`);
    const { config } = envOf(dup);
    assert.deepEqual(config.envs, [
      { key: 'A', value: '3' },
      { key: 'B', value: '2' },
    ]);
  });

  it('says so when the node cannot provide a value', () => {
    const noNode: RuntimeSpecOptions = { ...opts, nodeIP: undefined, nodeAllocatable: undefined };
    const c = pod.pod.spec!.containers[0]!;
    assert.throws(() => containerConfig(pod, c, false, 0, noNode, { sandboxIPs: ['10.0.0.1'] }), ContainerConfigError);
  });
});
