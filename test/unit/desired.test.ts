// Which static pods should run, when origins agree and when two define the same pod.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { desiredPods } from '../../src/core/desired.js';
import { initialState } from '../../src/core/model/state.js';
import { manifestRead, relist, sandbox, staticPod, stepAll } from '../support/fixtures.js';

describe('desired pods', () => {
  it('wants every pod of uncontested names, and its answer does not change with what runs', () => {
    const web = staticPod('web');
    const db = staticPod('db');
    const { state } = stepAll(initialState(['file']), [manifestRead(web), manifestRead(db), relist([], [])], 0);
    const before = desiredPods(state);
    assert.deepEqual([...before.pods.keys()].sort(), [web.uid, db.uid].sort());
    assert.deepEqual(before.conflicts, []);
    const { state: running } = stepAll(state, [relist([sandbox(web, 'sb1')], [])], 1);
    assert.notEqual(running.runtime.sandboxes, state.runtime.sandboxes);
    assert.equal(desiredPods(running), before, 'the same answer object: nothing recomputed');
  });

  it('gives a contested name to the first origin in name order, then to the one already running', () => {
    const first = staticPod('web', '/etc/manifests/a-web.yaml');
    const second = staticPod('web', '/etc/manifests/b-web.yaml', { image: 'staticlet.local/busybox:2' });
    assert.notEqual(first.uid, second.uid);
    const { state } = stepAll(initialState(['file']), [manifestRead(second), manifestRead(first), relist([], [])], 0);
    const idle = desiredPods(state);
    assert.deepEqual([...idle.pods.keys()], [first.uid]);
    assert.deepEqual(idle.conflicts, [
      { fullName: `${first.namespace}/${first.name}`, winner: first.origin, losers: [second.origin] },
    ]);

    // The later origin's pod is the one running (its file was there first, say): it keeps running.
    const { state: running } = stepAll(state, [relist([sandbox(second, 'sb2')], [])], 1);
    const kept = desiredPods(running);
    assert.deepEqual([...kept.pods.keys()], [second.uid]);
    assert.deepEqual(kept.conflicts, [
      { fullName: `${first.namespace}/${first.name}`, winner: second.origin, losers: [first.origin] },
    ]);
  });
});
