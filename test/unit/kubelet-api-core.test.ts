// The kubelet API's pure parts: the kubelet's path → nodes subresource mapping, the serving
// certificate's renewal time, and the Summary API built from one sample.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { renewalTime } from '../../src/core/kubelet-api/cert-renewal.js';
import { forbiddenBody, isSubpath, kubeletRequestAttributes } from '../../src/core/kubelet-api/request-attributes.js';
import { resourceMetricsText } from '../../src/core/kubelet-api/resource-metrics.js';
import {
  buildSummary,
  parseMeminfo,
  parseProcStat,
  rate,
  type NodeFigures,
} from '../../src/core/kubelet-api/stats-summary.js';
import type { Container, ContainerStats, PodSandbox } from '../../src/cri-api/messages.js';

describe('kubelet API request attributes (pkg/kubelet/server/auth.go, 1.34, fine-grained authz on)', () => {
  const sub = (method: string, path: string) => kubeletRequestAttributes(method, path, 'n1').subresources;

  it('maps paths to the nodes subresources the kubelet asks for, fine-grained first then proxy', () => {
    const cases: [string, string[]][] = [
      ['/stats/summary', ['stats']],
      ['/stats', ['stats']],
      ['/metrics', ['metrics']],
      ['/metrics/cadvisor', ['metrics']],
      ['/metrics/resource', ['metrics']],
      ['/logs/syslog', ['log']],
      ['/pods', ['pods', 'proxy']],
      ['/healthz', ['healthz', 'proxy']],
      ['/healthz/ping', ['healthz', 'proxy']],
      ['/configz', ['configz', 'proxy']],
      ['/runningpods/', ['pods', 'proxy']],
      ['/containerLogs/default/web/main', ['proxy']],
      ['/exec/default/web/main', ['proxy']],
      ['/portForward/default/web', ['proxy']],
      ['/checkpoint/default/web/main', ['checkpoint']],
      ['/statsx', ['proxy']],
      ['/podsx', ['proxy']],
      ['/', ['proxy']],
    ];
    for (const [path, expected] of cases) assert.deepEqual(sub('GET', path), expected, path);
  });

  it('maps methods to verbs; HEAD is get; the name is the node', () => {
    const verbs = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'].map(
      (m) => kubeletRequestAttributes(m, '/pods', 'n1').verb,
    );
    assert.deepEqual(verbs, ['get', 'get', 'create', 'update', 'patch', 'delete', '']);
    const a = kubeletRequestAttributes('POST', '/exec/ns/p/c', 'node-7');
    assert.deepEqual(
      { resource: a.resource, name: a.name, path: a.path },
      { resource: 'nodes', name: 'node-7', path: '/exec/ns/p/c' },
    );
  });

  it("writes the kubelet's 403 body", () => {
    assert.equal(
      forbiddenBody('jane', kubeletRequestAttributes('GET', '/pods', 'n1')),
      'Forbidden (user=jane, verb=get, resource=nodes, subresource(s)=[pods proxy])\n',
    );
  });

  it('isSubpath: the path itself or below it, never a longer name', () => {
    assert.ok(isSubpath('/stats', '/stats'));
    assert.ok(isSubpath('/stats/summary', '/stats'));
    assert.ok(!isSubpath('/statsummary', '/stats'));
    assert.ok(!isSubpath('/', '/stats'));
  });
});

describe('serving certificate renewal time', () => {
  const HOUR = 3_600_000;
  it('is between 70% and 90% of the lifetime, counted from notBefore', () => {
    assert.equal(renewalTime(0, 100 * HOUR, 0), 70 * HOUR);
    assert.equal(renewalTime(0, 100 * HOUR, 0.5), 80 * HOUR);
    assert.equal(
      renewalTime(1000, 1000 + 100 * HOUR, 0.999999),
      1000 + Math.round(100 * HOUR * (0.7 + 0.2 * 0.999999)),
    );
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2e12 }),
        fc.integer({ min: 10, max: 1e11 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (nb, life, r) => {
          const t = renewalTime(nb, nb + life, r);
          return t >= nb + Math.floor(life * 0.7) && t <= nb + Math.ceil(life * 0.9) && t < nb + life;
        },
      ),
    );
  });

  it('a short certificate backdated by the signer (150 s, notBefore 5 min back) is renewed after it is issued', () => {
    const issuedAt = 10 * HOUR;
    const notBefore = issuedAt - 5 * 60_000;
    const notAfter = issuedAt + 150_000;
    for (const r of [0, 0.5, 1]) {
      const t = renewalTime(notBefore, notAfter, r);
      assert.ok(t > issuedAt && t < notAfter, `${r}: ${t - issuedAt}`);
    }
  });
});

describe('stats summary', () => {
  const SEC = 1e9;
  const node = (at: number, cpuNs: number): NodeFigures => ({
    at,
    bootTime: Date.UTC(2026, 0, 1),
    cpuUsageCoreNanoSeconds: cpuNs,
    memory: { totalBytes: 8e9, freeBytes: 5e9, inactiveFileBytes: 1e9 },
    fs: { capacityBytes: 100e9, availableBytes: 60e9, usedBytes: 40e9, inodes: 1000, inodesFree: 900 },
  });
  const sandbox = (id: string, name: string, state: PodSandbox['state'] = 'SANDBOX_READY'): PodSandbox => ({
    id,
    metadata: { name, uid: `uid-${name}`, namespace: 'kube-system', attempt: 0 },
    state,
    createdAt: String(Date.UTC(2026, 11, 5, 6, 0, 0) * 1e6),
    labels: {},
    annotations: {},
  });
  const container = (
    id: string,
    sandboxId: string,
    name: string,
    state: Container['state'] = 'CONTAINER_RUNNING',
  ): Container => ({
    id,
    podSandboxId: sandboxId,
    metadata: { name, attempt: 0 },
    image: 'img',
    imageRef: 'img',
    state,
    createdAt: String(Date.UTC(2026, 11, 5, 6, 0, 1) * 1e6),
    labels: {},
    annotations: {},
  });
  const stats = (id: string, name: string, atNs: number, cpuNs: number, nanoCores?: number): ContainerStats => ({
    id,
    metadata: { name, attempt: 0 },
    labels: {},
    cpu: {
      timestamp: String(atNs),
      usageCoreNanoSeconds: cpuNs,
      ...(nanoCores !== undefined ? { usageNanoCores: nanoCores } : {}),
    },
    memory: { timestamp: String(atNs), workingSetBytes: 10e6, usageBytes: 12e6, rssBytes: 8e6 },
    writableLayer: { timestamp: String(atNs), mountpoint: '/', usedBytes: 4096, inodesUsed: 3 },
  });
  const at = Date.UTC(2026, 11, 5, 6, 1, 0);

  it("builds the node's and each running container's figures; pods sum their containers", () => {
    const { summary } = buildSummary({
      nodeName: 'n1',
      node: node(at, 50 * SEC),
      sandboxes: [sandbox('s1', 'etcd'), sandbox('s2', 'gone', 'SANDBOX_NOTREADY')],
      containers: [
        container('c1', 's1', 'etcd'),
        container('c2', 's1', 'sidecar'),
        container('c3', 's1', 'old', 'CONTAINER_EXITED'),
        container('c4', 's2', 'x'),
      ],
      stats: [
        stats('c1', 'etcd', at * 1e6, 3 * SEC, 250_000_000),
        stats('c2', 'sidecar', at * 1e6, 1 * SEC, 50_000_000),
        stats('c3', 'old', at * 1e6, 9 * SEC),
        stats('c4', 'x', at * 1e6, 9 * SEC),
      ],
      previous: { containers: new Map() },
    });
    assert.equal(summary.node.nodeName, 'n1');
    assert.equal(summary.node.startTime, '2026-01-01T00:00:00Z');
    assert.deepEqual(summary.node.cpu, { time: '2026-12-05T06:01:00Z', usageCoreNanoSeconds: 50 * SEC });
    assert.deepEqual(summary.node.memory, {
      time: '2026-12-05T06:01:00Z',
      availableBytes: 6e9,
      usageBytes: 3e9,
      workingSetBytes: 2e9,
    });
    assert.equal(summary.node.fs?.inodesUsed, 100);
    assert.equal(summary.pods.length, 1);
    const pod = summary.pods[0]!;
    assert.deepEqual(pod.podRef, { name: 'etcd', namespace: 'kube-system', uid: 'uid-etcd' });
    assert.equal(pod.startTime, '2026-12-05T06:00:00Z');
    assert.deepEqual(
      pod.containers.map((c) => c.name),
      ['etcd', 'sidecar'],
    );
    assert.deepEqual(pod.containers[0]!.cpu, {
      time: '2026-12-05T06:01:00Z',
      usageNanoCores: 250_000_000,
      usageCoreNanoSeconds: 3 * SEC,
    });
    assert.equal(pod.containers[0]!.startTime, '2026-12-05T06:00:01Z');
    assert.deepEqual(pod.containers[0]!.rootfs, {
      time: '2026-12-05T06:01:00Z',
      availableBytes: 60e9,
      capacityBytes: 100e9,
      usedBytes: 4096,
      inodesFree: 900,
      inodes: 1000,
      inodesUsed: 3,
    });
    assert.deepEqual(pod.cpu, {
      time: '2026-12-05T06:01:00Z',
      usageNanoCores: 300_000_000,
      usageCoreNanoSeconds: 4 * SEC,
    });
    assert.equal(pod.memory?.workingSetBytes, 20e6);
    assert.equal(pod['ephemeral-storage']?.usedBytes, 8192);
  });

  it('rates need two samples: the node always, a container when its runtime gives none', () => {
    const input = {
      nodeName: 'n1',
      sandboxes: [sandbox('s1', 'etcd')],
      containers: [container('c1', 's1', 'etcd')],
    };
    const first = buildSummary({
      ...input,
      node: node(at, 50 * SEC),
      stats: [stats('c1', 'etcd', at * 1e6, 3 * SEC)],
      previous: { containers: new Map() },
    });
    assert.equal(first.summary.node.cpu.usageNanoCores, undefined);
    assert.equal(first.summary.pods[0]!.containers[0]!.cpu?.usageNanoCores, undefined);
    // 10 s later: the node used 5 CPU-seconds (half a core over 10 s... on average 0.5 cores), the container 1.
    const second = buildSummary({
      ...input,
      node: node(at + 10_000, 55 * SEC),
      stats: [stats('c1', 'etcd', (at + 10_000) * 1e6, 4 * SEC)],
      previous: first.samples,
    });
    assert.equal(second.summary.node.cpu.usageNanoCores, 500_000_000);
    assert.equal(second.summary.pods[0]!.containers[0]!.cpu?.usageNanoCores, 100_000_000);
  });

  it('rate: nothing for a counter that went back (a restart) or no time passed', () => {
    assert.equal(rate({ at: 0, usageCoreNanoSeconds: 10 }, { at: 0, usageCoreNanoSeconds: 20 }), undefined);
    assert.equal(rate({ at: 0, usageCoreNanoSeconds: 10 }, { at: SEC, usageCoreNanoSeconds: 5 }), undefined);
    assert.equal(rate(undefined, { at: SEC, usageCoreNanoSeconds: 5 }), undefined);
  });

  it('/metrics/resource: the figures metrics-server reads, with their times', () => {
    const { summary } = buildSummary({
      nodeName: 'n1',
      node: node(at, 50 * SEC),
      sandboxes: [sandbox('s1', 'etcd')],
      containers: [container('c1', 's1', 'etcd')],
      stats: [stats('c1', 'etcd', at * 1e6, 3 * SEC)],
      previous: { containers: new Map() },
    });
    const text = resourceMetricsText(summary);
    assert.match(text, new RegExp(`^node_cpu_usage_seconds_total 50 ${at}$`, 'm'));
    assert.match(text, new RegExp(`^node_memory_working_set_bytes 2000000000 ${at}$`, 'm'));
    assert.match(
      text,
      new RegExp(
        `^container_cpu_usage_seconds_total\\{container="etcd",namespace="kube-system",pod="etcd"\\} 3 ${at}$`,
        'm',
      ),
    );
    assert.match(
      text,
      /^container_memory_working_set_bytes\{container="etcd",namespace="kube-system",pod="etcd"\} 10000000 /m,
    );
    assert.match(
      text,
      /^container_start_time_seconds\{container="etcd",namespace="kube-system",pod="etcd"\} 1796450401 /m,
    );
    assert.match(text, /^# TYPE container_cpu_usage_seconds_total counter$/m);
    assert.match(text, /^resource_scrape_error 0$/m);
  });

  it('reads /proc/stat and /proc/meminfo', () => {
    const stat = 'cpu  100 20 30 4000 50 6 7 8 0 0\ncpu0 1 2 3 4 5 6 7 8 0 0\nintr 1\nbtime 1764900000\n';
    assert.deepEqual(parseProcStat(stat), { cpuUsageCoreNanoSeconds: 171 * 10_000_000, bootTime: 1764900000_000 });
    assert.equal(parseProcStat('cpu 1 2\n'), undefined);
    const meminfo =
      'MemTotal:        8000 kB\nMemFree:         3000 kB\nActive(file):     100 kB\nInactive(file):   500 kB\n';
    assert.deepEqual(parseMeminfo(meminfo), {
      totalBytes: 8000 * 1024,
      freeBytes: 3000 * 1024,
      inactiveFileBytes: 500 * 1024,
    });
    assert.equal(parseMeminfo('MemFree: 1 kB\n'), undefined);
  });
});
