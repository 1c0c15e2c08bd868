// Probes: thresholds and timing in virtual time, and what the core does with the verdicts.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { map } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import type { Action } from '../../src/core/model/actions.js';
import type { EventBody } from '../../src/core/model/events.js';
import { podStatus } from '../../src/core/pod-status.js';
import { probeTargets } from '../../src/core/probes.js';
import type { ProbeSpec, ProbeTarget } from '../../src/core/model/probes.js';
import { step } from '../../src/core/reconcile.js';
import { initialState, type State } from '../../src/core/model/state.js';
import type { ProbePort } from '../../src/runtime/probe-port.js';
import { probeContainer } from '../../src/streams/probers.js';
import { container, manifestRead, relist, sandbox, staticPod } from '../support/fixtures.js';

const spec = (kind: ProbeSpec['kind'], over: Partial<ProbeSpec> = {}): ProbeSpec => ({
  kind,
  handler: { type: 'exec', command: [kind] },
  initialDelayMs: 0,
  periodMs: 10_000,
  timeoutMs: 1_000,
  successThreshold: 1,
  failureThreshold: 3,
  ...over,
});

// Promises resolve outside virtual time; a synchronous port keeps the marbles exact.
function syncPort(results: Record<string, boolean[]>): ProbePort {
  const calls: Record<string, number> = {};
  const answer = (kind: string) => {
    const i = (calls[kind] = (calls[kind] ?? -1) + 1);
    const list = results[kind] ?? [];
    return { success: list[Math.min(i, list.length - 1)] ?? false, message: `#${i}` };
  };
  const unused = async () => ({ success: true, message: '' });
  // A thenable that calls back at once, so the prober sees the answer in the same virtual frame.
  const exec = (_id: string, command: string[]) => ({ then: (f: (v: unknown) => unknown) => f(answer(command[0]!)) });
  return { exec: exec as unknown as ProbePort['exec'], http: unused, tcp: unused };
}

function target(probes: ProbeSpec[], startedAt = 0): ProbeTarget {
  return {
    containerId: 'c1',
    podUid: 'u',
    podFullName: 'default/web-node1',
    containerName: 'web',
    startedAt,
    host: '127.0.0.1',
    probes,
  };
}

describe('probers (virtual time)', () => {
  it('readiness: ready after successThreshold successes, unready after failureThreshold failures', () => {
    const scheduler = new TestScheduler((a, e) => assert.deepEqual(a, e));
    scheduler.run(({ expectObservable }) => {
      const port = syncPort({ readiness: [true, true, false, false, false, true] });
      const events = probeContainer(
        target([spec('readiness', { successThreshold: 2, failureThreshold: 3, periodMs: 10 })]),
        port,
        scheduler,
      );
      // Probes at 0, 10, 20, 30, 40, 50: ready at 10 (2 successes), unready at 40 (3 failures).
      expectObservable(events.pipe(mapOk()), '^ 55ms !').toBe('10ms t 29ms f', { t: true, f: false });
    });
  });

  it('liveness: the verdict fails after failureThreshold periods, after the initial delay, and probing stops', () => {
    const scheduler = new TestScheduler((a, e) => assert.deepEqual(a, e));
    scheduler.run(({ expectObservable }) => {
      const port = syncPort({ liveness: [false] });
      const events = probeContainer(
        target([spec('liveness', { initialDelayMs: 5, periodMs: 10, failureThreshold: 3 })]),
        port,
        scheduler,
      );
      expectObservable(events.pipe(mapOk()), '^ 100ms !').toBe('25ms (f|)', { f: false });
    });
  });

  it('startup gates liveness and readiness', () => {
    const scheduler = new TestScheduler((a, e) => assert.deepEqual(a, e));
    scheduler.run(({ expectObservable }) => {
      const port = syncPort({ startup: [false, false, true], readiness: [true] });
      const events = probeContainer(
        target([spec('startup', { periodMs: 10, failureThreshold: 5 }), spec('readiness', { periodMs: 10 })]),
        port,
        scheduler,
      );
      // startup succeeds at 20; readiness (its first run is due at once) is ready at 20 too.
      expectObservable(events.pipe(mapKindOk()), '^ 35ms !').toBe('20ms (sr)', {
        s: 'startup:true',
        r: 'readiness:true',
      });
    });
  });
});

const mapOk = () => map((e: { ok: boolean }) => e.ok);
const mapKindOk = () => map((e: { probe: string; ok: boolean }) => `${e.probe}:${e.ok}`);

describe('probe verdicts in the core', () => {
  const probed = staticPod('web');
  // A pod whose container has liveness and readiness probes.
  const pod = (() => {
    const p = structuredClone(probed);
    const c = p.pod.spec!.containers[0]!;
    c.livenessProbe = { exec: { command: ['true'] }, periodSeconds: 5 };
    c.readinessProbe = { httpGet: { port: 8080, path: '/healthz' } };
    return p;
  })();
  const ctx = { nodeIP: '192.0.2.1', runtimeName: 'containerd' };
  const base = (): State => {
    let s = initialState(['file'], 0, ctx);
    for (const [i, e] of [
      manifestRead(pod),
      relist([sandbox(pod, 'sb1', { ip: '10.0.0.7' })], [container(pod, 'c1', 'sb1', 'web')]),
    ].entries()) {
      s = step(s, { ...e, seq: i + 1, at: 1000 }).state;
    }
    return s;
  };
  const apply = (s: State, e: EventBody) => step(s, { ...e, seq: 99, at: 2000 });

  it('targets running containers with probes, network probes to the pod IP', () => {
    const [t] = probeTargets(base());
    assert.equal(t!.containerId, 'c1');
    assert.equal(t!.host, '10.0.0.7');
    assert.deepEqual(
      t!.probes.map((p) => p.kind),
      ['liveness', 'readiness'],
    );
    assert.deepEqual(t!.probes[1]!.handler, {
      type: 'http',
      scheme: 'HTTP',
      port: 8080,
      path: '/healthz',
      headers: [],
    });
  });

  it("readiness decides the container's and the pod's Ready", () => {
    const s = base();
    assert.equal(podStatus(s, pod, ctx).containerStatuses![0]!.ready, false, 'not ready before the first success');
    const r = apply(s, {
      type: 'ProbeChanged',
      podUid: pod.uid,
      containerId: 'c1',
      containerName: 'web',
      probe: 'readiness',
      ok: true,
      message: 'HTTP 200',
    });
    const status = podStatus(r.state, pod, ctx);
    assert.equal(status.containerStatuses![0]!.ready, true);
    assert.equal(status.conditions!.find((c) => c.type === 'Ready')!.status, 'True');
  });

  it('a failed liveness verdict stops the container, which the restart policy then restarts', () => {
    const r = apply(base(), {
      type: 'ProbeChanged',
      podUid: pod.uid,
      containerId: 'c1',
      containerName: 'web',
      probe: 'liveness',
      ok: false,
      message: 'exit code 1',
    });
    const stop = r.actions.find((a: Action) => a.kind === 'StopContainer');
    assert.ok(
      stop &&
        stop.kind === 'StopContainer' &&
        stop.containerId === 'c1' &&
        stop.reason === 'liveness' &&
        stop.gracePeriodSeconds === 30,
    );
  });
});
