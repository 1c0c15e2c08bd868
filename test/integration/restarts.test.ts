// Restarts, back-off, and the agent's own restart, on a real containerd or CRI-O.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { LABEL } from '../../src/core/runtime-labels.js';
import { nanosToMillis } from '../../src/runtime/cri/observations.js';
import { crictl, IMAGE, manifest, sleep, testRuntime, useTestNode, waitFor } from '../support/harness.js';

describe('restarts', () => {
  const node = useTestNode();

  it('a container stopped with crictl is started again in the same sandbox with attempt + 1', async () => {
    const eventLog = join(node.dir, 'events.jsonl');
    await node.writeManifest('web.yaml', manifest('web'));
    const agent = await node.startAgent([`--event-log=${eventLog}`]);
    const first = await waitFor('web running', () => node.running('web', 'main'));
    assert.equal(first.metadata.attempt, 0);
    await crictl('stop', first.id);
    const second = await waitFor('web restarted', async () => {
      const c = await node.running('web', 'main');
      return c && c.id !== first.id ? c : undefined;
    });
    assert.equal(second.metadata.attempt, 1);
    assert.equal(second.podSandboxId, first.podSandboxId, 'same POD ID');
    assert.equal(second.annotations['io.kubernetes.container.restartCount'], '1');
    const ps = await crictl('ps', '-a', '--pod', first.podSandboxId);
    assert.match(ps, /main\s+1\s+/, `crictl shows ATTEMPT 1:\n${ps}`);
    // containerd 1.6 has no CRI event stream: the exit came from its task events, with its facts.
    // CRI-O has one (enable_pod_events): the exit came through it, with the status sent along.
    if (testRuntime() === 'cri-o') await agent.waitForLog(/"events":"cri"/);
    const exited = (await readFile(eventLog, 'utf8'))
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { type: string; containerId?: string; exitCode?: number })
      .find((e) => e.type === 'ContainerExited' && e.containerId === first.id);
    assert.equal(
      exited?.exitCode,
      (await node.cri.containerStatus(first.id)).exitCode,
      'the exit event carries the exit code the CRI reports',
    );
  });

  it('a host-network pod: the first container, prepared while its sandbox starts, and the restarts, prepared after, each get their own mounts', async () => {
    await node.writeManifest(
      'hostnet.yaml',
      `apiVersion: v1
kind: Pod
metadata: {name: hostnet}
spec:
  hostNetwork: true
  terminationGracePeriodSeconds: 1
  initContainers:
    - name: setup
      image: ${IMAGE}
      command: ["sh", "-c", "grep -q 'Kubernetes-managed' /etc/hosts && echo setup-done > /dev/termination-log"]
  containers:
    - name: main
      image: ${IMAGE}
      command: ["sh", "-c", "grep -q 'Kubernetes-managed' /etc/hosts && echo attempt-$(cat /proc/sys/kernel/random/uuid) > /dev/termination-log; sleep 1; exit 3"]
`,
    );
    await node.startAgent();
    const second = await waitFor(
      'main restarted',
      async () =>
        (await node.containers()).find(
          (c) =>
            c.labels[LABEL.podName] === node.podName('hostnet') &&
            c.metadata.name === 'main' &&
            c.metadata.attempt >= 1,
        ),
      30_000,
    );
    const dir = `${node.rootDir}/pods/${second.labels['io.kubernetes.pod.uid']}/containers`;
    assert.equal(
      await readFile(`${dir}/setup/termination-log-0`, 'utf8'),
      'setup-done\n',
      'the init container ran with its mounts (prepared ahead)',
    );
    await waitFor('main wrote its second message', async () =>
      (await readFile(`${dir}/main/termination-log-1`, 'utf8').catch(() => '')).startsWith('attempt-'),
    );
    assert.match(
      await readFile(`${dir}/main/termination-log-0`, 'utf8'),
      /^attempt-/,
      'the first app container got its own file',
    );
    assert.notEqual(
      await readFile(`${dir}/main/termination-log-0`, 'utf8'),
      await readFile(`${dir}/main/termination-log-1`, 'utf8'),
    );
  });

  it('follows restartPolicy: Never keeps a dead container dead, OnFailure restarts failures only', async () => {
    await node.writeManifest('never.yaml', manifest('never', { restartPolicy: 'Never', script: 'sleep 3600' }));
    await node.writeManifest(
      'ok.yaml',
      manifest('ok', { restartPolicy: 'OnFailure', script: 'sleep 1; exit 0', trapTerm: false }),
    );
    await node.writeManifest(
      'fails.yaml',
      manifest('fails', { restartPolicy: 'OnFailure', script: 'sleep 1; exit 3', trapTerm: false }),
    );
    await node.startAgent();
    const never = await waitFor('never running', () => node.running('never', 'main'));
    await crictl('stop', never.id);
    await waitFor('fails restarted', async () =>
      (await node.containers()).some(
        (c) => c.labels[LABEL.podName] === node.podName('fails') && c.metadata.attempt >= 1,
      ),
    );
    await sleep(2_000);
    const all = await node.containers();
    const of = (pod: string) => all.filter((c) => c.labels[LABEL.podName] === node.podName(pod));
    assert.deepEqual(
      of('never').map((c) => [c.metadata.attempt, c.state]),
      [[0, 'CONTAINER_EXITED']],
    );
    assert.deepEqual(
      of('ok').map((c) => [c.metadata.attempt, c.state]),
      [[0, 'CONTAINER_EXITED']],
    );
  });

  it('CrashLoopBackOff: the first restart is immediate, the next waits 10 s', async () => {
    await node.writeManifest('crash.yaml', manifest('crash', { script: 'exit 1', trapTerm: false }));
    await node.startAgent();
    const attempts = async () => Math.max(-1, ...(await node.containers()).map((c) => c.metadata.attempt));
    await waitFor('the first restart', async () => (await attempts()) >= 1, 10_000);
    await waitFor('the second restart after the back-off', async () => (await attempts()) >= 2, 30_000);
    // Judged on the runtime's own clock, so a slow poll on a busy machine cannot blur it.
    const byAttempt = new Map((await node.containers()).map((c) => [c.metadata.attempt, c]));
    const firstRestartEnded = nanosToMillis((await node.cri.containerStatus(byAttempt.get(1)!.id)).finishedAt)!;
    const secondRestartCreated = nanosToMillis(byAttempt.get(2)!.createdAt)!;
    const waited = secondRestartCreated - firstRestartEnded;
    assert.ok(
      waited >= 9_500 && waited < 20_000,
      `the second restart waited ${waited} ms after the exit (back-off 10 s)`,
    );
    const agentLog = node.agents[0]!.logs.join('\n');
    assert.doesNotMatch(agentLog, /"attempt":3/, 'the third start waits 20 s more');
  });

  it('after SIGKILL and a restart, the agent adopts the running containers and cleans up removed manifests', async () => {
    await node.writeManifest('keep.yaml', manifest('keep'));
    await node.writeManifest('drop.yaml', manifest('drop'));
    const agent = await node.startAgent();
    const keep = await waitFor('keep running', () => node.running('keep', 'main'));
    await waitFor('drop running', () => node.running('drop', 'main'));
    await agent.stop('SIGKILL');

    await node.removeManifest('drop.yaml');
    const second = await node.startAgent();
    await waitFor(
      'drop removed',
      async () => !(await node.sandboxes()).some((s) => s.metadata.name === node.podName('drop')),
    );
    await sleep(1_500);
    const containers = await node.containers();
    assert.deepEqual(
      containers.map((c) => [c.id, c.metadata.attempt, c.state]),
      [[keep.id, 0, 'CONTAINER_RUNNING']],
      'nothing restarted, nothing duplicated',
    );
    assert.equal((await node.sandboxes()).length, 1);
    assert.ok(!second.logs.some((l) => /sandbox started|container started/.test(l)));
  });

  it('never touches sandboxes or containers it did not create', async () => {
    // A pod made by someone else, with the kubelet's labels but not ours.
    const foreignConfig = {
      metadata: { name: 'foreign', namespace: 'default', uid: 'foreign-uid', attempt: 0 },
      hostname: '',
      logDirectory: '',
      portMappings: [],
      labels: { 'io.kubernetes.pod.name': 'foreign', 'staticlet.test/owner': node.nodeName },
      annotations: {},
      linux: {
        securityContext: {
          namespaceOptions: { network: 'NODE' as const, pid: 'CONTAINER' as const, ipc: 'POD' as const },
        },
      },
    };
    const foreign = await node.cri.runPodSandbox(foreignConfig);
    try {
      const fc = await node.cri.createContainer(
        foreign,
        {
          metadata: { name: 'x', attempt: 0 },
          image: { image: IMAGE, userSpecifiedImage: IMAGE },
          command: ['sleep', '3600'],
          args: [],
          workingDir: '',
          envs: [],
          mounts: [],
          labels: {},
          annotations: {},
          logPath: '',
          // The pod's namespaces, as the kubelet gives them (CRI-O refuses a container asking for
          // a pod PID namespace its sandbox does not have).
          linux: { securityContext: { namespaceOptions: foreignConfig.linux.securityContext.namespaceOptions } },
        },
        foreignConfig,
      );
      await node.cri.startContainer(fc);
      await node.writeManifest('web.yaml', manifest('web'));
      await node.startAgent();
      await waitFor('web running', () => node.running('web', 'main'));
      await node.removeManifest('web.yaml');
      await waitFor('web removed', async () => (await node.sandboxes()).length === 0);
      const status = await node.cri.containerStatus(fc);
      assert.equal(status.state, 'CONTAINER_RUNNING', 'the foreign container still runs');
      assert.equal((await node.cri.podSandboxStatus(foreign)).state, 'SANDBOX_READY');
    } finally {
      await node.cri.stopPodSandbox(foreign).catch(() => undefined);
      await node.cri.removePodSandbox(foreign).catch(() => undefined);
    }
  });
});
