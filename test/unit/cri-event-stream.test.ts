// The CRI event stream as the agent's signal source, on virtual time: a stopped event's container
// statuses give the exit's facts; the source is reported once a stream is up; a stream that
// fails or ends is subscribed again with doubling waits, from the first again after one was up.
// (The same against a real containerd 2.x: test/integration/cri-events.test.ts.)
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { VirtualTimeScheduler, type Subscription } from 'rxjs';
import { CriError, type ContainerEventStream, type CriRuntime } from '../../src/cri-api/runtime-service.js';
import type { ContainerEvent, ContainerStatus } from '../../src/cri-api/messages.js';
import {
  STREAM_SETTLE_MS,
  runtimeContainerEvents,
  criEventAsksForLook,
  runtimeEvents,
  signalOfCriEvent,
  type RuntimeSignal,
} from '../../src/streams/runtime-events.js';

function status(id: string, state: ContainerStatus['state'], exitCode = 0, finishedAt = '0'): ContainerStatus {
  return {
    id,
    metadata: { name: 'main', attempt: 0 },
    state,
    createdAt: '1',
    startedAt: '2',
    finishedAt,
    exitCode,
    image: '',
    imageRef: '',
    reason: '',
    message: '',
    labels: {},
    annotations: {},
    logPath: '',
  };
}

function event(
  containerId: string,
  eventType: ContainerEvent['eventType'],
  containersStatuses: ContainerStatus[] = [],
): ContainerEvent {
  return { containerId, eventType, createdAt: '5', podSandboxId: 'sb', containersStatuses };
}

describe('CRI container events as signals', () => {
  it("a stopped container's exit code and time come from the statuses the event carries", () => {
    const stopped = event('c1', 'CONTAINER_STOPPED_EVENT', [
      status('c0', 'CONTAINER_RUNNING'),
      status('c1', 'CONTAINER_EXITED', 137, '1700000000123456789'),
    ]);
    assert.deepEqual(signalOfCriEvent(stopped), {
      exit: { containerId: 'c1', exitCode: 137, finishedAt: 1_700_000_000_123 },
    });
  });

  it("a deletion gives the removed id (so the agent's own removals can be told apart)", () => {
    assert.deepEqual(signalOfCriEvent(event('c1', 'CONTAINER_DELETED_EVENT')), { deleted: 'c1' });
  });

  it('a sandbox stop and a stop without the exited status give only the stopped id', () => {
    for (const e of [
      event('sb', 'CONTAINER_STOPPED_EVENT', [status('c1', 'CONTAINER_EXITED', 1)]),
      event('sb', 'CONTAINER_STOPPED_EVENT'),
      // Stopped, but the status read after it still says running: no exit facts to trust.
      event('sb', 'CONTAINER_STOPPED_EVENT', [status('sb', 'CONTAINER_RUNNING')]),
    ])
      assert.deepEqual(signalOfCriEvent(e), { stopped: 'sb' });
  });

  it('a creation and a start are only "look again"', () => {
    for (const e of [
      event('c1', 'CONTAINER_CREATED_EVENT', [status('c1', 'CONTAINER_CREATED')]),
      event('c1', 'CONTAINER_STARTED_EVENT', [status('c1', 'CONTAINER_RUNNING')]),
    ])
      assert.deepEqual(signalOfCriEvent(e), {}, e.eventType);
  });
});

/** One subscription's script, on the virtual clock: events at times, then an end or an error. */
interface Attempt {
  readonly events?: readonly { readonly at: number; readonly event: ContainerEvent }[];
  readonly end?: { readonly at: number; readonly error?: CriError };
}

/** A CriRuntime whose containerEvents() plays the scripts in turn, one per subscription. */
function scriptedRuntime(scheduler: VirtualTimeScheduler, attempts: Attempt[]): { cri: CriRuntime; opened: number[] } {
  const opened: number[] = [];
  const containerEvents = (): ContainerEventStream => ({
    subscribe(handlers) {
      opened.push(scheduler.now());
      const attempt = attempts.shift() ?? {};
      const subs: Subscription[] = [];
      for (const { at, event: e } of attempt.events ?? []) subs.push(scheduler.schedule(() => handlers.next(e), at));
      const end = attempt.end;
      if (end)
        subs.push(scheduler.schedule(() => (end.error ? handlers.error(end.error) : handlers.complete()), end.at));
      return { unsubscribe: () => subs.forEach((s) => s.unsubscribe()) };
    },
  });
  return { cri: { containerEvents } as unknown as CriRuntime, opened };
}

describe('CRI event stream subscription', () => {
  const unavailable = new CriError('GetContainerEvents', 'UNAVAILABLE', 'connection refused');

  it('reports the CRI source once up, and subscribes again with doubling waits that start over after a stream was up', () => {
    const scheduler = new VirtualTimeScheduler();
    const exited = event('c1', 'CONTAINER_STOPPED_EVENT', [status('c1', 'CONTAINER_EXITED', 2)]);
    const { cri, opened } = scriptedRuntime(scheduler, [
      { end: { at: 0, error: unavailable } }, // runtime down
      { end: { at: 0, error: unavailable } },
      { end: { at: 0, error: unavailable } },
      { events: [{ at: 100, event: exited }], end: { at: 5000, error: unavailable } }, // up, then broken
      { end: { at: 3000 } }, // up (settled), then ended by the runtime
      {}, // up and stays up
    ]);
    const chosen: [number, string][] = [];
    const breaks: number[] = [];
    const signals: RuntimeSignal[] = [];
    const sub = runtimeContainerEvents(
      cri,
      'unix:///nowhere.sock',
      (kind) => chosen.push([scheduler.now(), kind]),
      scheduler,
      (_why, retryInMs) => breaks.push(retryInMs),
    )
      .pipe(runtimeEvents)
      .subscribe({ next: (s) => signals.push(s), error: (err) => assert.fail(`the signals failed: ${err}`) });
    scheduler.flush();
    sub.unsubscribe();

    assert.deepEqual(
      breaks,
      [1000, 2000, 4000, 1000, 1000],
      'waits: doubling while down, from 1 s after a stream was up',
    );
    assert.deepEqual(opened, [0, 1000, 3000, 7000, 13_000, 17_000]);
    assert.deepEqual(chosen, [
      [7100, 'cri'], // its first event shows it up
      [13_000 + STREAM_SETTLE_MS, 'cri'], // open without an error for the settle time
      [17_000 + STREAM_SETTLE_MS, 'cri'],
    ]);
    assert.deepEqual(signals, [{ exit: { containerId: 'c1', exitCode: 2 } }]);
  });

  it("creations and starts (the agent's own doing, or seen by the relist) give no signal; stops and removals do", () => {
    const scheduler = new VirtualTimeScheduler();
    const created = event('c1', 'CONTAINER_CREATED_EVENT', [status('c1', 'CONTAINER_CREATED')]);
    const started = event('c1', 'CONTAINER_STARTED_EVENT', [status('c1', 'CONTAINER_RUNNING')]);
    const stopped = event('c1', 'CONTAINER_STOPPED_EVENT', [status('c1', 'CONTAINER_EXITED', 3)]);
    const deleted = event('c1', 'CONTAINER_DELETED_EVENT');
    assert.deepEqual([created, started, stopped, deleted].map(criEventAsksForLook), [false, false, true, true]);
    const { cri } = scriptedRuntime(scheduler, [
      {
        events: [
          { at: 10, event: created },
          { at: 20, event: started },
          { at: 30, event: created },
          { at: 40, event: started },
          { at: 50, event: stopped },
          { at: 60, event: deleted },
        ],
      },
    ]);
    const signals: RuntimeSignal[] = [];
    const sub = runtimeContainerEvents(cri, 'unix:///nowhere.sock', () => undefined, scheduler)
      .pipe(runtimeEvents)
      .subscribe((s) => signals.push(s));
    scheduler.flush();
    sub.unsubscribe();
    assert.deepEqual(signals, [{ exit: { containerId: 'c1', exitCode: 3 } }, { deleted: 'c1' }]);
  });

  it('a runtime that refuses at once is never reported as streaming', () => {
    const scheduler = new VirtualTimeScheduler();
    const { cri } = scriptedRuntime(scheduler, [
      { end: { at: 0, error: unavailable } },
      { end: { at: STREAM_SETTLE_MS - 1, error: unavailable } },
      { end: { at: 0, error: unavailable } },
    ]);
    const chosen: string[] = [];
    let unsubscribe = (): void => undefined;
    const breaks: number[] = [];
    const sub = runtimeContainerEvents(
      cri,
      'unix:///nowhere.sock',
      (kind) => chosen.push(kind),
      scheduler,
      (_why, ms) => {
        breaks.push(ms);
        if (breaks.length === 3) unsubscribe(); // stop before the fourth attempt, which would stay open
      },
    ).subscribe();
    unsubscribe = () => sub.unsubscribe();
    scheduler.flush();
    assert.deepEqual(chosen, []);
    assert.deepEqual(breaks, [1000, 2000, 4000]);
  });
});
