// The API half of the core: mirror pods and their status, in pure steps.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Action, UpdateMirrorStatus } from '../../src/core/model/actions.js';
import type { EventBody } from '../../src/core/model/events.js';
import type { MirrorObservation } from '../../src/core/model/observations.js';
import { podStatus } from '../../src/core/pod-status.js';
import { initialState, type State } from '../../src/core/model/state.js';
import { container, manifestRead, relist, sandbox, staticPod, stepAll } from '../support/fixtures.js';

const ctx = { nodeIP: '192.0.2.10', runtimeName: 'containerd' };
const synced: EventBody = { type: 'SourceSynced', source: 'file', sourceId: '/m' };

function run(bodies: EventBody[], from?: State, at = 1_000_000) {
  return stepAll(from ?? initialState(['file'], 0, ctx), bodies, at);
}

const mirrorOf = (pod: ReturnType<typeof staticPod>, over: Partial<MirrorObservation> = {}): MirrorObservation => ({
  namespace: pod.namespace,
  name: pod.name,
  uid: `api-${pod.uid.slice(0, 6)}`,
  mirrorOf: pod.uid,
  source: 'file',
  deleting: false,
  phase: 'Running',
  ...over,
});
const apiKinds = (actions: Action[]) =>
  actions
    .filter((a) => ['CreateMirror', 'DeleteMirror', 'UpdateMirrorStatus', 'RefusePod'].includes(a.kind))
    .map((a) => a.kind);

describe('mirror pods', () => {
  const web = staticPod('web');
  const running = relist(
    [sandbox(web, 'sb1', { ip: '10.0.0.5', createdAt: 1_000 })],
    [container(web, 'c1', 'sb1', 'web', { startedAt: 2_000 })],
  );

  it('does nothing without an API server, before the node is registered, or before the first list', () => {
    assert.deepEqual(
      apiKinds(run([manifestRead(web), running, { type: 'MirrorsListed', pods: [] }], initialState(['file'])).actions),
      [],
    );
    assert.deepEqual(apiKinds(run([manifestRead(web), running, { type: 'MirrorsListed', pods: [] }]).actions), []);
    assert.deepEqual(apiKinds(run([manifestRead(web), running, { type: 'NodeRegistered', uid: 'n1' }]).actions), []);
  });

  it('creates the mirror: the static pod plus the mirror annotation and one owner, the Node', () => {
    const { actions } = run([
      manifestRead(web),
      relist([], []),
      { type: 'NodeRegistered', uid: 'node-uid' },
      { type: 'MirrorsListed', pods: [] },
    ]);
    const create = actions.find((a) => a.kind === 'CreateMirror');
    assert.ok(create && create.kind === 'CreateMirror');
    const m = create.mirror;
    assert.equal(m.metadata!.name, 'web-node1');
    assert.equal(m.metadata!.uid, undefined, 'the API server assigns the mirror its own UID');
    assert.equal(m.metadata!.annotations!['kubernetes.io/config.mirror'], web.uid);
    assert.deepEqual(m.metadata!.labels, { role: 'myrole' });
    assert.deepEqual(m.metadata!.ownerReferences, [
      { apiVersion: 'v1', kind: 'Node', name: 'node1', uid: 'node-uid', controller: true },
    ]);
    assert.equal(m.spec!.nodeName, 'node1');
  });

  it('runtime and API work proceed side by side for one pod', () => {
    const { actions } = run([
      manifestRead(web),
      { type: 'NodeRegistered', uid: 'n' },
      { type: 'MirrorsListed', pods: [] },
      relist([], []),
    ]);
    assert.deepEqual(actions.map((a) => a.kind).sort(), ['CreateMirror', 'CreateSandbox']);
  });

  it('writes the status once, and again only when it changes', () => {
    const base = run([
      manifestRead(web),
      running,
      { type: 'NodeRegistered', uid: 'n' },
      { type: 'MirrorsListed', pods: [mirrorOf(web)] },
    ]);
    const update = base.actions.find((a): a is UpdateMirrorStatus => a.kind === 'UpdateMirrorStatus')!;
    assert.equal(update.status.phase, 'Running');
    assert.equal(update.status.podIP, '10.0.0.5');
    assert.equal(update.status.hostIP, '192.0.2.10');
    const cs = update.status.containerStatuses![0]!;
    assert.equal(cs.ready, true);
    assert.equal(cs.restartCount, 0);
    assert.equal(cs.containerID, 'containerd://c1');
    assert.ok(cs.state!.running);
    assert.deepEqual(update.status.conditions!.find((c) => c.type === 'Ready')!.status, 'True');

    const done = run(
      [{ type: 'ActionSucceeded', action: update, outcome: { reportedStatus: update.fingerprint } }, running],
      base.state,
    );
    assert.deepEqual(apiKinds(done.actions), [], 'unchanged status: nothing to write');

    const restarted = relist(
      [sandbox(web, 'sb1', { ip: '10.0.0.5', createdAt: 1_000 })],
      [
        container(web, 'c1', 'sb1', 'web', { state: 'exited', exitCode: 137, startedAt: 2_000, finishedAt: 3_000 }),
        container(web, 'c2', 'sb1', 'web', { attempt: 1, startedAt: 4_000 }),
      ],
    );
    const again = run([restarted], done.state);
    const second = again.actions.find((a): a is UpdateMirrorStatus => a.kind === 'UpdateMirrorStatus')!;
    assert.equal(second.status.containerStatuses![0]!.restartCount, 1);
    assert.equal(second.status.containerStatuses![0]!.lastState!.terminated!.exitCode, 137);
  });

  it('finishes off and recreates a mirror someone deleted; replaces a stale one', () => {
    const listed = run([
      manifestRead(web),
      running,
      { type: 'NodeRegistered', uid: 'n' },
      { type: 'MirrorsListed', pods: [mirrorOf(web, { deleting: true })] },
    ]);
    const del = listed.actions.find((a) => a.kind === 'DeleteMirror');
    assert.ok(del);
    const deleted = run([{ type: 'ActionSucceeded', action: del, outcome: {} }], listed.state);
    assert.deepEqual(apiKinds(deleted.actions), [], 'waits for the watch to confirm the deletion');
    const gone = run(
      [{ type: 'MirrorGone', namespace: web.namespace, name: web.name, uid: mirrorOf(web).uid }],
      deleted.state,
    );
    assert.deepEqual(apiKinds(gone.actions), ['CreateMirror']);
    const unconfirmed = run([{ type: 'TimerFired' }], deleted.state, 1_000_000 + 5_000);
    assert.deepEqual(apiKinds(unconfirmed.actions), ['DeleteMirror'], 'deleted again when the watch never confirms');

    const stale = run([
      manifestRead(web),
      running,
      { type: 'NodeRegistered', uid: 'n' },
      { type: 'MirrorsListed', pods: [mirrorOf(web, { mirrorOf: 'old-uid' })] },
    ]);
    assert.deepEqual(apiKinds(stale.actions), ['DeleteMirror']);
  });

  it('deletes a mirror whose static pod is gone, once the source has synced', () => {
    const orphan = mirrorOf(staticPod('old'));
    assert.deepEqual(
      apiKinds(
        run([relist([], []), { type: 'NodeRegistered', uid: 'n' }, { type: 'MirrorsListed', pods: [orphan] }]).actions,
      ),
      [],
    );
    assert.deepEqual(
      apiKinds(
        run([relist([], []), { type: 'NodeRegistered', uid: 'n' }, { type: 'MirrorsListed', pods: [orphan] }, synced])
          .actions,
      ),
      ['DeleteMirror'],
    );
  });

  it('refuses an ordinary pod bound to this node, once', () => {
    const ordinary: MirrorObservation = {
      namespace: 'default',
      name: 'nginx',
      uid: 'u1',
      deleting: false,
      phase: 'Pending',
    };
    const r = run([relist([], []), { type: 'NodeRegistered', uid: 'n' }, { type: 'MirrorsListed', pods: [ordinary] }]);
    const refuse = r.actions.find((a) => a.kind === 'RefusePod')!;
    assert.ok(refuse);
    const after = run([{ type: 'ActionSucceeded', action: refuse, outcome: {} }, { type: 'TimerFired' }], r.state);
    assert.deepEqual(apiKinds(after.actions), []);
  });
});

describe('pod status', () => {
  it('says CrashLoopBackOff while a restart waits for its back-off', () => {
    const web = staticPod('web');
    const dead = (id: string, attempt: number, at: number) =>
      container(web, id, 'sb1', 'web', { attempt, state: 'exited', exitCode: 1, startedAt: at, finishedAt: at });
    // Two deaths: the second restart must wait 10 s after the second death.
    let s = run([manifestRead(web), relist([sandbox(web, 'sb1')], [dead('c0', 0, 1_000)])], undefined, 1_000).state;
    s = run([relist([sandbox(web, 'sb1')], [dead('c0', 0, 1_000), dead('c1', 1, 2_000)])], s, 2_500).state;
    const status = podStatus(s, web, ctx);
    const cs = status.containerStatuses![0]!;
    assert.equal(cs.state!.waiting!.reason, 'CrashLoopBackOff');
    assert.match(cs.state!.waiting!.message!, /back-off 10s restarting failed container=web/);
    assert.equal(cs.restartCount, 1);
    assert.equal(status.phase, 'Running');
    assert.equal(status.conditions!.find((c) => c.type === 'Ready')!.status, 'False');
  });

  it('does not say CrashLoopBackOff for the first restart, issued at once with nothing held back', () => {
    const web = staticPod('web');
    const dead = container(web, 'c0', 'sb1', 'web', {
      state: 'exited',
      exitCode: 1,
      startedAt: 1_000,
      finishedAt: 1_000,
    });
    const r = run([manifestRead(web), relist([sandbox(web, 'sb1')], [dead])], undefined, 1_500);
    assert.ok(
      r.actions.some((a) => a.kind === 'StartContainer'),
      'the first restart is issued at once',
    );
    // Until the new container is listed, the latest is still the exited one; its back-off entry
    // is dated by this exit, so the restart is under way, not held back (no BackOff event).
    const cs = podStatus(r.state, web, ctx).containerStatuses![0]!;
    assert.notEqual(cs.state!.waiting?.reason, 'CrashLoopBackOff');
    assert.equal(cs.state!.waiting?.reason, 'ContainerCreating');
  });

  it('reports Succeeded and Failed for pods that do not restart', () => {
    const job = staticPod('job', undefined, { restartPolicy: 'Never' });
    const ended = (code: number) =>
      run([
        manifestRead(job),
        relist(
          [sandbox(job, 'sb1')],
          [container(job, 'c', 'sb1', 'web', { state: 'exited', exitCode: code, finishedAt: 5 })],
        ),
      ]).state;
    assert.equal(podStatus(ended(0), job, ctx).phase, 'Succeeded');
    assert.equal(podStatus(ended(2), job, ctx).phase, 'Failed');
    assert.equal(podStatus(ended(2), job, ctx).containerStatuses![0]!.state!.terminated!.reason, 'Error');
  });
});
