// The known failures of runtime event streams, and why none of them lets older facts overwrite
// newer ones or gives a container name two live containers: stale and out-of-order relists, a
// duplicate or late exit, an exit of an attempt already replaced, and a restart racing a relist.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type Observable, delay, map, merge, of, timer } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import type { Action } from '../../src/core/model/actions.js';
import type { EventBody } from '../../src/core/model/events.js';
import type { ContainerObservation } from '../../src/core/model/observations.js';
import { initialState, type State } from '../../src/core/model/state.js';
import { reconcileLoop, type LoopStep } from '../../src/loop.js';
import { container, manifestRead, relist, sandbox, staticPod, stepAll } from '../support/fixtures.js';

const web = staticPod('web');
const sb1 = sandbox(web, 'sb1');
const c0 = container(web, 'c0', 'sb1', 'web', { startedAt: 50 });
const exitOf = (id: string, finishedAt: number): EventBody => ({
  type: 'ContainerExited',
  containerId: id,
  exitCode: 137,
  finishedAt,
});

/** The node after its first relist at 0: web running as c0. */
const running = (): State => stepAll(initialState(['file']), [manifestRead(web), relist([sb1], [c0])], 0).state;

/** The containers of `name` neither exited nor unknown. */
const live = (s: State, name: string) =>
  [...s.runtime.containers.values()].filter((c) => c.name === name && (c.state === 'running' || c.state === 'created'));

describe('event stream guards', () => {
  it('a relist that began before one already folded does not bring back what the newer one saw gone', () => {
    const newer = stepAll(running(), [relist([sb1], [], 200)], 210).state;
    assert.equal(newer.runtime.containers.has('c0'), false, 'gone behind our back, as of 200');
    const stale = stepAll(newer, [relist([sb1], [c0], 100)], 220).state;
    assert.equal(stale.runtime.containers.has('c0'), false, 'the listing of 100 is older than what the state holds');
    assert.equal(stale.runtime.listedAt, 200);
  });

  it('an exit older than the running container it names is stale: the container stays running', () => {
    const s = stepAll(running(), [exitOf('c0', 10)], 100).state;
    assert.equal(s.runtime.containers.get('c0')?.state, 'running');
  });

  it('a duplicate exit, and a relist from before the exit, do not undo it or change its facts', () => {
    const exited = stepAll(running(), [exitOf('c0', 90)], 100).state;
    const again = stepAll(exited, [exitOf('c0', 95), relist([sb1], [c0], 80)], 110).state;
    const c = again.runtime.containers.get('c0');
    assert.deepEqual([c?.state, c?.finishedAt], ['exited', 90]);
  });

  it('a container restarted while exits and relists race: one start, never two live containers for the name', () => {
    // c0 exits (event at 100); the restart (StartContainer) runs 50 ms, creating c1 at once and
    // starting it. Meanwhile: the exit again (a duplicate), a relist begun before the exit, a
    // relist that sees c1 only created, a relist older than that one, and at 300 the old
    // attempt's exit once more.
    const scheduler = new TestScheduler((a, b) => assert.deepEqual(a, b));
    const starts: Action[] = [];
    const steps: LoopStep[] = [];
    const c1 = (over: Partial<ContainerObservation>) =>
      container(web, 'c1', 'sb1', 'web', { attempt: 1, startedAt: 150, ...over });
    const c0exited = { ...c0, state: 'exited' as const, exitCode: 137, finishedAt: 99 };
    scheduler.run(({ flush }) => {
      const effects = (actions$: Observable<Action>) =>
        actions$.pipe(
          map((action) => {
            if (action.kind === 'StartContainer') starts.push(action);
            return action;
          }),
          delay(50, scheduler),
          map((action): EventBody => ({
            type: 'ActionSucceeded',
            action,
            outcome:
              action.kind === 'StartContainer'
                ? { containers: [c1({ state: 'running', observedAt: scheduler.now() })] }
                : {},
          })),
        );
      const at = (ms: number, body: EventBody) => timer(ms, scheduler).pipe(map(() => body));
      const inputs = merge(
        of(manifestRead(web), relist([sb1], [c0], 0)),
        at(100, exitOf('c0', 99)),
        at(110, exitOf('c0', 99)),
        at(120, relist([sb1], [c0], 90)),
        at(130, relist([sb1], [c0exited, c1({ state: 'created', startedAt: undefined, observedAt: 130 })], 130)),
        at(140, relist([sb1], [c0], 60)),
        at(200, relist([sb1], [c0exited, c1({ state: 'running', observedAt: 200 })], 200)),
        at(300, exitOf('c0', 99)),
        at(310, relist([sb1], [c0exited, c1({ state: 'running', observedAt: 310 })], 310)),
      );
      reconcileLoop({
        initial: initialState(['file']),
        inputs,
        effects,
        scheduler,
        stop: timer(1_000, scheduler),
      }).subscribe((s) => steps.push(s));
      flush();
    });
    assert.deepEqual(
      starts.map((a) => (a.kind === 'StartContainer' ? [a.containerName, a.attempt] : [])),
      [['web', 1]],
      'one restart, attempt 1',
    );
    for (const s of steps)
      assert.ok(
        live(s.state, 'web').length <= 1,
        `at ${s.event.at} (${s.event.type}) live: ${live(s.state, 'web').map((c) => c.id)}`,
      );
    const last = steps[steps.length - 1]!.state;
    assert.deepEqual(
      live(last, 'web').map((c) => [c.id, c.state]),
      [['c1', 'running']],
    );
    assert.equal(last.runtime.containers.get('c0')?.state, 'exited');
    assert.deepEqual(
      steps.flatMap((s) => s.actions).filter((a) => a.kind === 'KillPod' || a.kind === 'StopContainer'),
      [],
      'nothing live is stopped',
    );
  });
});
