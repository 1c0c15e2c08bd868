// The gate in front of the runtime's heavy calls: never more than its limit in flight, work that
// finishes a pod before work that begins one, a failed call frees its place, and the calls it
// does not gate (StopContainer, reads) never wait behind it.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CallGate, gateRuntimeCalls, type Priority } from '../../src/runtime/cri/call-gate.js';
import type { CriRuntime } from '../../src/cri-api/runtime-service.js';
import type { PodSandboxConfig } from '../../src/cri-api/messages.js';

/** A call that ends when the test says. */
function pending() {
  let end!: (ok: boolean) => void;
  const done = new Promise<void>(
    (resolve, reject) => (end = (ok) => (ok ? resolve() : reject(new Error('runtime said no')))),
  );
  return { done, end };
}

const tick = () => new Promise<void>((r) => setImmediate(r));

describe('CallGate', () => {
  it('keeps at most its limit in flight and runs every call', async () => {
    const gate = new CallGate(3);
    let inFlight = 0;
    let most = 0;
    const calls = Array.from({ length: 20 }, (_, i) =>
      gate.run(i % 2 ? 'finish' : 'begin', async () => {
        most = Math.max(most, ++inFlight);
        await tick();
        inFlight--;
        return i;
      }),
    );
    assert.deepEqual(
      await Promise.all(calls),
      Array.from({ length: 20 }, (_, i) => i),
    );
    assert.equal(most, 3);
    assert.deepEqual(gate.load, { inFlight: 0, waiting: 0 });
  });

  it('admits waiting work that finishes a pod, then removals, then work that begins a pod, each in order of arrival', async () => {
    const gate = new CallGate(1);
    const order: string[] = [];
    const first = pending();
    const running = gate.run('begin', () => first.done);
    const queued = ['begin a', 'cleanup x', 'finish b', 'begin c', 'cleanup y', 'finish d'].map((name) =>
      gate.run(name.split(' ')[0] as Priority, async () => void order.push(name)),
    );
    await tick();
    assert.deepEqual(gate.load, { inFlight: 1, waiting: 6 });
    first.end(true);
    await Promise.all([running, ...queued]);
    assert.deepEqual(order, ['finish b', 'finish d', 'cleanup x', 'cleanup y', 'begin a', 'begin c']);
  });

  it('frees the place of a call that fails, and passes the failure on', async () => {
    const gate = new CallGate(1);
    const failing = pending();
    const a = gate.run('finish', () => failing.done);
    const b = gate.run('finish', async () => 'b ran');
    failing.end(false);
    await assert.rejects(a, /runtime said no/);
    assert.equal(await b, 'b ran');
    assert.deepEqual(gate.load, { inFlight: 0, waiting: 0 });
  });

  it('refuses a limit below one', () => {
    assert.throws(() => new CallGate(0), RangeError);
  });
});

describe('gateRuntimeCalls', () => {
  it('gates sandbox and container starts; StopContainer and reads go straight through', async () => {
    const calls: string[] = [];
    const held = pending();
    const cri: Partial<CriRuntime> = {
      runPodSandbox: async (config) => {
        calls.push(`RunPodSandbox ${config.metadata.name}`);
        await held.done;
        return `sb-${config.metadata.name}`;
      },
      createContainer: async (sandboxId) => {
        calls.push(`CreateContainer ${sandboxId}`);
        return 'c1';
      },
      stopContainer: async (id) => void calls.push(`StopContainer ${id}`),
      listContainers: async () => {
        calls.push('ListContainers');
        return [];
      },
    };
    const gated = gateRuntimeCalls(cri as CriRuntime, 1);
    const sandbox = (name: string) =>
      ({ metadata: { name, uid: name, namespace: 'default', attempt: 0 } }) as PodSandboxConfig;

    const a = gated.runPodSandbox(sandbox('a'));
    const b = gated.runPodSandbox(sandbox('b'));
    const c = gated.createContainer('sb-x', {} as never, sandbox('x'));
    await gated.stopContainer('c9', 30);
    await gated.listContainers();
    await tick();
    // One place, taken by a; b and the CreateContainer wait; the stop and the list did not.
    assert.deepEqual(calls, ['RunPodSandbox a', 'StopContainer c9', 'ListContainers']);
    held.end(true);
    await Promise.all([a, b, c]);
    assert.deepEqual(calls.slice(3), ['CreateContainer sb-x', 'RunPodSandbox b']);
  });

  it('stops waiting sandboxes before it removes any, and removes before it begins new pods', async () => {
    const calls: string[] = [];
    const held = pending();
    const cri: Partial<CriRuntime> = {
      stopPodSandbox: async (id) => {
        calls.push(`StopPodSandbox ${id}`);
        if (id === 'first') await held.done;
      },
      removePodSandbox: async (id) => void calls.push(`RemovePodSandbox ${id}`),
      removeContainer: async (id) => void calls.push(`RemoveContainer ${id}`),
      runPodSandbox: async (config) => {
        calls.push(`RunPodSandbox ${config.metadata.name}`);
        return 'sb';
      },
    };
    const gated = gateRuntimeCalls(cri as CriRuntime, 1);
    const first = gated.stopPodSandbox('first');
    const rest = [
      gated.runPodSandbox({
        metadata: { name: 'new', uid: 'u', namespace: 'default', attempt: 0 },
      } as PodSandboxConfig),
      gated.removePodSandbox('a'),
      gated.stopPodSandbox('b'),
      gated.removeContainer('c'),
      gated.stopPodSandbox('d'),
    ];
    await tick();
    held.end(true);
    await Promise.all([first, ...rest]);
    assert.deepEqual(calls, [
      'StopPodSandbox first',
      'StopPodSandbox b',
      'StopPodSandbox d',
      'RemovePodSandbox a',
      'RemoveContainer c',
      'RunPodSandbox new',
    ]);
  });
});
