// The runtime relist source against a scripted runtime: only changes become events.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { asyncScheduler, BehaviorSubject, Subject } from 'rxjs';
import type { EventBody } from '../../src/core/model/events.js';
import type { CriRuntime } from '../../src/cri-api/runtime-service.js';
import type { Container, ContainerState, ContainerStatus, PodSandbox } from '../../src/cri-api/messages.js';
import { RuntimeStatusCache } from '../../src/runtime/cri/status-cache.js';
import { runtimeRelist } from '../../src/streams/runtime-relist.js';

function scriptedRuntime() {
  const sandbox: PodSandbox = {
    id: 'sb1',
    metadata: { name: 'web-node1', namespace: 'default', uid: 'u1', attempt: 0 },
    state: 'SANDBOX_READY',
    createdAt: '1000000',
    labels: {},
    annotations: {},
  };
  let state: ContainerState = 'CONTAINER_RUNNING';
  let statusCalls = 0;
  const container = (): Container => ({
    id: 'c1',
    podSandboxId: 'sb1',
    metadata: { name: 'web', attempt: 0 },
    image: 'i',
    imageRef: 'i',
    state,
    createdAt: '1000000',
    labels: {},
    annotations: {},
  });
  const cri = {
    listPodSandbox: async () => [sandbox],
    listContainers: async () => [container()],
    podSandboxStatus: async () => ({ ...sandbox, network: { ip: '10.0.0.2', additionalIps: [] } }),
    containerStatus: async (): Promise<ContainerStatus> => {
      statusCalls++;
      return {
        ...container(),
        startedAt: '2000000',
        finishedAt: state === 'CONTAINER_EXITED' ? '3000000' : '0',
        exitCode: state === 'CONTAINER_EXITED' ? 1 : 0,
        reason: '',
        message: '',
        logPath: '',
      };
    },
  } as unknown as CriRuntime;
  return { cri, exit: () => (state = 'CONTAINER_EXITED'), statusCalls: () => statusCalls };
}

describe('runtime relist', () => {
  it('emits a listing once, then only when a state changes; asks a container status once per state', async () => {
    const rt = scriptedRuntime();
    const triggers = new Subject<void>();
    const seen: EventBody[] = [];
    const sub = runtimeRelist(
      rt.cri,
      { nodeName: 'node1', intervalMs: 5, heartbeatMs: 60_000 },
      asyncScheduler,
      triggers,
    ).subscribe((e) => seen.push(e));
    await new Promise((r) => setTimeout(r, 60));
    assert.equal(seen.length, 1, 'unchanged listings are not repeated');
    rt.exit();
    await new Promise((r) => setTimeout(r, 60));
    sub.unsubscribe();
    assert.equal(seen.length, 2);
    const last = seen[1]!;
    assert.ok(last.type === 'RuntimeRelisted');
    assert.deepEqual(
      last.containers.map((c) => [c.id, c.state, c.exitCode]),
      [['c1', 'exited', 1]],
    );
    assert.equal(last.sandboxes[0]!.ip, '10.0.0.2');
    assert.equal(rt.statusCalls(), 2, 'one status read for running, one for exited');
  });

  it('reads no status for a container whose pod is being removed, and forgets it once it is gone', async () => {
    const rt = scriptedRuntime();
    const cache = new RuntimeStatusCache();
    const seen: EventBody[] = [];
    const sub = runtimeRelist(
      rt.cri,
      { nodeName: 'node1', intervalMs: 5, heartbeatMs: 60_000, cache },
      asyncScheduler,
    ).subscribe((e) => seen.push(e));
    try {
      await new Promise((r) => setTimeout(r, 40));
      assert.equal(rt.statusCalls(), 1);
      cache.removing.add('c1'); // as the pod's removal does before it stops the containers
      rt.exit();
      await new Promise((r) => setTimeout(r, 40));
      assert.equal(rt.statusCalls(), 1, 'the exit is listed, its status not read');
      const last = seen.at(-1)!;
      assert.ok(last.type === 'RuntimeRelisted');
      assert.deepEqual(
        last.containers.map((c) => [c.id, c.state]),
        [['c1', 'exited']],
      );
    } finally {
      sub.unsubscribe();
    }
    cache.prune(new Set(['sb1']), new Set());
    assert.equal(cache.removing.size, 0);
  });

  it('while the event stream is up, a change only the periodic relist finds comes marked as a safety-net relist', async () => {
    const rt = scriptedRuntime();
    const up = new BehaviorSubject(true);
    const seen: EventBody[] = [];
    const sub = runtimeRelist(
      rt.cri,
      { nodeName: 'node1', intervalMs: 5, safetyNetMs: 20, heartbeatMs: 60_000 },
      asyncScheduler,
      new Subject<void>(),
      up,
    ).subscribe((e) => seen.push(e));
    try {
      await new Promise((r) => setTimeout(r, 40));
      rt.exit(); // no event tells
      await new Promise((r) => setTimeout(r, 80));
      const last = seen.at(-1)!;
      assert.ok(last.type === 'RuntimeRelisted');
      assert.deepEqual([last.containers[0]?.state, last.safetyNet], ['exited', true]);
    } finally {
      sub.unsubscribe();
    }
  });

  it('a relist an event asked for is not a safety net, nor one without a stream', async () => {
    for (const streamUp of [true, false]) {
      const rt = scriptedRuntime();
      const triggers = new Subject<void>();
      const seen: EventBody[] = [];
      const sub = runtimeRelist(
        rt.cri,
        { nodeName: 'node1', intervalMs: streamUp ? 5 : 20, safetyNetMs: streamUp ? 60_000 : 20, heartbeatMs: 60_000 },
        asyncScheduler,
        triggers,
        new BehaviorSubject(streamUp),
      ).subscribe((e) => seen.push(e));
      try {
        await new Promise((r) => setTimeout(r, 40));
        rt.exit();
        if (streamUp) triggers.next();
        await new Promise((r) => setTimeout(r, 80));
        assert.deepEqual(
          seen.map((e) => (e.type === 'RuntimeRelisted' ? [e.containers[0]?.state, e.safetyNet] : e.type)),
          [
            ['running', undefined],
            ['exited', undefined],
          ],
        );
      } finally {
        sub.unsubscribe();
      }
    }
  });
});
