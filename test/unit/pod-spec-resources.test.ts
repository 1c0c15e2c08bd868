// requests/limits: quantities, the QoS class, and the CRI resources the kubelet would set (cgroup v1).
import { specOptions } from '../support/fixtures.js';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { V1Container, V1Pod } from '@kubernetes/client-node';
import { readManifest } from '../../src/core/manifest/read-manifest.js';
import { containerOomScoreAdj, qosClass } from '../../src/core/qos.js';
import { compare, milliValue, parseQuantity, value } from '../../src/core/quantity.js';
import { containerConfig } from '../../src/core/runtime-spec.js';
import { linuxResources, milliCpuToQuota, milliCpuToShares } from '../../src/core/spec/resources.js';
import type { StaticPod } from '../../src/core/model/static-pod.js';

const GiB = 1024 ** 3;
const opts = specOptions();

function podWith(
  containers: { requests?: Record<string, string | number>; limits?: Record<string, string | number> }[],
  extraSpec = '',
): StaticPod {
  const text = JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'r' },
    spec: {
      containers: containers.map((r, i) => ({
        name: `c${i}`,
        image: 'busybox:1',
        ...(r.requests || r.limits
          ? {
              resources: { ...(r.requests ? { requests: r.requests } : {}), ...(r.limits ? { limits: r.limits } : {}) },
            }
          : {}),
      })),
    },
  });
  const doc = extraSpec ? text.replace('"spec":{', `"spec":{${extraSpec},`) : text;
  const r = readManifest(doc, { nodeName: 'node1', source: 'file', origin: '/m/r.yaml', seenAt: 0 });
  if (!r.ok) assert.fail(JSON.stringify(r.problems));
  return r.pods[0]!;
}

const c0 = (p: StaticPod): V1Container => p.pod.spec!.containers[0]!;
const resources = (p: StaticPod, cap = 8 * GiB) => linuxResources(p.pod, c0(p), cap);

describe('quantities', () => {
  it('parses the Kubernetes forms exactly and rounds up like Value and MilliValue', () => {
    const cases: [string | number, bigint, bigint][] = [
      ['250m', 1n, 250n],
      ['1', 1n, 1000n],
      [1, 1n, 1000n],
      [0.5, 1n, 500n],
      ['0.1', 1n, 100n],
      ['128Mi', 134217728n, 134217728000n],
      ['1G', 1_000_000_000n, 1_000_000_000_000n],
      ['1e3', 1000n, 1_000_000n],
      ['1Ki', 1024n, 1_024_000n],
      ['1.5Gi', 1610612736n, 1610612736000n],
      ['100n', 1n, 1n],
      ['1E', 10n ** 18n, 10n ** 21n],
    ];
    for (const [text, v, m] of cases) {
      const q = parseQuantity(text);
      assert.ok(q, `parses ${text}`);
      assert.equal(value(q), v, `Value(${text})`);
      assert.equal(milliValue(q), m, `MilliValue(${text})`);
    }
    for (const bad of ['abc', '1Kb', '', ' 1', '1 Mi', 'Mi', '1e', '--1'])
      assert.equal(parseQuantity(bad), undefined, `refuses ${JSON.stringify(bad)}`);
    assert.equal(compare(parseQuantity('1')!, parseQuantity('1000m')!), 0);
    assert.equal(compare(parseQuantity('1Gi')!, parseQuantity('1G')!), 1);
  });
});

describe('QoS class', () => {
  it('BestEffort without requests or limits; Burstable with some; Guaranteed when every container limits cpu and memory at its requests', () => {
    assert.equal(qosClass(podWith([{}]).pod), 'BestEffort');
    assert.equal(qosClass(podWith([{ requests: { cpu: '100m' } }]).pod), 'Burstable');
    assert.equal(
      qosClass(podWith([{ limits: { cpu: '1', memory: '1Gi' } }]).pod),
      'Guaranteed',
      'requests default to limits',
    );
    assert.equal(
      qosClass(podWith([{ requests: { cpu: '1', memory: '1Gi' }, limits: { cpu: '1', memory: '1Gi' } }]).pod),
      'Guaranteed',
    );
    assert.equal(
      qosClass(podWith([{ requests: { cpu: '1000m', memory: '1024Mi' }, limits: { cpu: 1, memory: '1Gi' } }]).pod),
      'Guaranteed',
      'compared by value',
    );
    assert.equal(
      qosClass(podWith([{ requests: { cpu: '500m', memory: '1Gi' }, limits: { cpu: '1', memory: '1Gi' } }]).pod),
      'Burstable',
    );
    assert.equal(
      qosClass(podWith([{ limits: { cpu: '1', memory: '1Gi' } }, {}]).pod),
      'Burstable',
      'one container without limits',
    );
    assert.equal(qosClass(podWith([{ limits: { cpu: '1' } }]).pod), 'Burstable', 'no memory limit');
    assert.equal(
      qosClass(podWith([{ requests: { 'ephemeral-storage': '1Gi' } }]).pod),
      'BestEffort',
      'only cpu and memory count',
    );
    assert.equal(qosClass(podWith([{ requests: { cpu: '0' } }]).pod), 'BestEffort', 'zero requests do not count');
  });

  it('counts init containers too', () => {
    const pod = podWith([{ limits: { cpu: '1', memory: '1Gi' } }]).pod as V1Pod;
    const withInit = structuredClone(pod);
    withInit.spec!.initContainers = [{ name: 'i', image: 'busybox:1' }];
    assert.equal(qosClass(withInit), 'Burstable');
  });
});

describe('CRI resources (cgroup v1)', () => {
  it('CPU shares from the request (min 2), quota from the limit with a 100 ms period, the memory limit in bytes', () => {
    assert.deepEqual(
      resources(podWith([{ requests: { cpu: '250m', memory: '64Mi' }, limits: { cpu: '500m', memory: '128Mi' } }])),
      {
        cpuPeriod: '100000',
        cpuQuota: '50000',
        cpuShares: '256',
        memoryLimitInBytes: '134217728',
        oomScoreAdj: String(1000 - Math.floor((1000 * 64 * 1024 ** 2) / (8 * GiB))),
      },
    );
    assert.deepEqual(
      resources(podWith([{}])),
      { cpuPeriod: '100000', cpuQuota: '0', cpuShares: '2', oomScoreAdj: '1000' },
      'BestEffort',
    );
  });

  it("a CPU limit without a request gives the limit's shares", () => {
    const r = resources(podWith([{ limits: { cpu: '2' } }]));
    assert.equal(r.cpuShares, '2048');
    assert.equal(r.cpuQuota, '200000');
  });

  it('rounds like the kubelet: shares floor at 2, quota at least 1000, sub-milli CPU rounds up', () => {
    assert.equal(milliCpuToShares(0n), 2n);
    assert.equal(milliCpuToShares(1n), 2n);
    assert.equal(milliCpuToShares(3n), 3n);
    assert.equal(milliCpuToShares(100_000_000n), 262144n);
    assert.equal(milliCpuToQuota(0n, 100_000n), 0n);
    assert.equal(milliCpuToQuota(5n, 100_000n), 1000n);
    assert.equal(milliCpuToQuota(1500n, 100_000n), 150_000n);
    assert.equal(
      resources(podWith([{ requests: { cpu: '0.0001' } }])).cpuShares,
      '2',
      '0.1m rounds up to 1m, then the minimum',
    );
    assert.equal(resources(podWith([{ limits: { memory: '1.5Gi' } }])).memoryLimitInBytes, String(1.5 * GiB));
    assert.equal(resources(podWith([{ limits: { memory: '1e3' } }])).memoryLimitInBytes, '1000');
  });

  it('OOM score: Guaranteed -997, BestEffort 1000, Burstable by the share of memory requested, node-critical -997', () => {
    const guaranteed = podWith([{ limits: { cpu: '1', memory: '1Gi' } }]);
    assert.equal(resources(guaranteed).oomScoreAdj, '-997');
    // 1000 - 1000 * request / capacity, kept within 3 .. 999.
    assert.equal(
      containerOomScoreAdj(
        podWith([{ requests: { memory: '2Gi' } }]).pod,
        c0(podWith([{ requests: { memory: '2Gi' } }])),
        8 * GiB,
      ),
      750,
    );
    assert.equal(
      containerOomScoreAdj(
        podWith([{ requests: { memory: '8Gi' } }]).pod,
        c0(podWith([{ requests: { memory: '8Gi' } }])),
        8 * GiB,
      ),
      3,
      'never below 3',
    );
    assert.equal(
      containerOomScoreAdj(
        podWith([{ requests: { cpu: '1' } }]).pod,
        c0(podWith([{ requests: { cpu: '1' } }])),
        8 * GiB,
      ),
      999,
      'a Burstable pod stays under BestEffort',
    );
    const critical = podWith(
      [{ requests: { cpu: '250m' } }],
      '"priorityClassName":"system-node-critical","priority":2000001000',
    );
    assert.equal(
      resources(critical).oomScoreAdj,
      '-997',
      'static pods of class system-node-critical (the kubeadm control plane)',
    );
  });

  it('leaves a Burstable OOM score to the runtime when the node memory is not known', () => {
    const burstable = podWith([{ requests: { memory: '1Gi' } }]);
    assert.equal(linuxResources(burstable.pod, c0(burstable), undefined).oomScoreAdj, undefined);
    const best = podWith([{}]);
    assert.equal(linuxResources(best.pod, c0(best), undefined).oomScoreAdj, '1000');
  });

  it('reaches the container config', () => {
    const pod = podWith([{ requests: { cpu: '100m' }, limits: { memory: '64Mi' } }]);
    const { config } = containerConfig(pod, c0(pod), false, 0, opts);
    assert.equal(config.linux?.resources?.cpuShares, '102');
    assert.equal(config.linux?.resources?.memoryLimitInBytes, String(64 * 1024 ** 2));
  });
});
