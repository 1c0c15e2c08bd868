// Probes and lifecycle hooks on a real containerd.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { IMAGE, sleep, useTestNode, waitFor } from '../support/harness.js';

describe('probes and lifecycle hooks', () => {
  const node = useTestNode();

  const attemptOf = async (pod: string) =>
    Math.max(
      -1,
      ...(await node.containers())
        .filter((c) => c.labels['io.kubernetes.pod.name'] === node.podName(pod))
        .map((c) => c.metadata.attempt),
    );

  it('a failing exec liveness probe restarts the container; a passing one leaves it alone', async () => {
    await node.writeManifest(
      'live.yaml',
      `apiVersion: v1
kind: Pod
metadata: {name: live}
spec:
  terminationGracePeriodSeconds: 2
  containers:
    - name: main
      image: ${IMAGE}
      command: ["sh", "-c", "touch /tmp/alive; trap 'exit 0' TERM; sleep 3600 & wait"]
      livenessProbe:
        exec: {command: ["test", "-f", "/tmp/alive"]}
        periodSeconds: 1
        timeoutSeconds: 5
        failureThreshold: 2
`,
    );
    await node.startAgent();
    const c = await waitFor('live running', () => node.running('live', 'main'));
    await sleep(3_500); // several passing probes
    assert.equal((await node.running('live', 'main'))?.id, c.id, 'a passing probe restarts nothing');
    await node.cri.execSync(c.id, ['rm', '/tmp/alive'], 5);
    await waitFor('restarted after the liveness probe failed', async () => (await attemptOf('live')) >= 1, 20_000);
    const again = await waitFor('running again', () => node.running('live', 'main'));
    assert.equal(again.podSandboxId, c.podSandboxId);
  });

  it('httpGet and tcpSocket probes reach the pod on its IP; a failing httpGet liveness probe restarts it', async () => {
    await node.writeManifest(
      'web.yaml',
      `apiVersion: v1
kind: Pod
metadata: {name: web}
spec:
  terminationGracePeriodSeconds: 2
  containers:
    - name: main
      image: ${IMAGE}
      command: ["sh", "-c", "mkdir -p /www && echo ok > /www/healthz && exec httpd -f -p 8080 -h /www"]
      ports: [{name: http, containerPort: 8080}]
      readinessProbe:
        tcpSocket: {port: http}
        periodSeconds: 1
      livenessProbe:
        httpGet: {path: /healthz, port: 8080}
        periodSeconds: 1
        timeoutSeconds: 5
        failureThreshold: 3
`,
    );
    const agent = await node.startAgent();
    const c = await waitFor('web running', () => node.running('web', 'main'));
    await sleep(3_000);
    assert.equal((await node.running('web', 'main'))?.id, c.id, 'the probes pass');
    await agent.waitForLog(/"probe":"readiness".*"ok":true|readiness.*passed/);
    await node.cri.execSync(c.id, ['rm', '/www/healthz'], 5); // now 404
    await waitFor(
      'restarted after the httpGet liveness probe failed',
      async () => (await attemptOf('web')) >= 1,
      30_000,
    );
    await agent.waitForLog(/liveness probe failed: HTTP 404/);
  });

  it('postStart and preStop hooks run (exec, sleep), preStop within the grace period', async () => {
    const out = join(node.dir, 'hooks');
    await mkdir(out);
    await node.writeManifest(
      'hooked.yaml',
      `apiVersion: v1
kind: Pod
metadata: {name: hooked}
spec:
  terminationGracePeriodSeconds: 10
  containers:
    - name: main
      image: ${IMAGE}
      command: ["sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"]
      volumeMounts: [{name: out, mountPath: /out}]
      lifecycle:
        postStart:
          exec: {command: ["sh", "-c", "echo started > /out/post-start"]}
        preStop:
          exec: {command: ["sh", "-c", "sleep 1; echo stopping > /out/pre-stop"]}
  volumes:
    - name: out
      hostPath: {path: ${out}, type: Directory}
`,
    );
    await node.startAgent();
    await waitFor('hooked running', () => node.running('hooked', 'main'));
    // The hook runs right after StartContainer, so the runtime may show the container a moment before.
    const postStart = await waitFor(
      'the postStart hook',
      () => readFile(join(out, 'post-start'), 'utf8').catch(() => undefined),
      10_000,
    );
    assert.equal(postStart.trim(), 'started');
    assert.ok(!existsSync(join(out, 'pre-stop')));
    await node.removeManifest('hooked.yaml');
    await waitFor('removed', async () => (await node.sandboxes()).length === 0, 30_000);
    assert.equal((await readFile(join(out, 'pre-stop'), 'utf8')).trim(), 'stopping', 'preStop ran before the stop');
  });

  it('a failing postStart hook kills the container and the restart policy restarts it', async () => {
    await node.writeManifest(
      'badhook.yaml',
      `apiVersion: v1
kind: Pod
metadata: {name: badhook}
spec:
  terminationGracePeriodSeconds: 1
  containers:
    - name: main
      image: ${IMAGE}
      command: ["sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"]
      lifecycle:
        postStart:
          exec: {command: ["false"]}
`,
    );
    const agent = await node.startAgent();
    const line = await agent.waitForLog(/PostStartHookError/, 20_000);
    assert.match(line, /postStart hook of container \\"main\\" failed/);
  });

  it('reports the termination message: the file, or with FallbackToLogsOnError the log tail', async () => {
    const eventLog = join(node.dir, 'events.jsonl');
    const pod = (name: string, script: string, extra = '') => `apiVersion: v1
kind: Pod
metadata: {name: ${name}}
spec:
  restartPolicy: Never
  containers:
    - name: main
      image: ${IMAGE}
      command: ["sh", "-c", ${JSON.stringify(script)}]
${extra}`;
    await node.writeManifest('file.yaml', pod('msgfile', 'echo "bye from the file" > /dev/termination-log; exit 3'));
    await node.writeManifest(
      'logs.yaml',
      pod('msglogs', 'echo "last words in the log"; exit 4', '      terminationMessagePolicy: FallbackToLogsOnError\n'),
    );
    await node.writeManifest(
      'custom.yaml',
      pod('msgcustom', 'echo custom > /tmp/why; exit 5', '      terminationMessagePath: /tmp/why\n'),
    );
    await node.startAgent([`--event-log=${eventLog}`]);
    await waitFor(
      'three termination messages',
      async () => {
        const text = await readFile(eventLog, 'utf8').catch(() => '');
        return (
          text.includes('"message":"bye from the file"') &&
          text.includes('"message":"last words in the log"') &&
          text.includes('"message":"custom"')
        );
      },
      20_000,
      200,
    );
  });
});
