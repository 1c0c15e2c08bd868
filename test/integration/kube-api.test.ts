// The KubeApi adapter (src/runtime/kube/client.ts) against a REAL kube-apiserver + etcd, started
// here by scripts/kube/control-plane.sh (Node,RBAC authorization, NodeRestriction admission), as
// the node identities system:node:<A> and system:node:<B>. The admin kubeconfig and kubectl are
// the outside view. The control plane is stopped in `after`, whatever failed.
//
// Run: node --import tsx --test --test-concurrency=1 test/integration/kube-api.test.ts
// (STATICLET_KEEP_TEST_DIR=1 keeps the control-plane dir with its logs.)
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { Subscription } from 'rxjs';
import type { CoreV1Event, V1Lease, V1Node, V1Pod } from '@kubernetes/client-node';
import { createKubeApi } from '../../src/runtime/kube/client.js';
import { KubeApiError, type KubeApi, type PodWatchEvent } from '../../src/runtime/kube/types.js';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const CONTROL_PLANE = join(REPO, 'scripts/kube/control-plane.sh');
const RUN = randomBytes(3).toString('hex');
const NODE_A = `kube-api-a-${RUN}`;
const NODE_B = `kube-api-b-${RUN}`;
const NS = 'default';
const STEP = { timeout: 90_000 };

const execFileP = promisify(execFile);

async function controlPlane(...args: string[]): Promise<string> {
  const { stdout } = await execFileP('bash', [CONTROL_PLANE, ...args], { timeout: 180_000, maxBuffer: 4 << 20 });
  return stdout.trim();
}

/** A watch subscription whose events a test can wait for, one by one, in order. */
class EventQueue {
  readonly all: PodWatchEvent[] = [];
  private readonly pending: PodWatchEvent[] = [];
  private waiter: (() => void) | undefined;
  completed = false;
  error: unknown;

  push(ev: PodWatchEvent): void {
    this.all.push(ev);
    this.pending.push(ev);
    this.waiter?.();
  }

  wake(): void {
    this.waiter?.();
  }

  /** Skips events until one matches; fails after timeoutMs, listing what was seen. */
  async next<T extends PodWatchEvent>(
    what: string,
    match: (ev: PodWatchEvent) => ev is T,
    timeoutMs = 20_000,
  ): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    const skipped: string[] = [];
    for (;;) {
      const ev = this.pending.shift();
      if (ev) {
        if (match(ev)) return ev;
        skipped.push(describeEvent(ev));
        continue;
      }
      if (this.completed || this.error) {
        assert.fail(
          `waiting for ${what}: the watch ended (${String(this.error ?? 'completed')}); skipped: ${skipped.join(', ')}`,
        );
      }
      const left = deadline - Date.now();
      if (left <= 0) assert.fail(`no ${what} within ${timeoutMs}ms; skipped: ${skipped.join(', ') || 'nothing'}`);
      await new Promise<void>((res) => {
        const t = setTimeout(res, left);
        this.waiter = () => {
          clearTimeout(t);
          res();
        };
      });
      this.waiter = undefined;
    }
  }
}

function describeEvent(ev: PodWatchEvent): string {
  switch (ev.kind) {
    case 'listed':
      return `listed[${ev.pods.map((p) => p.metadata?.name).join(',')}]`;
    case 'disconnected':
      return `disconnected(${ev.message})`;
    default:
      return `${ev.kind}(${ev.pod.metadata?.name})`;
  }
}

type Listed = Extract<PodWatchEvent, { kind: 'listed' }>;
type Disconnected = Extract<PodWatchEvent, { kind: 'disconnected' }>;
type PodEvent = Extract<PodWatchEvent, { pod: V1Pod }>;

const isListed = (ev: PodWatchEvent): ev is Listed => ev.kind === 'listed';
const isDisconnected = (ev: PodWatchEvent): ev is Disconnected => ev.kind === 'disconnected';
const isPodEvent =
  (kind: PodEvent['kind'], podName: string) =>
  (ev: PodWatchEvent): ev is PodEvent =>
    ev.kind === kind && ev.pod.metadata?.name === podName;

async function rejectsWithStatus(p: Promise<unknown>, status: number, what: string): Promise<KubeApiError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof KubeApiError, `${what}: expected a KubeApiError, got ${String(err)}`);
    assert.equal(err.status, status, `${what}: status of "${err.message}" (reason ${err.reason})`);
    return err;
  }
  assert.fail(`${what}: expected status ${status}, but it succeeded`);
}

function mirrorPod(name: string, node: V1Node): V1Pod {
  const nodeName = node.metadata?.name ?? '';
  const uid = node.metadata?.uid ?? '';
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: NS,
      labels: { 'staticlet.test/run': RUN },
      annotations: {
        'kubernetes.io/config.mirror': `hash-${RUN}`,
        'kubernetes.io/config.hash': `hash-${RUN}`,
        'kubernetes.io/config.source': 'file',
      },
      ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: nodeName, uid, controller: true }],
    },
    spec: {
      nodeName,
      containers: [{ name: 'web', image: 'staticlet.local/busybox:1', command: ['sleep', '3600'] }],
      restartPolicy: 'Always',
    },
  };
}

describe('KubeApi against a real kube-apiserver', () => {
  let dir = '';
  let adminKubeconfig = '';
  let started = false;
  let apiA: KubeApi | undefined;
  let apiB: KubeApi | undefined;
  let nodeA: V1Node | undefined;
  let nodeB: V1Node | undefined;
  let watchSub: Subscription | undefined;
  const events = new EventQueue();
  const logs: string[] = [];
  const podName = `web-${NODE_A}`;
  let pod: V1Pod | undefined;

  function a(): KubeApi {
    assert.ok(apiA, 'no client for node A (see the first failure)');
    return apiA;
  }

  async function kubectl(...args: string[]): Promise<string> {
    const { stdout } = await execFileP('kubectl', ['--kubeconfig', adminKubeconfig, '--request-timeout=10s', ...args], {
      timeout: 30_000,
      maxBuffer: 16 << 20,
    });
    return stdout;
  }

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'staticlet-kube-api-test-'));
    await controlPlane('start', dir);
    started = true;
    adminKubeconfig = join(dir, 'admin.kubeconfig');
    const kcA = await controlPlane('node-kubeconfig', dir, NODE_A);
    const kcB = await controlPlane('node-kubeconfig', dir, NODE_B);
    apiA = createKubeApi(kcA, { log: (m) => logs.push(`A: ${m}`) });
    apiB = createKubeApi(kcB, { log: (m) => logs.push(`B: ${m}`) });
  });

  after(async () => {
    watchSub?.unsubscribe();
    apiA?.close();
    apiB?.close();
    if (logs.length) console.log(`client logs:\n  ${logs.join('\n  ')}`);
    if (started) {
      try {
        await controlPlane('stop', dir);
      } catch (err) {
        console.error(`control-plane stop failed: ${String(err)}`);
      }
    }
    if (dir && !process.env['STATICLET_KEEP_TEST_DIR']) rmSync(dir, { recursive: true, force: true });
    else if (dir) console.log(`kept ${dir}`);
  });

  test('createNode / getNode as the node itself', STEP, async () => {
    assert.equal(await a().getNode(NODE_A), undefined, 'no Node yet: NotFound is undefined');
    const created = await a().createNode({
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: NODE_A, labels: { 'staticlet.test/run': RUN } },
    });
    assert.equal(created.metadata?.name, NODE_A);
    assert.ok(created.metadata?.uid, 'created Node has a uid');
    const got = await a().getNode(NODE_A);
    assert.equal(got?.metadata?.uid, created.metadata?.uid);
    assert.ok(got?.metadata?.creationTimestamp instanceof Date, 'timestamps are deserialized to Date');
    assert.ok(
      got?.spec?.taints?.some((t) => t.key === 'node.kubernetes.io/not-ready' && t.effect === 'NoSchedule'),
      `admission adds the not-ready taint: ${JSON.stringify(got?.spec?.taints)}`,
    );
    nodeA = got;

    assert.ok(apiB);
    nodeB = await apiB.createNode({ metadata: { name: NODE_B } });
    await rejectsWithStatus(a().createNode({ metadata: { name: `${NODE_B}-x` } }), 403, 'creating another node');
    await rejectsWithStatus(a().getNode(NODE_B), 403, 'reading another node');
    await rejectsWithStatus(a().createNode({ metadata: { name: NODE_A } }), 409, 'creating it twice');

    await a().patchNodeStatus(NODE_A, {
      conditions: [
        {
          type: 'Ready',
          status: 'True',
          reason: 'KubeletReady',
          message: 'staticlet test',
          lastHeartbeatTime: new Date(),
          lastTransitionTime: new Date(),
        },
      ],
    });
    const node = JSON.parse(await kubectl('get', 'node', NODE_A, '-o', 'json')) as V1Node;
    const ready = node.status?.conditions?.find((c) => c.type === 'Ready');
    assert.equal(ready?.status, 'True', 'strategic-merge patch of nodes/status applied');
  });

  test('leases: get (NotFound), create, get, replace', STEP, async () => {
    const ns = 'kube-node-lease';
    assert.equal(await a().getLease(ns, NODE_A), undefined);
    const lease: V1Lease = {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: {
        name: NODE_A,
        namespace: ns,
        ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: NODE_A, uid: nodeA?.metadata?.uid ?? '' }],
      },
      spec: { holderIdentity: NODE_A, leaseDurationSeconds: 40, renewTime: new Date(Date.now() - 10_000) },
    };
    const created = await a().createLease(lease);
    assert.equal(created.spec?.holderIdentity, NODE_A);
    const got = await a().getLease(ns, NODE_A);
    assert.ok(got?.metadata?.resourceVersion);
    const before = got.spec?.renewTime;
    assert.ok(before instanceof Date);
    const renewed = await a().replaceLease({ ...got, spec: { ...got.spec, renewTime: new Date() } });
    assert.notEqual(renewed.metadata?.resourceVersion, got.metadata?.resourceVersion);
    assert.ok((renewed.spec?.renewTime?.getTime() ?? 0) > before.getTime(), 'renewTime moved forward');
    // A stale resourceVersion is a conflict.
    await rejectsWithStatus(a().replaceLease(got), 409, 'replace with a stale resourceVersion');
  });

  test('watchNodePods lists first', STEP, async () => {
    watchSub = a()
      .watchNodePods(NODE_A)
      .subscribe({
        next: (ev) => events.push(ev),
        error: (err: unknown) => {
          events.error = err;
          events.wake();
        },
        complete: () => {
          events.completed = true;
          events.wake();
        },
      });
    const listed = await events.next('listed', isListed);
    assert.deepEqual(listed.pods, [], 'no pods on the node yet');
  });

  test('createPod of a mirror pod; the watch sees it added', STEP, async () => {
    assert.ok(nodeA);
    pod = await a().createPod(mirrorPod(podName, nodeA));
    assert.equal(pod.metadata?.name, podName);
    assert.ok(pod.metadata?.uid);
    const added = await events.next('added', isPodEvent('added', podName));
    assert.equal(added.pod.metadata?.uid, pod.metadata.uid);
    assert.ok(
      added.pod.metadata?.creationTimestamp instanceof Date,
      'watch objects are deserialized like list results',
    );
  });

  test('createPod for the other node is refused (403)', STEP, async () => {
    assert.ok(nodeB);
    const err = await rejectsWithStatus(
      a().createPod(mirrorPod(`web-${NODE_B}`, nodeB)),
      403,
      'mirror pod of node B created as node A',
    );
    assert.equal(err.reason, 'Forbidden');
  });

  test('patchPodStatus sets phase and container statuses', STEP, async () => {
    const startedAt = new Date(Date.now() - 5_000);
    await a().patchPodStatus(NS, podName, {
      phase: 'Running',
      hostIP: '127.0.0.1',
      podIP: '127.0.0.1',
      startTime: startedAt,
      conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: new Date() }],
      containerStatuses: [
        {
          name: 'web',
          ready: true,
          started: true,
          restartCount: 0,
          image: 'staticlet.local/busybox:1',
          imageID: 'sha256:0123',
          containerID: 'containerd://abc123',
          state: { running: { startedAt } },
        },
      ],
    });
    const got = JSON.parse(await kubectl('get', 'pod', '-n', NS, podName, '-o', 'json')) as {
      status?: {
        phase?: string;
        containerStatuses?: {
          name: string;
          ready: boolean;
          containerID?: string;
          state?: { running?: { startedAt?: string } };
        }[];
      };
    };
    assert.equal(got.status?.phase, 'Running');
    const cs = got.status?.containerStatuses?.[0];
    assert.equal(cs?.name, 'web');
    assert.equal(cs?.ready, true);
    assert.equal(cs?.containerID, 'containerd://abc123');
    assert.ok(cs?.state?.running?.startedAt, 'running.startedAt set');
    const modified = await events.next('modified', isPodEvent('modified', podName));
    assert.equal(modified.pod.status?.phase, 'Running');
  });

  test('deletePod: wrong uid is a conflict (409), right uid deletes at once, NotFound is success', STEP, async () => {
    const uid = pod?.metadata?.uid;
    assert.ok(uid);
    const err = await rejectsWithStatus(
      a().deletePod(NS, podName, '00000000-0000-0000-0000-000000000000'),
      409,
      'delete with a wrong uid',
    );
    assert.equal(err.reason, 'Conflict');
    await a().deletePod(NS, podName, uid);
    const deleted = await events.next('deleted', isPodEvent('deleted', podName));
    assert.equal(deleted.pod.metadata?.uid, uid);
    await assert.rejects(kubectl('get', 'pod', '-n', NS, podName, '-o', 'name'), /NotFound|not found/);
    await a().deletePod(NS, podName, uid); // gone already: success
    await a().deletePod(NS, `never-was-${RUN}`, uid);
  });

  test('createEvent shows in kubectl get events', STEP, async () => {
    const name = `${NODE_A}.${RUN}`;
    const now = new Date();
    const event: CoreV1Event = {
      metadata: { name, namespace: NS },
      involvedObject: { apiVersion: 'v1', kind: 'Node', name: NODE_A, uid: NODE_A },
      reason: 'StaticletTest',
      message: `hello from ${RUN}`,
      type: 'Normal',
      source: { component: 'staticlet', host: NODE_A },
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
      reportingComponent: 'staticlet',
      reportingInstance: NODE_A,
    };
    await a().createEvent(NS, event);
    const list = JSON.parse(await kubectl('get', 'events', '-n', NS, '-o', 'json')) as { items: CoreV1Event[] };
    const found = list.items.find((e) => e.metadata?.name === name);
    assert.ok(found, `event ${name} listed`);
    assert.equal(found.reason, 'StaticletTest');
    assert.equal(found.message, `hello from ${RUN}`);
  });

  test('a stopped API server: the watch reports it, calls fail fast with status 0, and it recovers', STEP, async () => {
    // Only what happens from here on.
    const t0 = Date.now();
    await controlPlane('stop-apiserver', dir);
    const stopSeconds = (Date.now() - t0) / 1000;

    const disconnected = await events.next('disconnected', isDisconnected, 30_000);
    assert.ok(disconnected.message.length > 0);
    console.log(
      `stop-apiserver took ${stopSeconds}s; disconnected after ${(Date.now() - t0) / 1000}s: ${disconnected.message}`,
    );

    const c0 = Date.now();
    const err = await rejectsWithStatus(a().getNode(NODE_A), 0, 'getNode with the API server down');
    const callMs = Date.now() - c0;
    assert.ok(callMs < 5_000, `the failed call took ${callMs}ms`);
    console.log(`call with the server down failed in ${callMs}ms: ${err.message} (reason ${err.reason})`);

    const r0 = Date.now();
    await controlPlane('start-apiserver', dir);
    const relisted = await events.next('listed again', isListed, 60_000);
    console.log(`start-apiserver + relist took ${(Date.now() - r0) / 1000}s`);
    assert.deepEqual(relisted.pods, []);
    assert.equal((await a().getNode(NODE_A))?.metadata?.name, NODE_A, 'calls work again');

    // And the renewed watch delivers events.
    assert.ok(nodeA);
    const again = await a().createPod(mirrorPod(`${podName}-2`, nodeA));
    await events.next('added after the restart', isPodEvent('added', `${podName}-2`));
    await a().deletePod(NS, `${podName}-2`, again.metadata?.uid ?? '');
    await events.next('deleted after the restart', isPodEvent('deleted', `${podName}-2`));
  });

  test('a frozen API server (SIGSTOP): calls time out, the watch notices, and it recovers', STEP, async () => {
    const kcA = join(dir, `node-${NODE_A}.kubeconfig`);
    const quickLogs: string[] = [];
    const quick = createKubeApi(kcA, {
      requestTimeoutMs: 2_000,
      watchTimeoutSeconds: 6,
      log: (m) => quickLogs.push(m),
    });
    const q = new EventQueue();
    const sub = quick.watchNodePods(NODE_A).subscribe({ next: (ev) => q.push(ev) });
    const pid = Number(readFileSync(join(dir, 'kube-apiserver.pid'), 'utf8').trim());
    assert.ok(pid > 1, 'kube-apiserver pid');
    let frozen = false;
    try {
      await q.next('listed', isListed);
      // The server ends each watch after its timeoutSeconds (6 to 11 s); the client renews it quietly.
      await new Promise((res) => setTimeout(res, 13_000));
      assert.ok(nodeA);
      const p = await quick.createPod(mirrorPod(`${podName}-3`, nodeA));
      await q.next('added on the renewed watch', isPodEvent('added', `${podName}-3`));
      assert.ok(!q.all.some(isDisconnected), `no disconnect on renewal: ${q.all.map(describeEvent).join(', ')}`);
      assert.ok(
        quickLogs.some((m) => m.includes('renewing')),
        `renewal logged: ${quickLogs.join(' | ')}`,
      );

      process.kill(pid, 'SIGSTOP');
      frozen = true;
      const c0 = Date.now();
      const err = await rejectsWithStatus(quick.getNode(NODE_A), 0, 'getNode with the API server frozen');
      const callMs = Date.now() - c0;
      assert.equal(err.reason, 'Timeout', err.message);
      assert.ok(callMs >= 1_900 && callMs < 4_000, `timed out after ${callMs}ms`);
      const d = await q.next('disconnected (frozen server)', isDisconnected, 20_000);
      console.log(`frozen server: call failed after ${callMs}ms (${err.message}); watch: ${d.message}`);

      // close() aborts a call in flight at once.
      const closing = createKubeApi(kcA);
      const pending = closing.getNode(NODE_A);
      const a0 = Date.now();
      setTimeout(() => closing.close(), 200);
      const aborted = await rejectsWithStatus(pending, 0, 'a call in flight when close() is called');
      assert.equal(aborted.reason, 'Aborted', aborted.message);
      assert.ok(Date.now() - a0 < 1_500, `aborted after ${Date.now() - a0}ms`);

      process.kill(pid, 'SIGCONT');
      frozen = false;
      const relisted = await q.next('listed after SIGCONT', isListed, 40_000);
      assert.deepEqual(
        relisted.pods.map((x) => x.metadata?.name),
        [`${podName}-3`],
      );
      await quick.deletePod(NS, `${podName}-3`, p.metadata?.uid ?? '');
      await q.next('deleted', isPodEvent('deleted', `${podName}-3`));
    } finally {
      if (frozen) process.kill(pid, 'SIGCONT');
      sub.unsubscribe();
      quick.close();
      console.log(`quick client logs:\n  ${quickLogs.join('\n  ')}`);
    }
  });

  test('unsubscribing and close() stop everything', STEP, async () => {
    watchSub?.unsubscribe();
    watchSub = undefined;
    a().close();
    await rejectsWithStatus(a().getNode(NODE_A), 0, 'a call after close()');
    // A watch on a closed client completes at once.
    const done = await new Promise<boolean>((res) => {
      const t = setTimeout(() => res(false), 5_000);
      a()
        .watchNodePods(NODE_A)
        .subscribe({
          complete: () => {
            clearTimeout(t);
            res(true);
          },
        });
    });
    assert.ok(done, 'watch on a closed client completes');
  });
});
