// The relist's pace in virtual time: fast without a working event stream, a slow safety net while
// it is up, fast again at once when it breaks, a relist on each change of its health, and events
// relisting (with their follow-ups) whatever the pace. Then the stream's health as it comes out of
// runtimeContainerEvents: up once a subscription holds, down when it breaks or ends, re-subscribed.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { NEVER, type Observable, takeUntil, timer } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import type { CriRuntime } from '../../src/cri-api/runtime-service.js';
import { relistTicks, type RelistReason } from '../../src/streams/relist-ticks.js';
import { runtimeContainerEvents, STREAM_SETTLE_MS, type RuntimeSignal } from '../../src/streams/runtime-events.js';

const newScheduler = () => new TestScheduler((actual, expected) => assert.deepEqual(actual, expected));

/** What `source` emits until `untilMs`, as [virtual ms, value]. */
function record<T>(scheduler: TestScheduler, untilMs: number, make: () => Observable<T>): [number, T][] {
  const seen: [number, T][] = [];
  scheduler.run(({ flush }) => {
    make()
      .pipe(takeUntil(timer(untilMs, scheduler)))
      .subscribe((v) => seen.push([scheduler.now(), v]));
    flush();
  });
  return seen;
}

const PERIODS = { fastMs: 10, safetyNetMs: 100 };

describe('relist policy (virtual time)', () => {
  it('without an event stream: a relist every fast period, from the start', () => {
    const s = newScheduler();
    const ticks = record(s, 35, () => relistTicks(PERIODS, s, NEVER, NEVER));
    assert.deepEqual(ticks, [
      [0, 'poll'],
      [10, 'poll'],
      [20, 'poll'],
      [30, 'poll'],
    ]);
  });

  it('stream up → a relist at once (events may have been lost before), then only the slow safety net', () => {
    const s = newScheduler();
    const ticks = record(s, 300, () =>
      relistTicks(PERIODS, s, NEVER, s.createColdObservable<boolean>('25ms u', { u: true })),
    );
    assert.deepEqual(ticks, [
      [0, 'poll'],
      [10, 'poll'],
      [20, 'poll'],
      [25, 'stream-up'],
      [125, 'safety-net'],
      [225, 'safety-net'],
    ]);
  });

  it('stream breaks → a relist at once and the fast period again; reconnects → a relist at once, slow again', () => {
    const s = newScheduler();
    const health = () => s.createColdObservable<boolean>('5ms u 199ms d 29ms u', { u: true, d: false });
    const ticks = record(s, 400, () => relistTicks(PERIODS, s, NEVER, health()));
    assert.deepEqual(ticks, [
      [0, 'poll'],
      [5, 'stream-up'],
      [105, 'safety-net'],
      [205, 'stream-down'],
      [215, 'poll'],
      [225, 'poll'],
      [235, 'stream-up'],
      [335, 'safety-net'],
    ]);
  });

  it('a health report that does not change it restarts nothing', () => {
    const s = newScheduler();
    const health = () => s.createColdObservable<boolean>('5ms u 49ms u 49ms u', { u: true });
    const ticks = record(s, 250, () => relistTicks(PERIODS, s, NEVER, health()));
    assert.deepEqual(ticks, [
      [0, 'poll'],
      [5, 'stream-up'],
      [105, 'safety-net'],
      [205, 'safety-net'],
    ]);
  });

  it('while the stream is up an event relists at once, with its follow-ups: reaction time does not depend on the pace', () => {
    const s = newScheduler();
    const ticks = record(s, 250, () =>
      relistTicks(PERIODS, s, s.createColdObservable('40ms e'), s.createColdObservable<boolean>('5ms u', { u: true })),
    );
    assert.deepEqual(ticks, [
      [0, 'poll'],
      [5, 'stream-up'],
      [40, 'event'],
      [50, 'event'],
      [70, 'event'],
      [105, 'safety-net'],
      [140, 'event'],
      [205, 'safety-net'],
    ] satisfies [number, RelistReason][]);
  });
});

describe('event stream health (virtual time)', () => {
  /** A CRI whose GetContainerEvents is `stream()`, fresh for each subscription. */
  const criWith = (stream: () => Observable<unknown>) => ({ containerEvents: stream }) as unknown as CriRuntime;

  it('up once a subscription has held; an event passes; a break is down, then re-subscribed with back-off and up again', () => {
    const s = newScheduler();
    const signals = record(s, 9_500, () =>
      runtimeContainerEvents(
        criWith(() =>
          s.createColdObservable(
            '2000ms e 999ms #',
            { e: { eventType: 'CONTAINER_DELETED_EVENT', containerId: 'c1' } },
            { code: 'UNAVAILABLE' },
          ),
        ),
        'unix:///nowhere',
        () => undefined,
        s,
      ),
    );
    assert.deepEqual(signals, [
      [STREAM_SETTLE_MS, { stream: 'up' }],
      [2000, { deleted: 'c1' }],
      [3000, { stream: 'down' }],
      // Re-subscribed after 1 s (the back-off's first step), up once it holds.
      [4000 + STREAM_SETTLE_MS, { stream: 'up' }],
      [6000, { deleted: 'c1' }],
      [7000, { stream: 'down' }],
      [8000 + STREAM_SETTLE_MS, { stream: 'up' }],
    ] satisfies [number, RuntimeSignal][]);
  });

  it('a stream that ends is a break too (down, then re-subscribed), not the end of the events', () => {
    const s = newScheduler();
    const signals = record(s, 4_500, () =>
      runtimeContainerEvents(
        criWith(() => s.createColdObservable('1500ms |')),
        'unix:///nowhere',
        () => undefined,
        s,
      ),
    );
    assert.deepEqual(signals, [
      [1000, { stream: 'up' }],
      [1500, { stream: 'down' }],
      [3500, { stream: 'up' }],
      [4000, { stream: 'down' }],
    ]);
  });

  it('a subscription refused at once is never up: the relist stays fast', () => {
    const s = newScheduler();
    const signals = record(s, 10_000, () =>
      runtimeContainerEvents(
        criWith(() => s.createColdObservable('#', {}, { code: 'UNAVAILABLE' })),
        'unix:///nowhere',
        () => undefined,
        s,
      ),
    );
    assert.deepEqual(signals, []);
  });
});
