// systemd integration without systemd: the first full sync (pure), the watcher's READY/WATCHDOG/
// STATUS decisions on a fake notifier, the notify environment, and the example config file.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseConfigText } from '../../src/cli/config-file.js';
import { firstSyncDone, firstSyncPending } from '../../src/core/first-sync.js';
import type { EventBody } from '../../src/core/model/events.js';
import { initialState, type State } from '../../src/core/model/state.js';
import type { SourceKind } from '../../src/core/model/static-pod.js';
import { step } from '../../src/core/reconcile.js';
import { podCounts, systemdWatcher } from '../../src/effects/systemd-watcher.js';
import type { LoopStep } from '../../src/loop.js';
import { takeNotifyEnvironment, type SystemdNotifier } from '../../src/runtime/systemd-notify.js';
import { REPO } from '../support/harness.js';
import { container, manifestRead, relist, sandbox, staticPod } from '../support/fixtures.js';

const URL = 'http://127.0.0.1:9/pods';
const fileSynced: EventBody = { type: 'SourceSynced', source: 'file', sourceId: '/etc/manifests' };

/** The steps of `bodies` through the core, numbered and timed 1 s apart. */
function steps(bodies: EventBody[], sources: SourceKind[] = ['file']): LoopStep[] {
  let state: State = initialState(sources);
  return bodies.map((body, i) => {
    const event = { ...body, seq: i + 1, at: (i + 1) * 1000 };
    const r = step(state, event);
    state = r.state;
    return { ...r, event };
  });
}

describe('first full sync', () => {
  it('waits for every configured source and the runtime relist, in either order', () => {
    const web = staticPod('web');
    const [a, b, c] = steps([manifestRead(web), fileSynced, relist([], [])]);
    assert.deepEqual(firstSyncPending(a!.state), ['the manifest directory', 'the runtime relist']);
    assert.deepEqual(firstSyncPending(b!.state), ['the runtime relist']);
    assert.equal(firstSyncDone(c!.state), true);
    // The step that completes it is the first diff on both sides: it starts the pod.
    assert.deepEqual(
      c!.actions.map((x) => x.kind),
      ['CreateSandbox'],
    );
    const [, d] = steps([relist([], []), fileSynced]);
    assert.equal(firstSyncDone(d!.state), true);
  });

  it('counts a URL whose first fetch failed as answered: a URL that is down must not hold up the node', () => {
    const failed: EventBody = {
      type: 'ManifestInvalid',
      source: 'http',
      origin: URL,
      problems: [{ origin: URL, message: 'connect ECONNREFUSED' }],
    };
    const [a, b, c] = steps([relist([], []), fileSynced, failed], ['file', 'http']);
    assert.deepEqual(firstSyncPending(a!.state), ['the manifest directory', 'the manifest URL']);
    assert.deepEqual(firstSyncPending(b!.state), ['the manifest URL']);
    assert.equal(firstSyncDone(c!.state), true);
  });

  it('does not count a file problem as the directory answering: its scan is not over', () => {
    const broken: EventBody = {
      type: 'ManifestInvalid',
      source: 'file',
      origin: '/etc/manifests/bad.yaml',
      problems: [{ origin: '/etc/manifests/bad.yaml', message: 'bad' }],
    };
    const [, b] = steps([relist([], []), broken]);
    assert.deepEqual(firstSyncPending(b!.state), ['the manifest directory']);
  });
});

function fakeNotifier(watchdogMs: number | undefined) {
  const sent: Record<string, string>[] = [];
  const notifier: SystemdNotifier = { watchdogMs, notify: (f) => sent.push({ ...f }), flush: async () => {} };
  return { notifier, sent };
}

const heartbeat = (state: State, seq: number, at: number): LoopStep => ({
  event: { type: 'Heartbeat', seq, at },
  state,
  actions: [],
  deferred: true,
});

describe('systemd watcher', () => {
  it('sends READY=1 once, at the step that completes the first sync, with the pod counts', () => {
    const { notifier, sent } = fakeNotifier(undefined);
    const watch = systemdWatcher(notifier, { heartbeatPeriodMs: 5000, now: () => 0 });
    const all = steps([manifestRead(staticPod('web')), fileSynced, relist([], []), relist([], [])]);
    for (const s of all.slice(0, 2)) watch(s);
    assert.deepEqual(sent, []);
    watch(all[2]!);
    assert.deepEqual(sent, [{ READY: '1', STATUS: '1 static pod, 0 running' }]);
    watch(all[3]!);
    assert.equal(sent.length, 1);
  });

  it('says what the start waits for on a heartbeat before it is ready', () => {
    const { notifier, sent } = fakeNotifier(undefined);
    const watch = systemdWatcher(notifier, { heartbeatPeriodMs: 5000, now: () => 0 });
    const [first] = steps([fileSynced]);
    watch(heartbeat(first!.state, 2, 5000));
    watch(heartbeat(first!.state, 3, 10000));
    assert.deepEqual(sent, [{ STATUS: 'starting: waiting for the runtime relist' }]);
  });

  it('pings the watchdog from heartbeats only, at least every half interval', () => {
    let now = 0;
    const { notifier, sent } = fakeNotifier(30_000);
    const watch = systemdWatcher(notifier, { heartbeatPeriodMs: 5000, now: () => now });
    const [a, b] = steps([fileSynced, relist([], [])]);
    watch(a!);
    watch(b!); // READY, no ping: not a heartbeat
    for (let i = 1; i <= 6; i++) {
      now = i * 5000;
      watch(heartbeat(b!.state, 2 + i, now));
    }
    const pings = sent.filter((f) => f.WATCHDOG === '1').length;
    // Half of 30 s less a 5 s heartbeat: a ping at 5 s, 15 s and 25 s.
    assert.equal(pings, 3);
    assert.deepEqual(sent[0], { READY: '1', STATUS: '0 static pods, 0 running' });
  });

  it('pings on every heartbeat when the interval is short, and never without a watchdog', () => {
    const short = fakeNotifier(8_000);
    const none = fakeNotifier(undefined);
    const [a] = steps([relist([], [])]);
    for (const { notifier } of [short, none]) {
      const watch = systemdWatcher(notifier, { heartbeatPeriodMs: 5000, now: () => 0 });
      for (let i = 0; i < 3; i++) watch(heartbeat(a!.state, i + 2, 0));
    }
    assert.equal(short.sent.filter((f) => f.WATCHDOG).length, 3);
    assert.equal(none.sent.filter((f) => f.WATCHDOG).length, 0);
  });

  it('counts a pod as running when every container of it runs, and the manifest problems', () => {
    const web = staticPod('web', undefined, { containers: ['a', 'b'] });
    const db = staticPod('db');
    const broken: EventBody = {
      type: 'ManifestInvalid',
      source: 'file',
      origin: '/etc/manifests/x.yaml',
      problems: [{ origin: '/etc/manifests/x.yaml', message: 'bad' }],
    };
    const sb = sandbox(web, 'sb1');
    const observed = relist(
      [sb, sandbox(db, 'sb2')],
      [container(web, 'c1', 'sb1', 'a'), container(web, 'c2', 'sb1', 'b'), container(db, 'c3', 'sb2', 'web')],
    );
    const last = steps([manifestRead(web), manifestRead(db), broken, fileSynced, observed]).at(-1)!;
    assert.equal(podCounts(last.state), '2 static pods, 2 running; 1 manifest problem');
    const exited = relist(
      [sb, sandbox(db, 'sb2')],
      [container(web, 'c1', 'sb1', 'a'), container(web, 'c2', 'sb1', 'b', { state: 'exited' })],
      5000,
    );
    const after = steps([manifestRead(web), manifestRead(db), fileSynced, exited]).at(-1)!;
    assert.equal(podCounts(after.state), '2 static pods, 0 running');
  });
});

describe('notify environment', () => {
  it('takes the variables out of the environment, so no child inherits them', () => {
    const env: NodeJS.ProcessEnv = { NOTIFY_SOCKET: '/run/systemd/notify', WATCHDOG_USEC: '30000000', PATH: '/bin' };
    assert.deepEqual(takeNotifyEnvironment(env, 42), { socket: '/run/systemd/notify', watchdogMs: 30_000 });
    assert.deepEqual(env, { PATH: '/bin' });
  });

  it('watches only when WATCHDOG_PID is unset or ours, and accepts abstract sockets', () => {
    const base = { NOTIFY_SOCKET: '@staticlet/notify', WATCHDOG_USEC: '10000000' };
    assert.equal(takeNotifyEnvironment({ ...base, WATCHDOG_PID: '42' }, 42)?.watchdogMs, 10_000);
    assert.equal(takeNotifyEnvironment({ ...base, WATCHDOG_PID: '7' }, 42)?.watchdogMs, undefined);
    assert.equal(takeNotifyEnvironment({ ...base, WATCHDOG_USEC: 'x' }, 42)?.watchdogMs, undefined);
    assert.equal(takeNotifyEnvironment({ ...base }, 42)?.socket, '@staticlet/notify');
  });

  it('is off without a usable socket, and still clears the watchdog variables', () => {
    const env: NodeJS.ProcessEnv = { WATCHDOG_USEC: '1', WATCHDOG_PID: '42' };
    assert.equal(takeNotifyEnvironment(env, 42), undefined);
    assert.deepEqual(env, {});
    assert.equal(takeNotifyEnvironment({ NOTIFY_SOCKET: 'relative' }, 42), undefined);
  });
});

describe('the example config of the systemd unit', () => {
  it('is a KubeletConfiguration staticlet reads without unused fields', async () => {
    const path = join(REPO, 'contrib/systemd/config.yaml');
    const settings = parseConfigText(await readFile(path, 'utf8'), path);
    assert.equal(settings.staticPodPath, '/etc/kubernetes/manifests');
    assert.equal(settings.containerRuntimeEndpoint, 'unix:///run/containerd/containerd.sock');
    assert.deepEqual(settings.ignored, []);
  });
});
