// The container prepared while its sandbox starts: a new host-network pod's first container is
// ready when RunPodSandbox answers, used once, and never used for a start it was not made for.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { Subject } from 'rxjs';
import type { CreateSandbox, RuntimeAction, StartContainer } from '../../src/core/actions.js';
import type { EventBody } from '../../src/core/events.js';
import { readManifest } from '../../src/core/manifest/read-manifest.js';
import type { StaticPod } from '../../src/core/static-pod.js';
import { podActions } from '../../src/effects/pod-actions.js';
import type { ContainerConfig, ContainerStatus, CriRuntime, PodSandboxConfig } from '../../src/runtime/cri/types.js';
import type { HostPort } from '../../src/runtime/host.js';
import type { ProbePort } from '../../src/runtime/probe-port.js';
import { NODE } from '../support/fixtures.js';

function pod(hostNetwork: boolean): StaticPod {
  const text = `apiVersion: v1\nkind: Pod\nmetadata: {name: web}\nspec:\n  hostNetwork: ${hostNetwork}\n  containers:\n    - name: main\n      image: staticlet.local/busybox:1\n      command: ["sleep", "3600"]\n`;
  const r = readManifest(text, { nodeName: NODE, source: 'file', origin: '/m/web.yaml', seenAt: 0 });
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  return r.pods[0]!;
}

/** A runtime whose RunPodSandbox answers only when the test says, and a host that records. */
function world() {
  const calls: string[] = [];
  let answerSandbox: (id: string) => void = () => undefined;
  const created: ContainerConfig[] = [];
  /** The sandbox configs RunPodSandbox got and each CreateContainer carried. */
  const sandboxConfigs: { run: PodSandboxConfig[]; create: PodSandboxConfig[] } = { run: [], create: [] };
  const status = (id: string, config: ContainerConfig): ContainerStatus => ({
    id, metadata: config.metadata, state: 'CONTAINER_RUNNING', createdAt: '1', startedAt: '2', finishedAt: '0', exitCode: 0,
    image: config.image.image, imageRef: config.image.image, reason: '', message: '', labels: config.labels, annotations: config.annotations, logPath: config.logPath,
  });
  const cri: Partial<CriRuntime> = {
    runPodSandbox: (config) => {
      calls.push('RunPodSandbox');
      sandboxConfigs.run.push(config);
      return new Promise<string>((resolve) => (answerSandbox = resolve));
    },
    podSandboxStatus: async (id) => ({ id, metadata: { name: 'web', uid: '', namespace: 'default', attempt: 0 }, state: 'SANDBOX_READY', createdAt: '1', network: { ip: '10.0.0.5', additionalIps: [] }, labels: {}, annotations: {} }),
    imageStatus: async () => ({ id: 'sha256:1', size: '1' }),
    createContainer: async (_sandbox, config, sandbox) => {
      calls.push(`CreateContainer ${config.metadata.name} attempt ${config.metadata.attempt}`);
      sandboxConfigs.create.push(sandbox);
      created.push(config);
      return `c${created.length}`;
    },
    startContainer: async () => undefined,
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
    .pipe(podActions({
      cri: cri as CriRuntime, host, log: pino({ level: 'silent' }), now: () => 0, concurrency: 8, probes: {} as ProbePort,
      spec: { nodeName: NODE, nodeIP: '192.0.2.10', podLogsDir: '/logs', rootDir: '/root', clusterDNS: [], clusterDomain: '', hostDns: { servers: [], searches: [], options: [] } },
    }))
    .subscribe((e) => events.push(e));
  return { calls, created, sandboxConfigs, actions, events, answerSandbox: (id: string) => answerSandbox(id) };
}

const settle = () => new Promise<void>((r) => setTimeout(r, 20));
const termination = (attempt: number) => (c: string) => c.endsWith(`/containers/main/termination-log-${attempt}`);

function createSandbox(p: StaticPod): CreateSandbox {
  return { kind: 'CreateSandbox', id: '1.0', podUid: p.uid, podFullName: 'default/web', pod: p, attempt: 0 };
}
function startContainer(p: StaticPod, attempt: number): StartContainer {
  return { kind: 'StartContainer', id: `2.${attempt}`, podUid: p.uid, podFullName: 'default/web', pod: p, sandboxId: 'sb1', containerName: 'main', init: false, attempt };
}

describe('the first container, prepared while its sandbox starts', () => {
  it('a host-network pod: prepared before RunPodSandbox answers, then used by its start without preparing again', async () => {
    const w = world();
    const p = pod(true);
    w.actions.next(createSandbox(p));
    await settle();
    assert.equal(w.events.length, 0, 'the sandbox has not answered yet');
    assert.equal(w.calls[0], 'RunPodSandbox', 'the sandbox is asked for first');
    assert.equal(w.calls.filter(termination(0)).length, 1, 'the termination file is made while the sandbox starts');
    w.answerSandbox('sb1');
    await settle();
    assert.equal(w.events.at(-1)?.type, 'ActionSucceeded');
    const before = w.calls.length;
    w.actions.next(startContainer(p, 0));
    await settle();
    assert.deepEqual(w.calls.slice(before), ['CreateContainer main attempt 0'], 'nothing prepared twice');
    assert.ok(w.created[0]!.mounts.some((m) => m.containerPath === '/dev/termination-log' && m.hostPath.endsWith('termination-log-0')));
    assert.ok(w.created[0]!.mounts.some((m) => m.containerPath === '/etc/hosts'), JSON.stringify(w.created[0]!.mounts));
    assert.equal(w.sandboxConfigs.create[0], w.sandboxConfigs.run[0], 'the sandbox config built for RunPodSandbox, not built again');
  });

  it('a start it was not made for (another attempt) prepares its own, and the entry is used up', async () => {
    const w = world();
    const p = pod(true);
    w.actions.next(createSandbox(p));
    w.answerSandbox('sb1');
    await settle();
    w.actions.next(startContainer(p, 1));
    await settle();
    assert.equal(w.calls.filter(termination(1)).length, 1);
    assert.ok(w.created[0]!.mounts.some((m) => m.hostPath.endsWith('termination-log-1')));
    w.actions.next(startContainer(p, 0));
    await settle();
    assert.equal(w.calls.filter(termination(0)).length, 2, 'the entry was used up by the first start: prepared again');
    assert.notEqual(w.sandboxConfigs.create[1], w.sandboxConfigs.run[0]);
    assert.deepEqual(w.sandboxConfigs.create[1], w.sandboxConfigs.run[0], 'built again, the same');
  });

  it('a pod on the pod network waits for its sandbox (its IP goes into the config)', async () => {
    const w = world();
    const p = pod(false);
    w.actions.next(createSandbox(p));
    await settle();
    assert.equal(w.calls.filter(termination(0)).length, 0);
    w.answerSandbox('sb1');
    await settle();
    w.actions.next(startContainer(p, 0));
    await settle();
    assert.equal(w.calls.filter(termination(0)).length, 1);
  });
});
