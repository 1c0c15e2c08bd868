// A new sandbox's first container, started within the sandbox's action: prepared while the
// sandbox starts where it needs nothing from it (a host-network pod), its failure reported as the
// container's, and a sandbox without a first container left alone.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { Subject } from 'rxjs';
import type { CreateSandbox, RuntimeAction } from '../../src/core/model/actions.js';
import type { EventBody } from '../../src/core/model/events.js';
import { readManifest } from '../../src/core/manifest/read-manifest.js';
import type { StaticPod } from '../../src/core/model/static-pod.js';
import { podActions } from '../../src/effects/pod-actions.js';
import type { CriRuntime } from '../../src/cri-api/runtime-service.js';
import type { ContainerConfig, ContainerStatus, PodSandboxConfig } from '../../src/cri-api/messages.js';
import type { HostPort } from '../../src/runtime/host.js';
import type { ProbePort } from '../../src/runtime/probe-port.js';
import { RuntimeStatusCache } from '../../src/runtime/cri/status-cache.js';
import { NODE } from '../support/fixtures.js';

function pod(hostNetwork: boolean): StaticPod {
  const text = `apiVersion: v1\nkind: Pod\nmetadata: {name: web}\nspec:\n  hostNetwork: ${hostNetwork}\n  containers:\n    - name: main\n      image: staticlet.local/busybox:1\n      command: ["sleep", "3600"]\n`;
  const r = readManifest(text, { nodeName: NODE, source: 'file', origin: '/m/web.yaml', seenAt: 0 });
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  return r.pods[0]!;
}

/** When the runtime says each sandbox was created (ms since the epoch); the agent's clock reads 0. */
const RUNTIME_CREATED_MS = 1_700_000_000_000;

/** A runtime whose RunPodSandbox answers only when the test says, and a host that records. */
function world(opts: { exitAtOnce?: boolean; holdSandboxStatus?: boolean; failSandboxStatus?: boolean } = {}) {
  const calls: string[] = [];
  let answerSandboxStatus: () => void = () => undefined;
  const sandboxStatusHeld = opts.holdSandboxStatus
    ? new Promise<void>((resolve) => (answerSandboxStatus = resolve))
    : Promise.resolve();
  const statusCache = new RuntimeStatusCache();
  let answerSandbox: (id: string) => void = () => undefined;
  const created: ContainerConfig[] = [];
  /** The sandbox configs RunPodSandbox got and each CreateContainer carried. */
  const sandboxConfigs: { run: PodSandboxConfig[]; create: PodSandboxConfig[] } = { run: [], create: [] };
  const status = (id: string, config: ContainerConfig): ContainerStatus => ({
    id,
    metadata: config.metadata,
    state: opts.exitAtOnce ? 'CONTAINER_EXITED' : 'CONTAINER_RUNNING',
    createdAt: '1',
    startedAt: '2',
    finishedAt: opts.exitAtOnce ? '3' : '0',
    exitCode: 0,
    image: config.image.image,
    imageRef: config.image.image,
    reason: '',
    message: '',
    labels: config.labels,
    annotations: config.annotations,
    logPath: config.logPath,
  });
  let failCreate = false;
  const cri: Partial<CriRuntime> = {
    runPodSandbox: (config) => {
      calls.push('RunPodSandbox');
      sandboxConfigs.run.push(config);
      return new Promise<string>((resolve) => (answerSandbox = resolve));
    },
    podSandboxStatus: async (id) => {
      calls.push('PodSandboxStatus');
      await sandboxStatusHeld;
      if (opts.failSandboxStatus) throw new Error('sandbox status unavailable');
      return {
        id,
        metadata: { name: 'web', uid: '', namespace: 'default', attempt: 0 },
        state: 'SANDBOX_READY',
        createdAt: `${RUNTIME_CREATED_MS * 1_000_000}`,
        network: { ip: '10.0.0.5', additionalIps: [] },
        labels: {},
        annotations: {},
      };
    },
    imageStatus: async () => ({ id: 'sha256:1', size: '1' }),
    createContainer: async (_sandbox, config, sandbox) => {
      calls.push(`CreateContainer ${config.metadata.name} attempt ${config.metadata.attempt}`);
      if (failCreate) throw new Error('no space left on device');
      sandboxConfigs.create.push(sandbox);
      created.push(config);
      return `c${created.length}`;
    },
    startContainer: async (id) => void calls.push(`StartContainer ${id}`),
    containerStatus: async (id) => status(id, created[Number(id.slice(1)) - 1]!),
  };
  const host: HostPort = {
    ensureDirectory: async (path) => void calls.push(`mkdir ${path}`),
    removeTree: async () => undefined,
    writeFile: async (path) => void calls.push(`write ${path}`),
    prepare: async (item) => void calls.push(`prepare ${item.kind}`),
    readFile: async () => '127.0.0.1 localhost\n',
    unmountUnder: async () => undefined,
  };
  const actions = new Subject<RuntimeAction>();
  const events: EventBody[] = [];
  actions
    .pipe(
      podActions({
        cri: cri as CriRuntime,
        host,
        log: pino({ level: 'silent' }),
        now: () => 0,
        concurrency: 8,
        probes: {} as ProbePort,
        statusCache,
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
  return {
    calls,
    statusCache,
    created,
    sandboxConfigs,
    actions,
    events,
    answerSandbox: (id: string) => answerSandbox(id),
    answerSandboxStatus: () => answerSandboxStatus(),
    failCreate: () => (failCreate = true),
  };
}

const settle = () => new Promise<void>((r) => setTimeout(r, 20));
const termination = (attempt: number) => (c: string) => c.endsWith(`/containers/main/termination-log-${attempt}`);

/** `null`: without a first container. */
function createSandbox(
  p: StaticPod,
  first: CreateSandbox['first'] | null = { containerName: 'main', init: false, attempt: 0 },
): CreateSandbox {
  return {
    kind: 'CreateSandbox',
    id: '1.0',
    podUid: p.uid,
    podFullName: 'default/web',
    pod: p,
    attempt: 0,
    ...(first ? { first } : {}),
  };
}

/** The one result event of the action. */
function outcomeOf(events: EventBody[]) {
  assert.equal(events.length, 1, JSON.stringify(events));
  const e = events[0]!;
  assert.equal(e.type, 'ActionSucceeded', JSON.stringify(e));
  return e.type === 'ActionSucceeded' ? e.outcome : {};
}

describe("a new sandbox's first container", () => {
  it('a host-network pod: prepared before RunPodSandbox answers, then created and started in the same action', async () => {
    const w = world();
    const p = pod(true);
    w.actions.next(createSandbox(p));
    await settle();
    assert.equal(w.events.length, 0, 'the sandbox has not answered yet');
    assert.equal(w.calls[0], 'RunPodSandbox', 'the sandbox is asked for first');
    assert.equal(w.calls.filter(termination(0)).length, 1, 'the termination file is made while the sandbox starts');
    const before = w.calls.length;
    w.answerSandbox('sb1');
    await settle();
    assert.deepEqual(
      w.calls.slice(before),
      ['CreateContainer main attempt 0', 'StartContainer c1', 'PodSandboxStatus'],
      'nothing prepared twice; the sandbox status asked for its creation time only after the start',
    );
    const outcome = outcomeOf(w.events);
    assert.deepEqual(
      outcome.sandboxes?.map((s) => [s.id, s.createdAt]),
      [['sb1', RUNTIME_CREATED_MS]],
      "the runtime's creation time, as the relist will see it, not the agent's clock",
    );
    assert.deepEqual(
      outcome.containers?.map((c) => [c.id, c.name, c.state]),
      [['c1', 'main', 'running']],
    );
    assert.ok(
      w.created[0]!.mounts.some(
        (m) => m.containerPath === '/dev/termination-log' && m.hostPath.endsWith('termination-log-0'),
      ),
    );
    assert.ok(
      w.created[0]!.mounts.some((m) => m.containerPath === '/etc/hosts'),
      JSON.stringify(w.created[0]!.mounts),
    );
    assert.equal(
      w.sandboxConfigs.create[0],
      w.sandboxConfigs.run[0],
      'the sandbox config built for RunPodSandbox, not built again',
    );
    assert.deepEqual(
      w.created[0]!.image,
      { image: 'staticlet.local/busybox:1', userSpecifiedImage: 'staticlet.local/busybox:1' },
      'the image as the manifest names it, as the kubelet sends it (CRI-O requires it)',
    );
    assert.equal(w.statusCache.containers.get('c1')?.state, 'CONTAINER_RUNNING', 'a running status is cached');
  });

  it("a host-network pod's outcome waits for the sandbox's status, read after the start", async () => {
    const w = world({ holdSandboxStatus: true });
    w.actions.next(createSandbox(pod(true)));
    await settle();
    w.answerSandbox('sb1');
    await settle();
    assert.ok(w.calls.includes('StartContainer c1'), `started, the status unanswered: ${w.calls.join(', ')}`);
    assert.equal(w.events.length, 0, 'the outcome waits for the status');
    w.answerSandboxStatus();
    await settle();
    assert.deepEqual(
      outcomeOf(w.events).sandboxes?.map((s) => s.createdAt),
      [RUNTIME_CREATED_MS],
    );
  });

  it('a host-network sandbox whose status cannot be read still stands, as asked for, with its container', async () => {
    const w = world({ failSandboxStatus: true });
    w.actions.next(createSandbox(pod(true)));
    await settle();
    w.answerSandbox('sb1');
    await settle();
    const outcome = outcomeOf(w.events);
    assert.deepEqual(
      outcome.sandboxes?.map((s) => [s.id, s.ready, s.createdAt]),
      [['sb1', true, 0]],
      "the agent's clock stands in; the next relist brings the runtime's view",
    );
    assert.deepEqual(
      outcome.containers?.map((c) => c.state),
      ['running'],
    );
  });

  it('a container already exited when its start is confirmed is not cached: the relist reads its termination message', async () => {
    const w = world({ exitAtOnce: true });
    w.actions.next(createSandbox(pod(true)));
    w.answerSandbox('sb1');
    await settle();
    assert.deepEqual(
      outcomeOf(w.events).containers?.map((c) => [c.id, c.state]),
      [['c1', 'exited']],
    );
    assert.equal(w.statusCache.containers.has('c1'), false);
  });

  it('the attempt the diff chose names the container and its termination file', async () => {
    const w = world();
    const p = pod(true);
    w.actions.next(createSandbox(p, { containerName: 'main', init: false, attempt: 3 }));
    w.answerSandbox('sb1');
    await settle();
    assert.deepEqual(
      w.calls.filter((c) => c.startsWith('CreateContainer')),
      ['CreateContainer main attempt 3'],
    );
    assert.ok(w.created[0]!.mounts.some((m) => m.hostPath.endsWith('termination-log-3')));
  });

  it('a pod on the pod network: its container waits for the sandbox (its IP goes into the config)', async () => {
    const w = world();
    const p = pod(false);
    w.actions.next(createSandbox(p));
    await settle();
    assert.equal(w.calls.filter(termination(0)).length, 0);
    w.answerSandbox('sb1');
    await settle();
    assert.equal(w.calls.filter(termination(0)).length, 1);
    assert.ok(w.calls.indexOf('PodSandboxStatus') < w.calls.indexOf('CreateContainer main attempt 0'));
    assert.deepEqual(
      outcomeOf(w.events).containers?.map((c) => c.name),
      ['main'],
    );
  });

  it("a container that fails: the sandbox stands, and the failure is reported as the container's", async () => {
    const w = world();
    const p = pod(true);
    w.failCreate();
    w.actions.next(createSandbox(p));
    w.answerSandbox('sb1');
    await settle();
    const outcome = outcomeOf(w.events);
    assert.deepEqual(
      outcome.sandboxes?.map((s) => s.id),
      ['sb1'],
    );
    assert.equal(outcome.containers, undefined);
    assert.deepEqual(outcome.firstFailed, { reason: 'CreateContainerError', message: 'no space left on device' });
  });

  it('no first container (its start waits out a failure): the sandbox alone', async () => {
    const w = world();
    const p = pod(true);
    w.actions.next(createSandbox(p, null));
    w.answerSandbox('sb1');
    await settle();
    assert.equal(
      w.calls.some((c) => c.startsWith('CreateContainer')),
      false,
    );
    assert.equal(w.calls.filter(termination(0)).length, 0, 'nothing prepared');
    assert.deepEqual(
      outcomeOf(w.events).sandboxes?.map((s) => s.id),
      ['sb1'],
    );
  });
});
