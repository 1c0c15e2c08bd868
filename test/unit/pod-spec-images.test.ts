// Images: a failed pull is ErrImagePull, then ImagePullBackOff while the retry waits, as the
// container status shows; a missing image with imagePullPolicy Never is ErrImageNeverPull.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { StartContainer } from '../../src/core/model/actions.js';
import type { EventBody } from '../../src/core/model/events.js';
import { podStatus } from '../../src/core/pod-status.js';
import { initialState, type State } from '../../src/core/model/state.js';
import { ActionError } from '../../src/effects/action-error.js';
import { ensureImage, ImageLookup } from '../../src/effects/images.js';
import type { CriRuntime } from '../../src/cri-api/runtime-service.js';
import { container, manifestRead, relist, sandbox, staticPod, stepAll } from '../support/fixtures.js';

const ctx = { nodeIP: '192.0.2.10', runtimeName: 'containerd' };

function run(bodies: EventBody[], from: State, at: number) {
  return stepAll(from, bodies, at);
}

describe('image pull failures in the container status', () => {
  const pod = staticPod('web', '/m/web.yaml', { image: '127.0.0.1:1/missing:1' });
  const t0 = 1_000_000;

  it('ErrImagePull, then ImagePullBackOff until the retry, then ErrImagePull again with a longer back-off', () => {
    const start = run([manifestRead(pod), relist([sandbox(pod, 'sb1')], [])], initialState(['file'], 0, ctx), t0);
    const first = start.actions.find((a): a is StartContainer => a.kind === 'StartContainer');
    assert.ok(first, 'the container start is issued');
    const waiting = (s: State) => podStatus(s, pod, ctx).containerStatuses![0]!.state!.waiting!;
    const failed: EventBody = {
      type: 'ActionFailed',
      action: first,
      reason: 'ErrImagePull',
      message: 'pulling image "127.0.0.1:1/missing:1": connection refused',
    };

    // The failure is folded at t0 + 1 s; right after it, the kubelet already says ImagePullBackOff.
    let s = run([failed], start.state, t0 + 1_000).state;
    assert.equal(waiting(s).reason, 'ImagePullBackOff');
    assert.match(waiting(s).message!, /connection refused/);
    assert.equal(podStatus(s, pod, ctx).phase, 'Pending');

    // 10 s later the retry is due: the status says ErrImagePull, and the start is issued again.
    const retry = run([{ type: 'TimerFired' }], s, t0 + 11_000);
    assert.equal(waiting(retry.state).reason, 'ErrImagePull');
    const second = retry.actions.find((a): a is StartContainer => a.kind === 'StartContainer');
    assert.ok(second, 'retried after the back-off');

    // It fails again: back-off again, now 20 s.
    s = run([{ ...failed, action: second }], retry.state, t0 + 12_000).state;
    assert.equal(waiting(s).reason, 'ImagePullBackOff');
    assert.equal(
      run([{ type: 'TimerFired' }], s, t0 + 22_000).actions.filter((a) => a.kind === 'StartContainer').length,
      0,
      'not yet: 20 s',
    );
    assert.equal(waiting(run([{ type: 'TimerFired' }], s, t0 + 32_000).state).reason, 'ErrImagePull');
  });

  it('ErrImageNeverPull stays as it is (no pull to back off from)', () => {
    const start = run([manifestRead(pod), relist([sandbox(pod, 'sb1')], [])], initialState(['file'], 0, ctx), t0);
    const first = start.actions.find((a): a is StartContainer => a.kind === 'StartContainer')!;
    const s = run(
      [{ type: 'ActionFailed', action: first, reason: 'ErrImageNeverPull', message: 'not present' }],
      start.state,
      t0 + 1_000,
    ).state;
    assert.equal(podStatus(s, pod, ctx).containerStatuses![0]!.state!.waiting!.reason, 'ErrImageNeverPull');
  });
});

describe('the image in the container status', () => {
  const pod = staticPod('web', '/m/web.yaml', { image: 'staticlet.local/busybox:1' });
  const statusOf = (over: Parameters<typeof container>[4]) => {
    const s = run(
      [manifestRead(pod), relist([sandbox(pod, 'sb1')], [container(pod, 'c1', 'sb1', 'web', over)])],
      initialState(['file'], 0, ctx),
      1_000,
    );
    return podStatus(s.state, pod, ctx).containerStatuses![0]!;
  };

  it("imageID is the runtime's reference of the image it runs, as the kubelet's; image is the spec's", () => {
    const st = statusOf({ imageRef: 'sha256:0123abcd' });
    assert.equal(st.image, 'staticlet.local/busybox:1');
    assert.equal(st.imageID, 'sha256:0123abcd');
  });

  it('imageID falls back to the image as given when the runtime gives no reference', () => {
    assert.equal(statusOf({}).imageID, 'staticlet.local/busybox:1');
  });
});

describe('ensureImage by pull policy', () => {
  const log = { info: () => undefined } as never;
  const fakeCri = (present: boolean, pull: () => Promise<string>) => {
    const calls: string[] = [];
    const cri = {
      imageStatus: async (image: string) => {
        calls.push(`status ${image}`);
        return present ? { id: 'sha256:1', size: '1' } : undefined;
      },
      pullImage: async (image: string) => {
        calls.push(`pull ${image}`);
        return pull();
      },
    } as unknown as CriRuntime;
    return { cri, calls };
  };

  it('IfNotPresent: a present image is used; a missing one pulled', async () => {
    const present = fakeCri(true, async () => 'ref');
    assert.deepEqual(await ensureImage(present.cri, 'img:1', 'IfNotPresent', log, 'p'), { pulled: false });
    assert.deepEqual(present.calls, ['status img:1']);
    const missing = fakeCri(false, async () => 'ref');
    assert.deepEqual(await ensureImage(missing.cri, 'img:1', 'IfNotPresent', log, 'p'), { pulled: true });
    assert.deepEqual(missing.calls, ['status img:1', 'pull img:1']);
  });

  it('Never: a missing image is ErrImageNeverPull, never pulled; a failed pull is ErrImagePull', async () => {
    const missing = fakeCri(false, async () => 'ref');
    await assert.rejects(
      ensureImage(missing.cri, 'img:1', 'Never', log, 'p'),
      (e: unknown) => e instanceof ActionError && e.reason === 'ErrImageNeverPull',
    );
    assert.deepEqual(missing.calls, ['status img:1']);
    const broken = fakeCri(false, async () => {
      throw new Error('connection refused');
    });
    await assert.rejects(
      ensureImage(broken.cri, 'img:1', 'Always', log, 'p'),
      (e: unknown) => e instanceof ActionError && e.reason === 'ErrImagePull' && /connection refused/.test(e.message),
    );
  });

  it('a lookup started with the sandbox is reused by the container start; briefly, and never across a pull', async () => {
    const present = fakeCri(true, async () => 'ref');
    let now = 0;
    const lookup = new ImageLookup(present.cri, () => now);
    lookup.prefetch([{ name: 'c', image: 'img:1', imagePullPolicy: 'IfNotPresent' }]);
    now = 500;
    assert.deepEqual(await ensureImage(present.cri, 'img:1', 'IfNotPresent', log, 'p', lookup), { pulled: false });
    assert.deepEqual(await ensureImage(present.cri, 'img:1', 'IfNotPresent', log, 'q', lookup), { pulled: false });
    assert.deepEqual(present.calls, ['status img:1'], 'one lookup for the prefetch and both starts');
    now = 500 + ImageLookup.FRESH_MS + 1;
    await ensureImage(present.cri, 'img:1', 'IfNotPresent', log, 'r', lookup);
    assert.deepEqual(present.calls, ['status img:1', 'status img:1'], 'a stale answer is asked again');

    // A prefetch renews an answer that would expire before the container step asks for it.
    now += 100;
    lookup.prefetch([{ name: 'c', image: 'img:1', imagePullPolicy: 'IfNotPresent' }]);
    assert.equal(present.calls.length, 2, 'a young answer serves the prefetch');
    now += ImageLookup.FRESH_MS / 2;
    lookup.prefetch([{ name: 'c', image: 'img:1', imagePullPolicy: 'IfNotPresent' }]);
    assert.equal(present.calls.length, 3, 'one with less than half its life left is renewed');
    now += ImageLookup.FRESH_MS / 2 - 1;
    await ensureImage(present.cri, 'img:1', 'IfNotPresent', log, 's', lookup);
    assert.equal(present.calls.length, 3, 'and the container step finds it waiting');

    const missing = fakeCri(false, async () => 'ref');
    const lookup2 = new ImageLookup(missing.cri, () => now);
    await ensureImage(missing.cri, 'img:1', 'IfNotPresent', log, 'p', lookup2);
    await lookup2.status('img:1');
    assert.deepEqual(
      missing.calls,
      ['status img:1', 'pull img:1', 'status img:1'],
      'a pull forgets the answer it made wrong',
    );
  });
});
