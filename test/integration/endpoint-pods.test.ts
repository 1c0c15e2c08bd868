// /readyz, /pods and `staticlet status` of the real agent on the real containerd, over TCP and a
// unix socket: readiness flips as a pod becomes Ready and back when a manifest that cannot start
// is added; /pods is what crictl shows and what kubectl reads; status prints the table and the
// manifest problems, or says that no agent answers.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import type { V1Pod } from '@kubernetes/client-node';
import { crictl, IMAGE, manifest, useTestNode, waitFor } from '../support/harness.js';
import { freePort, get, staticlet } from '../support/endpoint.js';

const execFileP = promisify(execFile);

/** Ready once /tmp/ready exists in the container, which only the test creates (crictl exec). */
const gated = (name: string, image = IMAGE) =>
  manifest(name, {
    extraContainer: `      readinessProbe:
        exec: {command: [cat, /tmp/ready]}
        periodSeconds: 1
`,
  }).replace(IMAGE, image);

const BAD = `apiVersion: v1
kind: Pod
metadata:
  name: bad
spec:
  containers:
    - name: main
`;

interface PodListBody {
  kind: string;
  apiVersion: string;
  items: V1Pod[];
  problems: { origin: string; line?: number; column?: number; field?: string; message: string }[];
}

describe('readiness, /pods and staticlet status', () => {
  const node = useTestNode();

  it('turns ready as the pod becomes Ready, and not ready when a manifest that cannot start is added', async () => {
    const port = await freePort();
    await node.writeManifest('web.yaml', gated('web'));
    const agent = await node.startAgent([`--healthz-port=${port}`]);
    await agent.waitForLog(/serving \/healthz/);
    const web = await waitFor('web running', () => node.running('web', 'main'));
    const webCheck = `pod/default/${node.podName('web')}`;

    const waiting = await waitFor('/readyz naming the readiness probe', async () => {
      const a = await get(port, '/readyz');
      return a.status === 503 && a.body.includes('readiness probe') && a;
    });
    assert.match(waiting.body, new RegExp(`^\\[-\\]${webCheck} failed: container main: running, readiness probe`, 'm'));
    assert.match(waiting.body, /^\[\+\]runtime ok$/m);
    assert.match(waiting.body, /^\[\+\]source\/file ok$/m);
    assert.match(waiting.body, /readyz check failed\n$/);

    await crictl('exec', web.id, 'touch', '/tmp/ready');
    await waitFor('/readyz ok', async () => (await get(port, '/readyz')).body === 'ok');
    const verbose = await get(port, '/readyz?verbose');
    assert.match(verbose.body, new RegExp(`^\\[\\+\\]${webCheck} ok$`, 'm'));
    assert.equal((await get(port, `/readyz/${webCheck}`)).body, 'ok');

    // A pod whose image does not exist: not ready, and the answer says which container and why.
    await node.writeManifest('ghost.yaml', gated('ghost', 'staticlet.local/missing:1'));
    const ghostCheck = `pod/default/${node.podName('ghost')}`;
    const missing = await waitFor('/readyz naming the image pull', async () => {
      const a = await get(port, '/readyz');
      return a.status === 503 && /ErrImagePull|ImagePullBackOff/.test(a.body) && a;
    });
    assert.match(
      missing.body,
      new RegExp(
        `^\\[-\\]${ghostCheck} failed: container main: waiting: (ErrImagePull|ImagePullBackOff): .*missing`,
        'm',
      ),
    );
    assert.match(missing.body, new RegExp(`^\\[\\+\\]${webCheck} ok$`, 'm'));
    const excluded = await get(port, `/readyz?verbose&exclude=${node.podName('ghost')}`);
    assert.equal(excluded.status, 200, 'excluded by its pod name');
    assert.match(excluded.body, new RegExp(`^\\[\\+\\]${ghostCheck} excluded: ok$`, 'm'));

    await node.removeManifest('ghost.yaml');
    await waitFor('/readyz ok without it', async () => (await get(port, '/readyz')).status === 200);
  });

  it('lists the pods as crictl shows them, with the manifest problems, for jq, kubectl and staticlet status', async () => {
    const port = await freePort();
    await node.writeManifest('web.yaml', manifest('web'));
    await node.writeManifest('two.yaml', manifest('two', { extraContainer: sidecar }));
    await node.writeManifest('bad.yaml', BAD);
    const agent = await node.startAgent([`--healthz-port=${port}`]);
    await agent.waitForLog(/serving \/healthz/);
    await waitFor('web running', () => node.running('web', 'main'));
    await waitFor('two running', () => node.running('two', 'side'));

    const list = await waitFor('/pods with every container running', async () => {
      const l = JSON.parse((await get(port, '/pods')).body) as PodListBody;
      const states = l.items.flatMap((p) => p.status?.containerStatuses ?? []).map((c) => c.state?.running);
      return states.length === 3 && states.every(Boolean) && l;
    });
    assert.equal(list.kind, 'PodList');
    assert.equal(list.apiVersion, 'v1');

    // What crictl shows: the same pods, the same containers, ids, states and image references.
    const pods = JSON.parse(await crictl('pods', '-o', 'json')) as {
      items: { id: string; metadata: { name: string; uid: string } }[];
    };
    const ours = pods.items.filter((p) => p.metadata.name.endsWith(`-${node.nodeName}`));
    assert.deepEqual(list.items.map((p) => p.metadata?.name).sort(), ours.map((p) => p.metadata.name).sort());
    for (const p of list.items)
      assert.equal(p.metadata?.uid, ours.find((o) => o.metadata.name === p.metadata?.name)?.metadata.uid);
    const ps = JSON.parse(await crictl('ps', '-a', '-o', 'json')) as {
      containers: { id: string; podSandboxId: string; state: string; imageRef: string; metadata: { name: string } }[];
    };
    const sandboxIds = new Set(ours.map((p) => p.id));
    const seen = ps.containers
      .filter((c) => sandboxIds.has(c.podSandboxId))
      .map((c) => `${c.metadata.name} containerd://${c.id} ${c.state} ${c.imageRef}`)
      .sort();
    const served = list.items
      .flatMap((p) => p.status?.containerStatuses ?? [])
      .map((c) => `${c.name} ${c.containerID} ${c.state?.running ? 'CONTAINER_RUNNING' : 'other'} ${c.imageID}`)
      .sort();
    assert.deepEqual(served, seen);
    const two = list.items.find((p) => p.metadata?.name === node.podName('two'))!;
    assert.equal(two.status?.phase, 'Running');
    assert.ok(two.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
    assert.equal(two.metadata?.annotations?.['kubernetes.io/config.source'], 'file');

    const [problem] = list.problems;
    assert.equal(list.problems.length, 1);
    assert.deepEqual(problem, {
      origin: join(node.manifests, 'bad.yaml'),
      line: 7,
      column: 7,
      field: 'spec.containers[0].image',
      message: problem!.message,
    });

    // kubectl reads it with no API server: the items are pods.
    const body = (await get(port, '/pods')).body;
    const names = await kubectl(body, 'label', '--local', '-f', '-', 'checked=yes', '-o', 'name');
    assert.deepEqual(names.trim().split('\n').sort(), [`pod/${node.podName('two')}`, `pod/${node.podName('web')}`]);

    const status = await staticlet('status', `--healthz-port=${port}`);
    assert.equal(status.code, 0, status.stderr);
    const lines = status.stdout.split('\n');
    assert.match(lines[0]!, /^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE$/);
    assert.match(status.stdout, new RegExp(`^${node.podName('two')}\\s+2/2\\s+Running\\s+0\\s+\\S+$`, 'm'));
    assert.match(status.stdout, new RegExp(`^${node.podName('web')}\\s+1/1\\s+Running\\s+0\\s+\\S+$`, 'm'));
    assert.ok(
      status.stdout.includes(
        `  ${join(node.manifests, 'bad.yaml')}:7:7: spec.containers[0].image: ${problem!.message}`,
      ),
      status.stdout,
    );
  });

  it('serves on a unix socket set in the --config file, where staticlet status finds it', async () => {
    const socket = join(node.dir, 'run', 'healthz.sock');
    const config = join(node.dir, 'kubelet-config.yaml');
    await writeFile(
      config,
      `apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
healthzBindAddress: unix://${socket}
`,
    );
    await node.writeManifest('web.yaml', manifest('web'));
    const agent = await node.startAgent([`--config=${config}`], { endpoint: true });
    await agent.waitForLog(/serving \/healthz/);
    await waitFor('web running', () => node.running('web', 'main'));

    const status = await waitFor('status with web running', async () => {
      const s = await staticlet('status', `--config=${config}`);
      return s.code === 0 && /1\/1\s+Running/.test(s.stdout) && s;
    });
    assert.match(status.stdout, new RegExp(`^${node.podName('web')}\\s+1/1\\s+Running`, 'm'));
    const health = await execFileP('curl', ['-sS', '--unix-socket', socket, 'http://localhost/healthz']);
    assert.equal(health.stdout, 'ok');

    await agent.stop();
    const none = await staticlet('status', `--config=${config}`);
    assert.equal(none.code, 1);
    assert.match(none.stderr, new RegExp(`no agent answers at unix://${socket}`));
    assert.equal(none.stdout, '');
  });

  it('says so when no agent answers', async () => {
    const port = await freePort();
    const none = await staticlet('status', `--healthz-port=${port}`);
    assert.equal(none.code, 1);
    assert.match(none.stderr, new RegExp(`^staticlet status: no agent answers at http://127\\.0\\.0\\.1:${port}: `));
    assert.equal((await staticlet('status', '--healthz-port=0')).code, 1);
    assert.equal((await staticlet('status', '--healthz-port=x')).code, 2);
  });
});

const sidecar = `    - name: side
      image: ${IMAGE}
      command: ["sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"]
`;

async function kubectl(stdin: string, ...args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile('kubectl', args, { timeout: 60_000 }, (err, stdout, stderr) =>
      err ? reject(new Error(`kubectl ${args.join(' ')}: ${stderr || err.message}`)) : resolve(stdout),
    );
    child.stdin!.end(stdin);
  });
}
