// What a safety-net relist counts as missed by the events: only what neither an event nor the
// agent's own action results told the state.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { missedChanges } from '../../src/core/missed-changes.js';
import type { EventBody } from '../../src/core/model/events.js';
import { initialState, type State } from '../../src/core/model/state.js';
import { step } from '../../src/core/reconcile.js';
import { container, manifestRead, relist, sandbox, stepAll, staticPod } from '../support/fixtures.js';

const web = staticPod('web');
const sb1 = sandbox(web, 'sb1');
const c1 = container(web, 'c1', 'sb1', 'web');

/** A node that runs web (sb1, c1), as relisted at 0. */
const running = (): State => stepAll(initialState(['file']), [manifestRead(web), relist([sb1], [c1])], 0).state;

const safetyNet = (
  sandboxes = [sb1],
  containers = [c1],
  startedAt = 1000,
): Extract<EventBody, { type: 'RuntimeRelisted' }> => ({
  ...(relist(sandboxes, containers, startedAt) as Extract<EventBody, { type: 'RuntimeRelisted' }>),
  safetyNet: true,
});

describe('missed changes', () => {
  it('a container exit no event told: counted, with what changed', () => {
    const exited = { ...c1, state: 'exited' as const, exitCode: 137, finishedAt: 900, observedAt: 1000 };
    assert.deepEqual(missedChanges(running().runtime, safetyNet([sb1], [exited])), [
      { kind: 'container_state', id: 'c1', podUid: web.uid, container: 'web', from: 'running', to: 'exited' },
    ]);
  });

  it('the same exit, told by the event stream first: nothing missed', () => {
    const told = stepAll(
      running(),
      [{ type: 'ContainerExited', containerId: 'c1', exitCode: 137, finishedAt: 900 }],
      950,
    );
    const exited = { ...c1, state: 'exited' as const, exitCode: 137, finishedAt: 900 };
    assert.deepEqual(missedChanges(told.state.runtime, safetyNet([sb1], [exited])), []);
  });

  it('a sandbox no longer ready, a container gone, one added: each counted by kind', () => {
    const stranger = container(web, 'c9', 'sb1', 'web', { attempt: 1 });
    const kinds = missedChanges(running().runtime, safetyNet([{ ...sb1, ready: false }], [stranger])).map((m) => [
      m.kind,
      m.id,
    ]);
    assert.deepEqual(kinds, [
      ['sandbox', 'sb1'],
      ['added', 'c9'],
      ['gone', 'c1'],
    ]);
  });

  it("the agent's own changes, learned from its action results, are not missed", () => {
    // The agent starts the pod: its CreateSandbox result tells sb1 and c1, running.
    const start = stepAll(initialState(['file']), [manifestRead(web), relist([], [])], 0);
    const create = start.actions.find((a) => a.kind === 'CreateSandbox')!;
    const started = step(start.state, {
      type: 'ActionSucceeded',
      action: create,
      outcome: { sandboxes: [{ ...sb1, observedAt: 10 }], containers: [{ ...c1, observedAt: 10 }] },
      seq: 3,
      at: 10,
    }).state;
    assert.deepEqual(missedChanges(started.runtime, safetyNet()), []);
    // It removes them: the result says so, and a relist without them is no news.
    const removed = step(started, {
      type: 'ActionSucceeded',
      action: create,
      outcome: { removedSandboxIds: ['sb1'], removedContainerIds: ['c1'] },
      seq: 4,
      at: 20,
    }).state;
    assert.deepEqual(missedChanges(removed.runtime, safetyNet([], [])), []);
  });

  it('a fact learned after the relist began is not gone; facts that fill in (times, IP) are not changes', () => {
    const later = stepAll(running(), [], 0).state;
    const fresh = container(web, 'c2', 'sb1', 'other', { observedAt: 2000 });
    const withFresh = {
      ...later.runtime,
      containers: new Map([...later.runtime.containers, ['c2', fresh]]),
    };
    assert.deepEqual(missedChanges(withFresh, safetyNet([{ ...sb1, ip: '10.0.0.9' }], [{ ...c1, startedAt: 5 }])), []);
  });

  it('only a safety-net relist counts, and only once the state has a first listing', () => {
    const exited = { ...c1, state: 'exited' as const };
    assert.deepEqual(missedChanges(running().runtime, { ...safetyNet([sb1], [exited]), safetyNet: undefined }), []);
    assert.deepEqual(missedChanges(initialState(['file']).runtime, safetyNet()), []);
  });

  it('the step reports them, and folds the relist as ever', () => {
    const exited = { ...c1, state: 'exited' as const, exitCode: 1, finishedAt: 900 };
    const r = step(running(), { ...safetyNet([sb1], [exited]), seq: 9, at: 1000 });
    assert.deepEqual(
      r.missed?.map((m) => m.kind),
      ['container_state'],
    );
    assert.equal(r.state.runtime.containers.get('c1')?.state, 'exited');
    assert.equal(step(running(), { ...relist([sb1], [c1], 1000), seq: 9, at: 1000 }).missed, undefined);
  });
});
