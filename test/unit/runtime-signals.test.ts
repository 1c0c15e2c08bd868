// Exits the agent causes itself are not news: a pod's removal marks its containers and sandboxes,
// their exit events are dropped (no relist, no step), and every other signal passes.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { Subject } from 'rxjs';
import type { KillPod, RuntimeAction } from '../../src/core/model/actions.js';
import type { EventBody } from '../../src/core/model/events.js';
import { podActions } from '../../src/effects/pod-actions.js';
import { RuntimeStatusCache } from '../../src/runtime/cri/status-cache.js';
import { ExpectedExits } from '../../src/runtime/expected-exits.js';
import type { CriRuntime } from '../../src/cri-api/runtime-service.js';
import type { HostPort } from '../../src/runtime/host.js';
import type { ProbePort } from '../../src/runtime/probe-port.js';
import { withoutExpectedExits, type RuntimeSignal } from '../../src/streams/runtime-events.js';
import { NODE } from '../support/fixtures.js';

const exit = (containerId: string): RuntimeSignal => ({ exit: { containerId, exitCode: 0 } });

describe('runtime signals', () => {
  it('drops the exits and removals of what the agent stops and passes the rest', () => {
    const stopping = new ExpectedExits();
    for (const id of ['c-stopped', 'sb-removed']) stopping.expect(id);
    const signals = new Subject<RuntimeSignal>();
    const passed: RuntimeSignal[] = [];
    signals.pipe(withoutExpectedExits(stopping)).subscribe((s) => passed.push(s));
    const removedOutside: RuntimeSignal = { deleted: 'c-removed-from-outside' };
    const stoppedOutside: RuntimeSignal = { stopped: 'sb-stopped-from-outside' };
    const health: RuntimeSignal = { stream: 'up' };
    for (const s of [
      exit('c-stopped'),
      exit('c-killed-from-outside'),
      {},
      exit('sb-removed'),
      { stopped: 'sb-removed' },
      { deleted: 'sb-removed' },
      removedOutside,
      stoppedOutside,
      health,
    ])
      signals.next(s);
    assert.deepEqual(passed, [exit('c-killed-from-outside'), {}, removedOutside, stoppedOutside, health]);
  });

  it('a removal marks its containers and sandboxes as stopping before it stops them; the marks go with them', async () => {
    const cache = new RuntimeStatusCache();
    const stopping = new ExpectedExits();
    const markedAtStop: string[][] = [];
    const cri: Partial<CriRuntime> = {
      stopContainer: async () => void markedAtStop.push([...stopping]),
      stopPodSandbox: async () => undefined,
      removePodSandbox: async () => undefined,
    };
    const host = { unmountUnder: async () => undefined, removeTree: async () => undefined } as unknown as HostPort;
    const actions = new Subject<RuntimeAction>();
    const events: EventBody[] = [];
    actions
      .pipe(
        podActions({
          cri: cri as CriRuntime,
          host,
          log: pino({ level: 'silent' }),
          now: () => 0,
          concurrency: 4,
          probes: {} as ProbePort,
          statusCache: cache,
          expectedExits: stopping,
          spec: {
            nodeName: NODE,
            nodeIP: '192.0.2.10',
            podLogsDir: '/logs',
            rootDir: '/root',
            clusterDNS: [],
            clusterDomain: '',
            hostDns: { servers: [], searches: [], options: [] },
          },
        }),
      )
      .subscribe((e) => events.push(e));
    const kill: KillPod = {
      kind: 'KillPod',
      id: '1.0',
      podUid: 'u1',
      podFullName: 'default/web',
      reason: 'removed',
      remove: true,
      sandboxIds: ['sb1'],
      containers: [{ id: 'c1', sandboxId: 'sb1', name: 'main', gracePeriodSeconds: 2 }],
    };
    actions.next(kill);
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(events.length, 1);
    assert.deepEqual(markedAtStop, [['c1', 'sb1']]);
    stopping.prune(new Set(), new Set());
    assert.equal(stopping.size, 0);
  });
});
