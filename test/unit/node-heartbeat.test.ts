// The Node the agent registers: its labels and taints (--node-labels, --register-with-taints), and
// --register-node=false, where the agent never creates it and waits for someone else to.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { V1Lease, V1Node } from '@kubernetes/client-node';
import { pino } from 'pino';
import { asyncScheduler, firstValueFrom, take, toArray } from 'rxjs';
import { nodeHeartbeat, nodeObject, STATIC_ONLY_TAINT } from '../../src/effects/node-heartbeat.js';
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
