// Failed steps in the pure core: every decision that can fail is retried on a growing back-off,
// never on the next event; a failure is counted against its own step only, so it never holds
// back another decision (issue 22, defect 3: a created container that could not be removed yet).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Action } from '../../src/core/model/actions.js';
import type { EventBody } from '../../src/core/model/events.js';
import type { ContainerObservation, SandboxObservation } from '../../src/core/model/observations.js';
import { failureKey } from '../../src/core/fold.js';
import { step } from '../../src/core/reconcile.js';
import { initialState, stepKey, type State } from '../../src/core/model/state.js';
import type { StaticPod } from '../../src/core/model/static-pod.js';
import { container, manifestRead, relist, sandbox, staticPod } from '../support/fixtures.js';

const STARTING = "failed to remove container: container is in starting state, can't be removed";
const synced: EventBody = { type: 'SourceSynced', source: 'file', sourceId: '/etc/manifests' };

class Node {
  state: State = initialState(['file']);
  seq = 0;
  /** Every action issued, with its time. */
  readonly issued: [number, Action][] = [];

  feed(body: EventBody, at: number): Action[] {
    const r = step(this.state, { ...body, seq: ++this.seq, at });
    this.state = r.state;
    for (const a of r.actions) this.issued.push([at, a]);
    return [...r.actions];
  }

  /**
   * From `from` to `until` (ms), the runtime is relisted every 100 ms with the same view (a busy
   * node: an event at every tick); every action issued fails at once (it is answered in the same
   * tick), `pending` first. Returns the times (s) at which actions went out.
   */
  failEverything(
    rt: { sandboxes: SandboxObservation[]; containers: ContainerObservation[] },
    from: number,
    until: number,
    pending: Action[] = [],
  ) {
    const times: number[] = [];
    for (let t = from; t < until; t += 100) {
      pending.push(...this.feed({ type: 'RuntimeRelisted', startedAt: t, ...rt }, t));
      while (pending.length > 0) {
        const action = pending.shift()!;
        times.push(t / 1000);
        pending.push(...this.feed({ type: 'ActionFailed', action, reason: 'RuntimeError', message: STARTING }, t));
      }
    }
    return times;
  }
}

interface Case {
  readonly name: string;
  readonly kind: Action['kind'];
  readonly pod: StaticPod;
  readonly setup: (pod: StaticPod) => EventBody[];
  readonly rt: (pod: StaticPod) => { sandboxes: SandboxObservation[]; containers: ContainerObservation[] };
  readonly times: number[];
}

const web = staticPod('web');
const STEP_TIMES = [0, 1, 3, 7, 15];
const cases: Case[] = [
  {
    name: 'a created container is removed (RemoveContainers, created)',
    kind: 'RemoveContainers',
    pod: web,
    setup: (p) => [manifestRead(p), synced],
    rt: (p) => ({
      sandboxes: [sandbox(p, 'sb1')],
      containers: [container(p, 'c1', 'sb1', 'web', { state: 'created' })],
    }),
    times: STEP_TIMES,
  },
  {
    name: 'dead containers are collected (RemoveContainers, garbage)',
    kind: 'RemoveContainers',
    pod: web,
    setup: (p) => [manifestRead(p), synced],
    rt: (p) => ({
      sandboxes: [sandbox(p, 'sb1')],
      containers: [
        container(p, 'c0', 'sb1', 'web', { attempt: 0, state: 'exited', exitCode: 1 }),
        container(p, 'c1', 'sb1', 'web', { attempt: 1, state: 'exited', exitCode: 1 }),
        container(p, 'c2', 'sb1', 'web', { attempt: 2 }),
      ],
    }),
    times: STEP_TIMES,
  },
  {
    name: 'old sandboxes are collected (KillPod, garbage)',
    kind: 'KillPod',
    pod: web,
    setup: (p) => [manifestRead(p), synced],
    rt: (p) => ({
      sandboxes: [sandbox(p, 'sb0', { ready: false }), sandbox(p, 'sb1', { attempt: 1 })],
      containers: [container(p, 'c1', 'sb1', 'web')],
    }),
    times: STEP_TIMES,
  },
  {
    name: 'the running containers of a dead sandbox are stopped (KillPod, sandbox-dead)',
    kind: 'KillPod',
    pod: web,
    setup: (p) => [manifestRead(p), synced],
    rt: (p) => ({ sandboxes: [sandbox(p, 'sb1', { ready: false })], containers: [container(p, 'c1', 'sb1', 'web')] }),
    times: STEP_TIMES,
  },
  {
    name: 'a container that failed its liveness probe is stopped (StopContainer)',
    kind: 'StopContainer',
    pod: web,
    setup: (p) => [
      manifestRead(p),
      synced,
      {
        type: 'RuntimeRelisted',
        startedAt: 0,
        sandboxes: [sandbox(p, 'sb1')],
        containers: [container(p, 'c1', 'sb1', 'web')],
      },
      {
        type: 'ProbeChanged',
        podUid: p.uid,
        containerId: 'c1',
        containerName: 'web',
        probe: 'liveness',
        ok: false,
        message: 'x',
      },
    ],
    rt: (p) => ({ sandboxes: [sandbox(p, 'sb1')], containers: [container(p, 'c1', 'sb1', 'web')] }),
    times: STEP_TIMES,
  },
  {
    name: 'a pod whose manifest is gone is removed (KillPod, removed)',
    kind: 'KillPod',
    pod: web,
    setup: () => [synced],
    rt: (p) => ({ sandboxes: [sandbox(p, 'sb1')], containers: [container(p, 'c1', 'sb1', 'web')] }),
    times: STEP_TIMES,
  },
  {
    name: 'a sandbox is created (CreateSandbox)',
    kind: 'CreateSandbox',
    pod: web,
    setup: (p) => [manifestRead(p), synced],
    rt: () => ({ sandboxes: [], containers: [] }),
    times: STEP_TIMES,
  },
  {
    name: 'a container is started (StartContainer, on the longer start back-off)',
    kind: 'StartContainer',
    pod: web,
    setup: (p) => [manifestRead(p), synced],
    rt: (p) => ({ sandboxes: [sandbox(p, 'sb1')], containers: [] }),
    times: [0, 10],
  },
];

describe('failed steps: back-off for every retried action', () => {
  for (const c of cases) {
    it(`${c.name}: retried on a growing back-off, not on the events in between`, () => {
      const node = new Node();
      const first = c.setup(c.pod).flatMap((body) => node.feed(body, 0));
      const times = node.failEverything(c.rt(c.pod), 0, 16_000, first);
      assert.deepEqual(times, c.times, `${c.kind} went out at ${times.join(', ')} s`);
      const kinds = new Set(node.issued.map(([, a]) => a.kind));
      assert.deepEqual([...kinds], [c.kind]);
    });
  }

  it('each kind of step has its own failure record', () => {
    const keys = new Set<string>();
    for (const c of cases) {
      const node = new Node();
      const first = c.setup(c.pod).flatMap((body) => node.feed(body, 0));
      node.failEverything(c.rt(c.pod), 0, 100, first);
      keys.add(failureKey(node.issued[0]![1]));
    }
    assert.equal(keys.size, cases.length, [...keys].join(' '));
  });
});

describe('issue 22, defect 3: a created container that cannot be removed yet', () => {
  const rt = {
    sandboxes: [sandbox(web, 'sb1')],
    containers: [container(web, 'c1', 'sb1', 'web', { state: 'created' })],
  };

  it('its removal is retried on a growing back-off, and the pod removal that follows goes out at once', () => {
    const node = new Node();
    for (const body of [manifestRead(web), synced]) node.feed(body, 0);
    // 20 s of a busy node: 200 relists, each answered by the diff; the removal fails every time.
    const times = node.failEverything(rt, 0, 20_000);
    assert.deepEqual(times, [0, 1, 3, 7, 15], 'five calls in 20 s, not one per event');
    const failure = node.state.failures.get(stepKey.removeCreated(web.uid, 'web'));
    assert.equal(failure?.count, 5);
    assert.equal(failure?.message, STARTING);
    assert.equal(node.state.failures.has(stepKey.kill(web.uid)), false, 'nothing counted against the pod kill');

    // The manifest is deleted at 20 s: the pod goes in that very step, despite the earlier failures.
    const actions = node.feed({ type: 'ManifestGone', source: 'file', origin: web.origin }, 20_000);
    assert.equal(actions.length, 1);
    const kill = actions[0]!;
    assert.ok(kill.kind === 'KillPod' && kill.reason === 'removed' && kill.remove, JSON.stringify(kill));
    assert.deepEqual(
      kill.containers.map((c) => c.id),
      ['c1'],
    );

    // Gone: its failure records go with it.
    node.feed(
      { type: 'ActionSucceeded', action: kill, outcome: { removedContainerIds: ['c1'], removedSandboxIds: ['sb1'] } },
      20_500,
    );
    assert.deepEqual(
      [...node.state.failures.keys()].filter((k) => k.startsWith(web.uid)),
      [],
    );
  });

  it("a pod kill's own failures still hold back its retry", () => {
    const node = new Node();
    node.feed(synced, 0);
    const times = node.failEverything(
      { sandboxes: [sandbox(web, 'sb1')], containers: [container(web, 'c1', 'sb1', 'web')] },
      0,
      4_000,
    );
    assert.deepEqual(times, [0, 1, 3]);
    assert.equal(node.state.failures.get(stepKey.kill(web.uid))?.count, 3);
  });

  it("a success clears only its own step; a blocked step does not hold back the pod's other containers", () => {
    const pod = staticPod('two', undefined, { containers: ['a', 'b'] });
    const node = new Node();
    for (const body of [manifestRead(pod), synced]) node.feed(body, 0);
    const sb = sandbox(pod, 'sb1');
    const a = container(pod, 'ca', 'sb1', 'a', { state: 'created' });
    const b = container(pod, 'cb', 'sb1', 'b');
    node.feed({ type: 'RuntimeRelisted', startedAt: 0, sandboxes: [sb], containers: [a, b] }, 0);
    const [removeA] = node.issued.map(([, x]) => x);
    assert.ok(removeA?.kind === 'RemoveContainers' && removeA.reason === 'created');
    node.feed(
      {
        type: 'ProbeChanged',
        podUid: pod.uid,
        containerId: 'cb',
        containerName: 'b',
        probe: 'liveness',
        ok: false,
        message: 'x',
      },
      0,
    );
    // a's removal fails: while it waits, b's probe stop goes out.
    const next = node.feed({ type: 'ActionFailed', action: removeA, reason: 'RuntimeError', message: STARTING }, 100);
    assert.deepEqual(
      next.map((x) => x.kind),
      ['StopContainer'],
    );
    node.feed({ type: 'ActionSucceeded', action: next[0]!, outcome: {} }, 200);
    assert.equal(node.state.failures.get(stepKey.removeCreated(pod.uid, 'a'))?.count, 1, 'not cleared by the stop');
  });
});

describe('a container start that failed because its sandbox was being stopped under it', () => {
  // `crictl stopp` from outside: the container's exit reaches the agent before the sandbox's stop,
  // so its restart goes to the dying sandbox and fails there. The failure must not hold the
  // container back in the sandbox that replaces it (it did for the 10 s of START_RETRY).
  function stoppedUnderIt(): { node: Node; restart: Action } {
    const node = new Node();
    for (const body of [manifestRead(web), synced]) node.feed(body, 0);
    node.feed(relist([sandbox(web, 'sb1')], [container(web, 'c1', 'sb1', 'web')]), 10);
    const [restart] = node.feed({ type: 'ContainerExited', containerId: 'c1', exitCode: 0, finishedAt: 1_000 }, 1_000);
    assert.ok(restart?.kind === 'StartContainer' && restart.sandboxId === 'sb1', JSON.stringify(restart));
    node.feed(
      { type: 'ActionFailed', action: restart, reason: 'RunContainerError', message: 'sandbox not running' },
      1_050,
    );
    return { node, restart };
  }

  it('the new sandbox starts the container with it, at once', () => {
    const { node } = stoppedUnderIt();
    const dead = relist(
      [sandbox(web, 'sb1', { ready: false })],
      [container(web, 'c1', 'sb1', 'web', { state: 'exited', exitCode: 0, finishedAt: 1_000 })],
      1_100,
    );
    const [create] = node.feed(dead, 1_100);
    assert.ok(create?.kind === 'CreateSandbox', JSON.stringify(create));
    assert.deepEqual(create.first, { containerName: 'web', init: false, attempt: 1 });
  });

  it('in the same sandbox, still standing, the retry waits its back-off', () => {
    const { node } = stoppedUnderIt();
    const standing = (at: number) =>
      relist(
        [sandbox(web, 'sb1')],
        [container(web, 'c1', 'sb1', 'web', { state: 'exited', exitCode: 0, finishedAt: 1_000 })],
        at,
      );
    assert.deepEqual(node.feed(standing(1_100), 1_100), []);
    const retry = node.feed(standing(11_050), 11_050);
    assert.deepEqual(
      retry.map((a) => a.kind === 'StartContainer' && a.sandboxId),
      ['sb1'],
    );
  });
});
