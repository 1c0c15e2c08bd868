// The Node the agent registers: its labels and taints (--node-labels, --register-with-taints), and
// --register-node=false, where the agent never creates it and waits for someone else to; and how
// often its status is written (nodeStatusUpdateFrequency, nodeStatusReportFrequency).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { V1Lease, V1Node, V1NodeStatus } from '@kubernetes/client-node';
import { pino } from 'pino';
import { asyncScheduler, firstValueFrom, take, toArray, VirtualTimeScheduler } from 'rxjs';
import {
  nodeHeartbeat,
  nodeObject,
  STATIC_ONLY_TAINT,
  statusChanged,
  type NodeHeartbeatOptions,
} from '../../src/effects/node-heartbeat.js';
import type { KubeApi } from '../../src/runtime/kube/types.js';
import { waitFor } from '../support/harness.js';

const base = { nodeName: 'n1', nodeIP: '192.0.2.10', agentVersion: '0.1.0', runtimeVersion: 'containerd://1.6' };

/** An API server holding at most one Node, counting the calls made to it. */
function fakeKube() {
  const calls: string[] = [];
  let node: V1Node | undefined;
  const kube = {
    server: 'fake',
    getNode: async () => (calls.push('getNode'), node),
    createNode: async (n: V1Node) => {
      calls.push('createNode');
      node = { ...n, metadata: { ...n.metadata, uid: 'uid-created' } };
      return node;
    },
    patchNodeStatus: async () => void calls.push('patchNodeStatus'),
    getLease: async () => undefined,
    createLease: async (l: V1Lease) => (calls.push('createLease'), l),
    replaceLease: async (l: V1Lease) => l,
  } as unknown as KubeApi;
  return { kube, calls, setNode: (n: V1Node) => (node = n) };
}

describe('node registration', () => {
  it("creates the Node with the kubelet's labels, the given ones over them, our taint and the given ones", () => {
    const node = nodeObject({
      ...base,
      labels: { 'node.kubernetes.io/pool': 'edge', 'kubernetes.io/hostname': 'custom' },
      taints: [
        { key: 'dedicated', value: 'edge', effect: 'NoSchedule' },
        { ...STATIC_ONLY_TAINT, value: 'yes' },
      ],
    });
    assert.equal(node.metadata?.labels?.['node.kubernetes.io/pool'], 'edge');
    assert.equal(node.metadata?.labels?.['kubernetes.io/hostname'], 'custom', 'as the kubelet: the flag wins');
    assert.equal(node.metadata?.labels?.['kubernetes.io/os'], 'linux');
    assert.deepEqual(node.spec?.taints, [
      { ...STATIC_ONLY_TAINT },
      { key: 'dedicated', value: 'edge', effect: 'NoSchedule' },
    ]);
    assert.deepEqual(nodeObject(base).spec?.taints, [{ ...STATIC_ONLY_TAINT }]);
  });

  it('registers the Node it lacks and reports its UID', async () => {
    const { kube, calls } = fakeKube();
    const events = await firstValueFrom(
      nodeHeartbeat(kube, base, asyncScheduler, pino({ level: 'silent' })).pipe(take(1), toArray()),
    );
    assert.deepEqual(events, [{ type: 'NodeRegistered', uid: 'uid-created' }]);
    assert.ok(calls.includes('createNode'));
  });

  it('with registerNode false, never creates the Node: waits for it, then reports it', async () => {
    const { kube, calls, setNode } = fakeKube();
    const lines: string[] = [];
    const log = pino({ level: 'info' }, { write: (l: string) => void lines.push(l) });
    const seen: unknown[] = [];
    const sub = nodeHeartbeat(kube, { ...base, registerNode: false, leaseRenewMs: 5 }, asyncScheduler, log).subscribe(
      (e) => seen.push(e),
    );
    try {
      await waitFor('a few beats', async () => calls.filter((c) => c === 'getNode').length >= 3, 10_000, 5);
      assert.deepEqual(seen, []);
      assert.ok(!calls.includes('createNode') && !calls.includes('createLease') && !calls.includes('patchNodeStatus'));
      assert.equal(lines.filter((l) => /waiting for it to be created/.test(l)).length, 1, 'said once');
      setNode({ metadata: { name: 'n1', uid: 'uid-by-admin' } });
      await waitFor('NodeRegistered', async () => seen.length > 0, 10_000, 5);
      assert.deepEqual(seen, [{ type: 'NodeRegistered', uid: 'uid-by-admin' }]);
      assert.ok(!calls.includes('createNode'));
      await waitFor('lease', async () => calls.includes('createLease'), 10_000, 5);
    } finally {
      sub.unsubscribe();
    }
  });

  it('renews the Lease from the one it last wrote: reads it only at first and after a failed write', async () => {
    const { kube, setNode } = fakeKube();
    setNode({ metadata: { name: 'n1', uid: 'uid-1' } });
    const leaseCalls: string[] = [];
    let stored: V1Lease | undefined;
    let version = 0;
    const write = (l: V1Lease): V1Lease => {
      stored = { ...l, metadata: { ...l.metadata, resourceVersion: String(++version) } };
      return stored;
    };
    kube.getLease = async () => (leaseCalls.push('get'), stored);
    kube.createLease = async (l: V1Lease) => (leaseCalls.push('create'), write(l));
    kube.replaceLease = async (l: V1Lease) => {
      leaseCalls.push('replace');
      if (l.metadata?.resourceVersion !== stored?.metadata?.resourceVersion) {
        throw new Error('409 Conflict');
      }
      return write(l);
    };
    const sub = nodeHeartbeat(
      kube,
      { ...base, leaseRenewMs: 5 },
      asyncScheduler,
      pino({ level: 'silent' }),
    ).subscribe();
    try {
      await waitFor('four renewals', async () => leaseCalls.filter((c) => c === 'replace').length >= 3, 10_000, 5);
      assert.deepEqual(leaseCalls.slice(0, 4), ['get', 'create', 'replace', 'replace'], 'one read, at first');
      // Someone else writes the Lease: the next renewal conflicts, reads it again and writes it.
      stored = { ...stored!, metadata: { ...stored!.metadata, resourceVersion: String(++version) } };
      const from = leaseCalls.length;
      await waitFor('the write after the conflict', async () => leaseCalls.length >= from + 4, 10_000, 5);
      assert.deepEqual(leaseCalls.slice(from, from + 4), ['replace', 'get', 'replace', 'replace']);
      assert.equal(stored?.spec?.holderIdentity, 'n1');
    } finally {
      sub.unsubscribe();
    }
  });
});

describe('node status reports, in virtual time', () => {
  /** An API server with the Node already there, logging each call with the virtual time it came at. */
  function setup(options: Partial<NodeHeartbeatOptions> = {}) {
    const scheduler = new VirtualTimeScheduler();
    const calls: string[] = [];
    const patches: V1NodeStatus[] = [];
    const log = (c: string) => void calls.push(`${scheduler.now() / 1000}s ${c}`);
    const opts = { ...base, kubeletPort: 10250, ...options };
    let failNextPatch = false;
    const kube = {
      server: 'fake',
      getNode: async () => (log('getNode'), { metadata: { name: 'n1', uid: 'uid-1' } }),
      createNode: async () => assert.fail('the Node exists'),
      patchNodeStatus: async (_: string, s: V1NodeStatus) => {
        log('patchNodeStatus');
        if (failNextPatch) {
          failNextPatch = false;
          throw new Error('503 Service Unavailable');
        }
        patches.push(s);
      },
      getLease: async () => (log('getLease'), undefined),
      createLease: async (l: V1Lease) => (log('createLease'), l),
      replaceLease: async (l: V1Lease) => (log('replaceLease'), l),
    } as unknown as KubeApi;
    const sub = nodeHeartbeat(kube, opts, scheduler, pino({ level: 'silent' })).subscribe();
    /** Runs the clocks to `ms`, one period at a time, letting each beat's requests finish. */
    const advanceTo = async (ms: number) => {
      do {
        const to = Math.min(ms, scheduler.now() + 1_000);
        scheduler.maxFrames = to;
        scheduler.flush();
        await new Promise((r) => setImmediate(r));
        scheduler.frame = to;
      } while (scheduler.now() < ms);
    };
    const nodeCalls = (from = 0) =>
      calls.filter((c) => parseFloat(c) >= from && !/Lease/.test(c)).map((c) => c.replace(/^\S+ /, ''));
    return { opts, calls, patches, advanceTo, nodeCalls, sub, failPatch: () => (failNextPatch = true) };
  }

  it('reads the Node once, patches at once, then not while the status is unchanged, then at the report period', async () => {
    const t = setup();
    try {
      await t.advanceTo(0);
      await t.advanceTo(299_000);
      assert.deepEqual(
        t.calls.filter((c) => !/Lease/.test(c)),
        ['0s getNode', '0s patchNodeStatus'],
      );
      await t.advanceTo(600_000);
      assert.deepEqual(
        t.calls.filter((c) => !/Lease/.test(c)),
        ['0s getNode', '0s patchNodeStatus', '300s patchNodeStatus', '600s patchNodeStatus'],
      );
      // The heartbeat time moves only when the status is reported.
      const ready = (i: number) => t.patches[i]!.conditions!.find((c) => c.type === 'Ready')!;
      assert.equal(new Date(ready(1).lastHeartbeatTime!).getTime(), 300_000);
      assert.equal(new Date(ready(1).lastTransitionTime!).getTime(), 0, 'Ready since the start');
    } finally {
      t.sub.unsubscribe();
    }
  });

  it('patches at the next check after the status changed, without reading the Node first', async () => {
    const t = setup();
    try {
      await t.advanceTo(30_000);
      assert.deepEqual(t.nodeCalls(), ['getNode', 'patchNodeStatus']);
      (t.opts as { nodeIP: string }).nodeIP = '192.0.2.11';
      await t.advanceTo(45_000);
      assert.deepEqual(
        t.calls.filter((c) => parseFloat(c) > 0 && !/Lease/.test(c)),
        ['40s patchNodeStatus'],
        'at the first check after the change, no GET',
      );
      assert.deepEqual(t.patches[1]!.addresses, [
        { type: 'InternalIP', address: '192.0.2.11' },
        { type: 'Hostname', address: 'n1' },
      ]);
      (t.opts as { kubeletPort: number }).kubeletPort = 10251;
      await t.advanceTo(100_000);
      assert.deepEqual(t.nodeCalls(41), ['patchNodeStatus'], 'the new daemon endpoint, once');
      assert.deepEqual(t.patches[2]!.daemonEndpoints, { kubeletEndpoint: { Port: 10251 } });
    } finally {
      t.sub.unsubscribe();
    }
  });

  it('after a failed patch, reads the Node again and patches at the next check', async () => {
    const t = setup({ statusUpdateMs: 10_000, statusReportMs: 60_000 });
    try {
      await t.advanceTo(50_000);
      t.failPatch();
      await t.advanceTo(80_000);
      assert.deepEqual(t.nodeCalls(1), ['patchNodeStatus', 'getNode', 'patchNodeStatus']);
      assert.deepEqual(
        t.calls.filter((c) => parseFloat(c) > 0 && !/Lease/.test(c)).map((c) => parseFloat(c)),
        [60, 70, 70],
      );
    } finally {
      t.sub.unsubscribe();
    }
  });

  it('renews the Lease every 10 s, a status patch or none', async () => {
    const t = setup();
    try {
      await t.advanceTo(60_000);
      assert.deepEqual(
        t.calls.filter((c) => /Lease/.test(c)),
        ['0s getLease', '0s createLease', ...[10, 20, 30, 40, 50, 60].map((s) => `${s}s replaceLease`)],
      );
    } finally {
      t.sub.unsubscribe();
    }
  });
});

describe('statusChanged', () => {
  it('ignores heartbeat times only', () => {
    const s = (hb: number, status = 'True'): V1NodeStatus => ({
      conditions: [{ type: 'Ready', status, lastHeartbeatTime: new Date(hb), lastTransitionTime: new Date(0) }],
    });
    assert.equal(statusChanged(s(1), s(2)), false);
    assert.equal(statusChanged(s(1), s(1, 'False')), true);
  });
});
