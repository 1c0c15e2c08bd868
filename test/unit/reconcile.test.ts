// The pure core: fold, diff and step, event by event.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Action } from '../../src/core/model/actions.js';
import type { EventBody } from '../../src/core/model/events.js';
import { step } from '../../src/core/reconcile.js';
import { initialState, type BackoffEntry, type State } from '../../src/core/model/state.js';
import type { SourceKind } from '../../src/core/model/static-pod.js';
import { container, manifestRead, relist, sandbox, staticPod } from '../support/fixtures.js';

/** Runs bodies through step at the given times; returns the final state and every action. */
function run(bodies: EventBody[], opts: { sources?: SourceKind[]; times?: number[]; from?: State } = {}) {
  let state = opts.from ?? initialState(opts.sources ?? ['file']);
  const actions: Action[] = [];
  const perEvent: Action[][] = [];
  bodies.forEach((body, i) => {
    const r = step(state, { ...body, seq: i + 1, at: opts.times?.[i] ?? state.now });
    state = r.state;
    actions.push(...r.actions);
    perEvent.push([...r.actions]);
  });
  return { state, actions, perEvent };
}

const synced: EventBody = { type: 'SourceSynced', source: 'file', sourceId: '/etc/manifests' };

describe('reconcile step', () => {
  it('decides nothing before the first relist (it does not yet know what runs)', () => {
    const web = staticPod('web');
    assert.deepEqual(run([manifestRead(web), synced]).actions, []);
  });

  it("forgets a gone pod's back-offs and step failures at the relist, and keeps a wanted pod's", () => {
    const web = staticPod('web');
    const old = staticPod('web-old');
    const from = run([manifestRead(web), synced]).state;
    const entry: BackoffEntry = { delayMs: 20_000, lastUpdate: 1 };
    const failure = { at: 1, count: 3, reason: 'RunContainerError', message: 'x' };
    const seeded: State = {
      ...from,
      backoff: new Map([
        [`${web.uid}/app`, entry],
        [`${old.uid}/app`, entry],
      ]),
      failures: new Map([
        [`${web.uid}/#sandbox`, failure],
        [`${old.uid}/#sandbox`, failure],
        ['mirror/kube-system/web-node', failure],
      ]),
    };
    const { state } = run([relist([], [])], { from: seeded });
    assert.deepEqual([...state.backoff.keys()], [`${web.uid}/app`]);
    assert.deepEqual([...state.failures.keys()], [`${web.uid}/#sandbox`, 'mirror/kube-system/web-node']);
  });

  it('passes a heartbeat through without a diff: no actions, and the armed wake-up is kept (deferred)', () => {
    const web = staticPod('web');
    const before = run([manifestRead(web), synced]).state;
    const r = step(before, { type: 'Heartbeat', seq: 3, at: before.now + 5_000 });
    assert.deepEqual(r.actions, []);
    assert.equal(r.deferred, true);
    assert.equal(r.state.origins, before.origins);
  });

  it('starts a new pod: sandbox first, then its container', () => {
    const web = staticPod('web');
    const { actions } = run([manifestRead(web), relist([], [])]);
    assert.equal(actions.length, 1);
    assert.equal(actions[0]!.kind, 'CreateSandbox');
    const sb = sandbox(web, 'sb1');
    const r2 = run([{ type: 'ActionSucceeded', action: actions[0]!, outcome: { sandboxes: [sb] } }], {
      from: run([manifestRead(web), relist([], [])]).state,
    });
    assert.deepEqual(
      r2.actions.map((a) => a.kind),
      ['StartContainer'],
    );
    assert.equal(r2.actions[0]!.kind === 'StartContainer' && r2.actions[0]!.sandboxId, 'sb1');
  });

  it('a new sandbox carries its first container: the first init container, else the first container', () => {
    const web = staticPod('web', undefined, { containers: ['a', 'b'] });
    const create = run([manifestRead(web), relist([], [])]).actions[0]!;
    assert.ok(create.kind === 'CreateSandbox');
    assert.deepEqual(create.first, { containerName: 'a', init: false, attempt: 0 });
    const withInit = staticPod('job', undefined, { init: ['setup', 'migrate'], containers: ['app'] });
    const createInit = run([manifestRead(withInit), relist([], [])]).actions[0]!;
    assert.ok(createInit.kind === 'CreateSandbox');
    assert.deepEqual(createInit.first, { containerName: 'setup', init: true, attempt: 0 });
  });

  it('a sandbox that started its first container: the next step is the second container, and a recreated sandbox counts attempts on', () => {
    const web = staticPod('web', undefined, { containers: ['a', 'b'] });
    const start = run([manifestRead(web), relist([], [])]);
    const create = start.actions[0]!;
    const sb = sandbox(web, 'sb1');
    const a = container(web, 'c1', 'sb1', 'a');
    const next = run([{ type: 'ActionSucceeded', action: create, outcome: { sandboxes: [sb], containers: [a] } }], {
      from: start.state,
    });
    assert.deepEqual(
      next.actions.map((x) => (x.kind === 'StartContainer' ? x.containerName : x.kind)),
      ['b'],
    );

    // The sandbox dies with its containers exited: the new sandbox starts `a` at attempt 1.
    const startB = next.actions[0]!;
    const dead = run(
      [
        { type: 'ActionSucceeded', action: startB, outcome: { containers: [container(web, 'c2', 'sb1', 'b')] } },
        relist(
          [sandbox(web, 'sb1', { ready: false })],
          [
            container(web, 'c1', 'sb1', 'a', { state: 'exited', exitCode: 0, finishedAt: 5 }),
            container(web, 'c2', 'sb1', 'b', { state: 'exited', exitCode: 0, finishedAt: 5 }),
          ],
        ),
      ],
      { from: next.state },
    );
    const again = dead.actions.find((x) => x.kind === 'CreateSandbox');
    assert.ok(again?.kind === 'CreateSandbox' && again.attempt === 1);
    assert.deepEqual(again.first, { containerName: 'a', init: false, attempt: 1 });
  });

  it("a first container that failed: its failure is the container's (the sandbox stands), shown in the status and retried on its back-off", () => {
    const web = staticPod('web');
    const start = run([manifestRead(web), relist([], [])], { times: [0, 0] });
    const create = start.actions[0]!;
    const failed = run(
      [
        {
          type: 'ActionSucceeded',
          action: create,
          outcome: {
            sandboxes: [sandbox(web, 'sb1')],
            firstFailed: { reason: 'CreateContainerConfigError', message: 'no such file' },
          },
        },
      ],
      { from: start.state, times: [1_000] },
    );
    assert.deepEqual(failed.actions, [], 'not retried at once');
    assert.equal(failed.state.failures.get(`${web.uid}/web`)?.reason, 'CreateContainerConfigError');
    assert.equal(failed.state.failures.has(`${web.uid}/#sandbox`), false);
    const retry = run([{ type: 'TimerFired' }], { from: failed.state, times: [60_000] });
    assert.deepEqual(
      retry.actions.map((x) => x.kind),
      ['StartContainer'],
      'retried by itself once its back-off is over',
    );

    // The back-off holds in the sandbox it failed in. A new sandbox is a fresh start, as the
    // kubelet's is: its first container goes with it (the failure may have been the old
    // sandbox's own, stopped under the start), and a failure there counts on from the first.
    const died = run([relist([sandbox(web, 'sb1', { ready: false })], [])], { from: failed.state, times: [2_000] });
    const recreate = died.actions.find((x) => x.kind === 'CreateSandbox');
    assert.ok(recreate?.kind === 'CreateSandbox', JSON.stringify(died.actions));
    assert.deepEqual(recreate.first, { containerName: 'web', init: false, attempt: 0 });
    const again = run(
      [
        {
          type: 'ActionSucceeded',
          action: recreate,
          outcome: {
            sandboxes: [sandbox(web, 'sb2', { attempt: 1 })],
            firstFailed: { reason: 'CreateContainerConfigError', message: 'no such file' },
          },
        },
      ],
      { from: died.state, times: [3_000] },
    );
    assert.deepEqual(again.actions, [], 'not retried at once in the new sandbox either');
    assert.deepEqual(
      [again.state.failures.get(`${web.uid}/web`)?.count, again.state.failures.get(`${web.uid}/web`)?.sandboxId],
      [2, 'sb2'],
    );
  });

  it('never issues an action twice while one is in flight for the pod', () => {
    const web = staticPod('web');
    const { perEvent } = run([manifestRead(web), relist([], []), relist([], [], 1), { type: 'TimerFired' }]);
    assert.deepEqual(
      perEvent.map((a) => a.length),
      [0, 1, 0, 0],
    );
  });

  it('adopts a pod that already runs: no action at all', () => {
    const web = staticPod('web');
    const { actions } = run([
      relist([sandbox(web, 'sb1')], [container(web, 'c1', 'sb1', 'web')]),
      manifestRead(web),
      synced,
    ]);
    assert.deepEqual(actions, []);
  });

  it('removes a pod whose manifest is gone, but only once its source has synced', () => {
    const web = staticPod('web');
    const rt = relist([sandbox(web, 'sb1')], [container(web, 'c1', 'sb1', 'web')]);
    assert.deepEqual(run([rt]).actions, [], 'not before the directory was read');
    const { actions } = run([rt, synced]);
    assert.equal(actions.length, 1);
    const kill = actions[0]!;
    assert.ok(kill.kind === 'KillPod' && kill.remove && kill.reason === 'removed');
    assert.deepEqual(kill.kind === 'KillPod' && kill.containers.map((c) => [c.id, c.gracePeriodSeconds]), [['c1', 30]]);
  });

  it("a scan's burst is one diff: its events but the last are folded only, and the last step acts for all", () => {
    const pods = ['a', 'b', 'c'].map((n) => staticPod(n));
    const burst = pods.map((p, i): EventBody => ({
      ...manifestRead(p),
      ...(i < pods.length - 1 ? { more: true as const } : {}),
    }));
    const { perEvent, state } = run([relist([], []), ...burst]);
    assert.deepEqual(
      perEvent.map((a) => a.length),
      [0, 0, 0, 3],
    );
    assert.deepEqual(
      perEvent[3]!.map((a) => a.kind),
      ['CreateSandbox', 'CreateSandbox', 'CreateSandbox'],
    );
    assert.equal(state.inFlight.size, 3);
    // The same for removals: nothing goes until the scan's last event, then every pod goes.
    const running = relist(
      pods.map((p, i) => sandbox(p, `sb${i}`)),
      pods.map((p, i) => container(p, `c${i}`, `sb${i}`, p.pod.spec!.containers[0]!.name)),
    );
    const gone = pods.map((p, i): EventBody => ({
      type: 'ManifestGone',
      source: 'file',
      origin: p.origin,
      ...(i < pods.length - 1 ? { more: true as const } : {}),
    }));
    const removal = run([...gone], { from: run([running, ...pods.map(manifestRead), synced]).state });
    assert.deepEqual(
      removal.perEvent.map((a) => a.map((x) => x.kind)),
      [[], [], ['KillPod', 'KillPod', 'KillPod']],
    );
  });

  it('a URL source that never synced does not block removals of file pods', () => {
    const web = staticPod('web');
    const rt = relist([sandbox(web, 'sb1')], [container(web, 'c1', 'sb1', 'web')]);
    const { actions } = run([rt, synced], { sources: ['file', 'http'] });
    assert.equal(actions[0]?.kind, 'KillPod');
  });

  it('keeps the last valid pod when its manifest becomes invalid', () => {
    const web = staticPod('web');
    const rt = relist([sandbox(web, 'sb1')], [container(web, 'c1', 'sb1', 'web')]);
    const invalid: EventBody = {
      type: 'ManifestInvalid',
      source: 'file',
      origin: web.origin,
      problems: [{ origin: web.origin, line: 3, message: 'bad' }],
    };
    const { actions, state } = run([manifestRead(web), rt, synced, invalid]);
    assert.deepEqual(actions, []);
    assert.equal(state.origins.get(web.origin)?.pods[0]?.uid, web.uid);
  });

  it('replaces a changed pod: the old one is stopped and removed before the new one starts', () => {
    const v1 = staticPod('web');
    const v2 = staticPod('web', v1.origin, { image: 'staticlet.local/busybox:2' });
    assert.notEqual(v1.uid, v2.uid);
    const rt = relist([sandbox(v1, 'sb1')], [container(v1, 'c1', 'sb1', 'web')]);
    const first = run([manifestRead(v1), rt, synced, manifestRead(v2)]);
    assert.deepEqual(
      first.actions.map((a) => [a.kind, a.podUid]),
      [['KillPod', v1.uid]],
    );
    const kill = first.actions[0]!;
    const after = run(
      [{ type: 'ActionSucceeded', action: kill, outcome: { removedSandboxIds: ['sb1'], removedContainerIds: ['c1'] } }],
      { from: first.state },
    );
    assert.deepEqual(
      after.actions.map((a) => [a.kind, a.podUid]),
      [['CreateSandbox', v2.uid]],
    );
  });

  it('a relist older than an action result does not undo it', () => {
    const web = staticPod('web');
    const start = run([manifestRead(web), relist([], [], 0)], { times: [0, 10] });
    const create = start.actions[0]!;
    const sb = sandbox(web, 'sb1');
    const after = run(
      [
        { type: 'ActionSucceeded', action: create, outcome: { sandboxes: [sb] } },
        relist([], [], 15), // started before the sandbox existed
      ],
      { from: start.state, times: [20, 30] },
    );
    assert.ok(after.state.runtime.sandboxes.has('sb1'));
    assert.equal(after.actions.filter((a) => a.kind === 'CreateSandbox').length, 0);
  });

  it('a start result read before the container exited does not undo the exit a relist saw', () => {
    // The container exits at once; a relist sees the exit before the start action's own status
    // read (which still said running) comes back. The restart must not wait for another relist.
    const web = staticPod('web');
    const sb = sandbox(web, 'sb1');
    const begin = run([manifestRead(web), relist([sb], [], 0)], { times: [0, 10] });
    const startAction = begin.actions[0]!;
    assert.equal(startAction.kind, 'StartContainer');
    const exited = container(web, 'c1', 'sb1', 'web', { state: 'exited', exitCode: 1, finishedAt: 25 });
    const after = run(
      [
        relist([sb], [exited], 30),
        {
          type: 'ActionSucceeded',
          action: startAction,
          outcome: { containers: [container(web, 'c1', 'sb1', 'web', { state: 'running' })] },
        },
      ],
      { from: begin.state, times: [35, 40] },
    );
    assert.equal(after.state.runtime.containers.get('c1')?.state, 'exited');
    assert.deepEqual(
      after.perEvent[1]!.map((a) => a.kind),
      ['StartContainer'],
      'restarted as soon as the start finished',
    );
  });

  it('a relist that started before an exit does not bring the container back to running', () => {
    const web = staticPod('web');
    const sb = sandbox(web, 'sb1');
    const exited = container(web, 'c1', 'sb1', 'web', { state: 'exited', exitCode: 1, finishedAt: 25 });
    const begin = run([manifestRead(web), relist([sb], [exited], 30)], { times: [0, 35] });
    const after = run([relist([sb], [container(web, 'c1', 'sb1', 'web', { state: 'running' })], 50)], {
      from: begin.state,
      times: [60],
    });
    assert.equal(
      after.state.runtime.containers.get('c1')?.state,
      'exited',
      'a container never runs again once it exited',
    );
  });

  it("an exit from the runtime's event stream restarts at once; a relist that started before it cannot undo it", () => {
    const web = staticPod('web');
    const sb = sandbox(web, 'sb1');
    const running = container(web, 'c1', 'sb1', 'web', { state: 'running', startedAt: 5 });
    const begin = run([manifestRead(web), relist([sb], [running], 0)], { times: [0, 10] });
    assert.deepEqual(begin.actions, []);
    const after = run(
      [
        { type: 'ContainerExited', containerId: 'c1', exitCode: 137, finishedAt: 20 },
        relist([sb], [running], 15), // the CRI's view lags the event
      ],
      { from: begin.state, times: [21, 40] },
    );
    const c1 = after.state.runtime.containers.get('c1');
    assert.deepEqual([c1?.state, c1?.exitCode, c1?.finishedAt], ['exited', 137, 20]);
    assert.equal(after.perEvent[0]!.length, 1);
    const restart = after.perEvent[0]![0]!;
    assert.ok(restart.kind === 'StartContainer' && restart.attempt === 1, 'restarted on the event, before any relist');
  });

  it("an exit of a sandbox's pause container makes the sandbox not ready; unknown ids change nothing", () => {
    const web = staticPod('web');
    const sb = sandbox(web, 'sb1');
    const begin = run(
      [manifestRead(web), relist([sb], [container(web, 'c1', 'sb1', 'web', { state: 'running' })], 0)],
      { times: [0, 10] },
    );
    const after = run([{ type: 'ContainerExited', containerId: 'sb1', exitCode: 0 }], {
      from: begin.state,
      times: [20],
    });
    assert.equal(after.state.runtime.sandboxes.get('sb1')?.ready, false);
    const unknown = run([{ type: 'ContainerExited', containerId: 'nope', exitCode: 1 }], {
      from: begin.state,
      times: [20],
    });
    assert.equal(unknown.state.runtime, begin.state.runtime);
  });

  it('restarts an exited container in the same sandbox with attempt + 1, at once the first time', () => {
    const web = staticPod('web');
    const dead = container(web, 'c1', 'sb1', 'web', { state: 'exited', exitCode: 1, finishedAt: 1000 });
    const { actions } = run([manifestRead(web), relist([sandbox(web, 'sb1')], [dead])], { times: [1000, 1500] });
    assert.equal(actions.length, 1);
    const a = actions[0]!;
    assert.ok(a.kind === 'StartContainer' && a.sandboxId === 'sb1' && a.attempt === 1);
  });

  it('follows restartPolicy: OnFailure restarts failures only, Never restarts nothing', () => {
    const onFailure = staticPod('job', undefined, { restartPolicy: 'OnFailure' });
    const ok = container(onFailure, 'c1', 'sb1', 'web', { state: 'exited', exitCode: 0, finishedAt: 1 });
    assert.deepEqual(run([manifestRead(onFailure), relist([sandbox(onFailure, 'sb1')], [ok])]).actions, []);
    const failed = { ...ok, exitCode: 2 };
    assert.equal(
      run([manifestRead(onFailure), relist([sandbox(onFailure, 'sb1')], [failed])]).actions[0]?.kind,
      'StartContainer',
    );
    const never = staticPod('once', undefined, { restartPolicy: 'Never' });
    const failedNever = container(never, 'c1', 'sb1', 'web', { state: 'exited', exitCode: 2, finishedAt: 1 });
    assert.deepEqual(run([manifestRead(never), relist([sandbox(never, 'sb1')], [failedNever])]).actions, []);
  });

  it('runs init containers one at a time, each to success, before the app containers', () => {
    const pod = staticPod('web', undefined, { init: ['init-a', 'init-b'] });
    const sb = sandbox(pod, 'sb1');
    const names = (cs: Parameters<typeof relist>[1]) =>
      run([manifestRead(pod), relist([sb], cs)]).actions.map((a) =>
        a.kind === 'StartContainer' ? a.containerName : a.kind,
      );
    assert.deepEqual(names([]), ['init-a']);
    assert.deepEqual(names([container(pod, 'i1', 'sb1', 'init-a')]), [], 'waits for the running init container');
    assert.deepEqual(names([container(pod, 'i1', 'sb1', 'init-a', { state: 'exited', exitCode: 0 })]), ['init-b']);
    assert.deepEqual(
      names([
        container(pod, 'i1', 'sb1', 'init-a', { state: 'exited', exitCode: 0 }),
        container(pod, 'i2', 'sb1', 'init-b', { state: 'exited', exitCode: 0 }),
      ]),
      ['web'],
    );
  });

  it('gives a dead sandbox a new sandbox with attempt + 1', () => {
    const web = staticPod('web');
    const dead = sandbox(web, 'sb1', { ready: false });
    const { actions } = run([
      manifestRead(web),
      relist([dead], [container(web, 'c1', 'sb1', 'web', { state: 'exited', exitCode: 137 })]),
    ]);
    assert.ok(actions[0]!.kind === 'CreateSandbox' && actions[0]!.attempt === 1);
  });

  it('two files defining one pod: the running one stays, otherwise the first by name wins', () => {
    const a = staticPod('web', '/m/a.yaml');
    const b = staticPod('web', '/m/b.yaml', { image: 'staticlet.local/busybox:2' });
    const fresh = run([manifestRead(b), manifestRead(a), relist([], [])]);
    assert.deepEqual(
      fresh.actions.map((x) => x.podUid),
      [a.uid],
    );
    const running = run([
      manifestRead(b),
      relist([sandbox(b, 'sb1')], [container(b, 'c1', 'sb1', 'web')]),
      synced,
      manifestRead(a),
    ]);
    assert.deepEqual(running.actions, [], 'the running pod from b.yaml keeps running');
  });

  it('garbage-collects dead containers, keeping the newest dead one per name', () => {
    const web = staticPod('web');
    const cs = [
      container(web, 'c0', 'sb1', 'web', { attempt: 0, state: 'exited', exitCode: 1 }),
      container(web, 'c1', 'sb1', 'web', { attempt: 1, state: 'exited', exitCode: 1 }),
      container(web, 'c2', 'sb1', 'web', { attempt: 2, state: 'running' }),
    ];
    const { actions } = run([manifestRead(web), relist([sandbox(web, 'sb1')], cs)]);
    assert.deepEqual(
      actions.map((a) => a.kind === 'RemoveContainers' && a.containerIds),
      [['c0']],
    );
  });
});
