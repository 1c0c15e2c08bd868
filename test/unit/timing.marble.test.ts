// Timing in virtual time (rxjs TestScheduler): back-off, debouncing, polling, coalescing, relist
// follow-ups, and the whole loop's per-pod serialisation.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Observable, map, merge, of, takeUntil, timer } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import type { Action } from '../../src/core/model/actions.js';
import type { EventBody } from '../../src/core/model/events.js';
import { reconcileLoop } from '../../src/loop.js';
import type { ContainerObservation } from '../../src/core/model/observations.js';
import { initialState } from '../../src/core/model/state.js';
import { coalesceMap } from '../../src/streams/coalesce.js';
import { followUps } from '../../src/streams/follow-ups.js';
import { scanTriggers } from '../../src/streams/manifest-dir.js';
import { pollEvery } from '../../src/streams/manifest-url.js';
import { container, manifestRead, relist, sandbox, staticPod } from '../support/fixtures.js';
import type { StaticPod } from '../../src/core/model/static-pod.js';

const newScheduler = () => new TestScheduler((actual, expected) => assert.deepEqual(actual, expected));

/** Effects of a runtime where every container of `pod` dies the moment it starts; each start's
 * time goes into `starts`. */
function crashingRuntime(scheduler: TestScheduler, pod: StaticPod, starts: number[]) {
  return (actions$: Observable<Action>) =>
    actions$.pipe(
      map((action): EventBody => {
        const now = scheduler.now();
        if (action.kind === 'CreateSandbox') {
          return {
            type: 'ActionSucceeded',
            action,
            outcome: { sandboxes: [sandbox(pod, 'sb1', { observedAt: now })] },
          };
        }
        if (action.kind !== 'StartContainer') return { type: 'ActionSucceeded', action, outcome: {} };
        starts.push(now);
        const c: ContainerObservation = {
          id: `c${action.attempt}`,
          sandboxId: 'sb1',
          podUid: pod.uid,
          name: action.containerName,
          attempt: action.attempt,
          state: 'exited',
          exitCode: 1,
          image: 'i',
          createdAt: now,
          startedAt: now,
          finishedAt: now,
          observedAt: now,
        };
        return { type: 'ActionSucceeded', action, outcome: { containers: [c] } };
      }),
    );
}

describe('timing (virtual time)', () => {
  it('CrashLoopBackOff: first restart at once, then 10 s doubling to 300 s', () => {
    const scheduler = newScheduler();
    const web = staticPod('web');
    const starts: number[] = [];
    scheduler.run(({ cold, flush }) => {
      const effects = crashingRuntime(scheduler, web, starts);
      const inputs = cold<EventBody>('(ab)', { a: manifestRead(web), b: relist([], []) });
      const stop = cold('1000s x');
      reconcileLoop({ initial: initialState(['file']), inputs, effects, scheduler, stop }).subscribe();
      flush();
    });
    assert.deepEqual(
      starts.map((t) => t / 1000),
      [0, 0, 10, 30, 70, 150, 310, 610, 910],
    );
  });

  it('a step that keeps failing is retried at 1 s, 2 s, 4 s … apart however many events come; the pod removal goes at once', () => {
    // Issue 22, defect 3: a created container containerd is still starting cannot be removed yet.
    const scheduler = newScheduler();
    const web = staticPod('web');
    const view = {
      sandboxes: [sandbox(web, 'sb1')],
      containers: [container(web, 'c1', 'sb1', 'web', { state: 'created' })],
    };
    const removals: number[] = [];
    const kills: number[] = [];
    scheduler.run(({ flush }) => {
      const effects = (actions$: Observable<Action>) =>
        actions$.pipe(
          map((action): EventBody => {
            if (action.kind === 'KillPod') {
              kills.push(scheduler.now());
              return {
                type: 'ActionSucceeded',
                action,
                outcome: { removedContainerIds: ['c1'], removedSandboxIds: ['sb1'] },
              };
            }
            removals.push(scheduler.now());
            return { type: 'ActionFailed', action, reason: 'RuntimeError', message: 'container is in starting state' };
          }),
        );
      // A busy node: a relist every 100 ms; the manifest is deleted at 40 s.
      const inputs = merge(
        of<EventBody[]>(manifestRead(web), { type: 'SourceSynced', source: 'file', sourceId: '/etc/manifests' }),
        timer(0, 100, scheduler).pipe(
          map((): EventBody => ({ type: 'RuntimeRelisted', startedAt: scheduler.now(), ...view })),
          takeUntil(timer(40_000, scheduler)),
        ),
        timer(40_000, scheduler).pipe(
          map((): EventBody => ({ type: 'ManifestGone', source: 'file', origin: web.origin })),
        ),
      );
      reconcileLoop({
        initial: initialState(['file']),
        inputs,
        effects,
        scheduler,
        stop: timer(60_000, scheduler),
      }).subscribe();
      flush();
    });
    assert.deepEqual(
      removals.map((t) => t / 1000),
      [0, 1, 3, 7, 15, 31],
    );
    assert.deepEqual(kills, [40_000]);
  });

  it('a step that only folds (a scan event with more to come) leaves the back-off wake-up armed', () => {
    const scheduler = newScheduler();
    const web = staticPod('web');
    const other = staticPod('other');
    const starts: number[] = [];
    scheduler.run(({ cold, flush }) => {
      const effects = crashingRuntime(scheduler, web, starts);
      // At 5 s, inside the first 10 s back-off, a scan event that waits for more of its scan.
      const deferred: EventBody = {
        type: 'ManifestInvalid',
        source: 'file',
        origin: other.origin,
        problems: [{ origin: other.origin, message: 'bad' }],
        more: true,
      };
      const inputs = cold<EventBody>('(ab) 4999ms c', { a: manifestRead(web), b: relist([], []), c: deferred });
      reconcileLoop({ initial: initialState(['file']), inputs, effects, scheduler, stop: cold('40s x') }).subscribe();
      flush();
    });
    assert.deepEqual(
      starts.map((t) => t / 1000),
      [0, 0, 10, 30],
    );
  });

  it('a file event scans at once; the rest of its burst shares one scan; the periodic rescan runs anyway', () => {
    const scheduler = newScheduler();
    scheduler.run(({ cold, expectObservable }) => {
      const fileEvents = cold('5ms a 1ms a 1ms a 100ms a', { a: '/m/web.yaml' });
      const triggers = scanTriggers(fileEvents, cold('-'), { checkFrequencyMs: 100, eventThrottleMs: 10 }, scheduler);
      expectObservable(triggers.pipe(map(() => 't')), '^ 250ms !').toBe('t 4ms t 9ms t 84ms t 9ms t 89ms t');
    });
  });

  it('by default a burst of file events costs two scans: one at once, one 5 ms later', () => {
    const scheduler = newScheduler();
    scheduler.run(({ cold, expectObservable }) => {
      const triggers = scanTriggers(
        cold('5ms a 1ms a 1ms a', { a: '/m/web.yaml' }),
        cold('-'),
        { checkFrequencyMs: 100 },
        scheduler,
      );
      expectObservable(triggers.pipe(map(() => 't')), '^ 50ms !').toBe('t 4ms t 4ms t');
    });
  });

  it("a temporary file's events do not hold back the rename that follows: names that cannot be manifests are throttled apart", () => {
    const scheduler = newScheduler();
    scheduler.run(({ cold, expectObservable }) => {
      const fileEvents = cold('5ms d 1ms a 1ms d 1ms a', { d: '/m/.web.yaml.tmp', a: '/m/web.yaml' });
      const triggers = scanTriggers(fileEvents, cold('-'), { checkFrequencyMs: 100, eventThrottleMs: 10 }, scheduler);
      expectObservable(triggers.pipe(map(() => 't')), '^ 50ms !').toBe('t 4ms t 1ms t 7ms t 1ms t');
    });
  });

  it('a file still being written is looked at again after writerRecheckMs', () => {
    const scheduler = newScheduler();
    scheduler.run(({ cold, expectObservable }) => {
      const triggers = scanTriggers(
        cold('-'),
        cold('30ms r'),
        { checkFrequencyMs: 1000, writerRecheckMs: 100 },
        scheduler,
      );
      expectObservable(triggers.pipe(map(() => 't')), '^ 200ms !').toBe('t 129ms t');
    });
  });

  it('the URL is polled every period, and a slow answer is never overlapped by another request', () => {
    const scheduler = newScheduler();
    scheduler.run(({ cold, expectObservable }) => {
      let n = 0;
      // The second fetch (at 10 ms) takes 25 ms: the ticks at 20 and 30 ms are skipped, 40 ms polls again.
      const fetchOnce = () => (++n === 2 ? cold('25ms (r|)', { r: n }) : cold('1ms (r|)', { r: n }));
      expectObservable(pollEvery(10, scheduler, fetchOnce), '^ 45ms !').toBe('1ms a 33ms b 5ms c', {
        a: 1,
        b: 2,
        c: 3,
      });
    });
  });

  it('coalesceMap: triggers during a run collapse into one more run, none is lost', () => {
    newScheduler().run(({ cold, hot, expectObservable }) => {
      const triggers = hot('a 1ms b 1ms c 20ms d');
      let n = 0;
      const work = () => cold('10ms (x|)', { x: ++n });
      expectObservable(triggers.pipe(coalesceMap(work))).toBe('10ms x 9ms y 3ms - 10ms z', { x: 1, y: 2, z: 3 });
    });
  });

  it('followUps: a trigger passes at once; delayed ticks follow the latest trigger of a burst only', () => {
    const scheduler = newScheduler();
    scheduler.run(({ hot, expectObservable }) => {
      const triggers = hot('a 4ms b 200ms c');
      expectObservable(triggers.pipe(followUps([10, 30, 100], scheduler)), '^ 400ms !').toBe(
        'x 4ms x 9ms x 19ms x 69ms x 100ms x 9ms x 19ms x 69ms x',
        { x: undefined },
      );
    });
  });

  it('followUps: a storm of triggers gets three follow-ups in all, not three each', () => {
    const scheduler = newScheduler();
    scheduler.run(({ hot, flush }) => {
      const triggers = hot('a'.repeat(50));
      const ticks: number[] = [];
      triggers.pipe(followUps([10, 30, 100], scheduler)).subscribe(() => ticks.push(scheduler.now()));
      flush();
      assert.equal(ticks.length, 53);
      assert.deepEqual(ticks.slice(50), [59, 79, 149]);
    });
  });

  it('per-pod serialisation: a slow action blocks its pod only; other pods proceed', () => {
    const scheduler = newScheduler();
    const a = staticPod('a');
    const b = staticPod('b');
    const issued: [number, string, string][] = [];
    scheduler.run(({ cold, flush }) => {
      const effects = (actions$: Observable<Action>) =>
        actions$.pipe(
          map((action) => {
            issued.push([scheduler.now(), action.podFullName, action.kind]);
            return action;
          }),
          // Pod a's sandbox takes 50 ms, b's 5 ms: both start at once, each then continues alone.
          (src) =>
            new Observable<EventBody>((sub) =>
              src.subscribe((action) => {
                const delay = action.podFullName.endsWith('/a-node1') ? 50 : 5;
                scheduler.schedule(() => {
                  const sb = sandbox(action.podFullName.endsWith('/a-node1') ? a : b, `sb-${action.podUid}`, {
                    observedAt: scheduler.now(),
                  });
                  sub.next({
                    type: 'ActionSucceeded',
                    action,
                    outcome: action.kind === 'CreateSandbox' ? { sandboxes: [sb] } : {},
                  });
                }, delay);
              }),
            ),
        );
      const inputs = cold<EventBody>('(abc) 2ms d 2ms d', {
        a: manifestRead(a),
        b: manifestRead(b),
        c: relist([], []),
        d: { type: 'TimerFired' },
      });
      reconcileLoop({ initial: initialState(['file']), inputs, effects, scheduler, stop: cold('200ms x') }).subscribe();
      flush();
    });
    assert.deepEqual(issued.slice(0, 3), [
      [0, 'default/a-node1', 'CreateSandbox'],
      [0, 'default/b-node1', 'CreateSandbox'],
      [5, 'default/b-node1', 'StartContainer'],
    ]);
    assert.deepEqual(issued.find((x) => x[1] === 'default/a-node1' && x[2] === 'StartContainer')?.[0], 50);
    // Never two actions in flight for one pod: each pod's actions are at least its delay apart.
    for (const pod of ['default/a-node1', 'default/b-node1']) {
      const times = issued.filter((x) => x[1] === pod).map((x) => x[0]);
      const delay = pod.endsWith('/a-node1') ? 50 : 5;
      times.slice(1).forEach((t, i) => assert.ok(t - times[i]! >= delay, `${pod}: ${times.join(',')}`));
    }
  });
});
