// Security contexts and namespaces on the real runtime: users and groups, capabilities, read-only
// root, no_new_privs, seccomp, privileged, hostPID/hostIPC, shareProcessNamespace, runAsNonRoot.
import assert from 'node:assert/strict';
import { readlink, readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { IMAGE, useTestNode, waitFor, type TestNode } from '../support/harness.js';

async function run(node: TestNode, id: string, cmd: string): Promise<{ out: string; code: number }> {
  const r = await node.cri.execSync(id, ['sh', '-c', cmd], 10);
  return { out: r.stdout.toString().trim(), code: r.exitCode };
}

const status = async (node: TestNode, id: string, field: string) =>
  (await run(node, id, `grep '^${field}:' /proc/1/status`)).out.split(/\s+/)[1];

/** The container's own mounts on the /proc and /sys paths the runtime masks or makes read-only:
 * mount point → its options. */
async function procMasks(node: TestNode, id: string): Promise<Map<string, string>> {
  const { out } = await run(node, id, "awk '$5 ~ /^\\/(proc|sys)\\// {print $5, $6}' /proc/self/mountinfo");
  return new Map(
    out
      .split('\n')
      .filter(Boolean)
      .map((line) => line.split(' ') as [string, string]),
  );
}

const sleeper = (name: string, extra = '') => `    - name: ${name}
      image: ${IMAGE}
      command: ["sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"]
${extra}`;

describe('pod fields: security context', () => {
  const node = useTestNode();

  it('runs as the given user and groups, with the given capabilities, read-only root, no_new_privs and seccomp', async () => {
    await node.writeManifest(
      'sec.yaml',
      `apiVersion: v1
kind: Pod
metadata:
  name: sec
spec:
  terminationGracePeriodSeconds: 1
  securityContext:
    runAsUser: 1000
    runAsGroup: 3000
    fsGroup: 2000
    supplementalGroups: [4000]
    runAsNonRoot: true
    seccompProfile: {type: RuntimeDefault}
  containers:
${sleeper(
  'restricted',
  `      securityContext:
        runAsUser: 1001
        readOnlyRootFilesystem: true
        allowPrivilegeEscalation: false
        capabilities: {drop: [ALL], add: [NET_BIND_SERVICE]}
`,
)}${sleeper(
        'plain',
        `      securityContext:
        seccompProfile: {type: Unconfined}
`,
      )}${sleeper(
        'root-caps',
        `      securityContext:
        runAsUser: 0
        runAsNonRoot: false
        capabilities: {drop: [ALL], add: [NET_ADMIN, CAP_SYS_TIME]}
`,
      )}${sleeper(
        'privileged',
        `      securityContext:
        runAsUser: 0
        runAsNonRoot: false
        privileged: true
`,
      )}`,
    );
    await node.startAgent();
    const restricted = await waitFor('restricted running', () => node.running('sec', 'restricted'), 30_000);
    const plain = await waitFor('plain running', () => node.running('sec', 'plain'), 30_000);
    const privileged = await waitFor('privileged running', () => node.running('sec', 'privileged'), 30_000);
    const rootCaps = await waitFor('root-caps running', () => node.running('sec', 'root-caps'), 30_000);

    assert.equal((await run(node, restricted.id, 'id -u')).out, '1001', 'the container wins');
    assert.equal((await run(node, restricted.id, 'id -g')).out, '3000');
    assert.deepEqual(
      (await run(node, restricted.id, 'id -G')).out.split(' ').sort(),
      ['2000', '3000', '4000'],
      'fsGroup and supplementalGroups',
    );
    assert.equal(await status(node, restricted.id, 'CapBnd'), '0000000000000400', 'only NET_BIND_SERVICE');
    assert.equal(
      await status(node, restricted.id, 'CapEff'),
      '0000000000000000',
      'a non-root user has no effective capabilities (no ambient ones, like the kubelet)',
    );
    assert.equal(await status(node, restricted.id, 'NoNewPrivs'), '1');
    assert.equal(await status(node, restricted.id, 'Seccomp'), '2', 'RuntimeDefault from the pod');
    assert.notEqual((await run(node, restricted.id, 'touch /rootfs-write')).code, 0, 'read-only root filesystem');
    assert.equal(
      (await run(node, restricted.id, 'touch /tmp/x 2>&1')).code !== 0,
      true,
      '/tmp is part of the read-only root too',
    );

    assert.equal((await run(node, plain.id, 'id -u')).out, '1000', "the pod's user");
    assert.equal(await status(node, plain.id, 'Seccomp'), '0', 'Unconfined by the container');
    assert.equal(await status(node, plain.id, 'NoNewPrivs'), '0');
    assert.equal(
      await status(node, plain.id, 'CapEff'),
      '0000000000000000',
      'a non-root user has no effective capabilities',
    );
    // procMount Default, like the kubelet's: kernel details masked, kernel settings read-only.
    const masks = await procMasks(node, plain.id);
    assert.ok(masks.has('/proc/keys') && masks.has('/proc/timer_list'), [...masks.keys()].join(' '));
    assert.match(masks.get('/proc/sys') ?? '', /^ro\b/, "the node's kernel settings are read-only");
    assert.equal((await run(node, plain.id, 'cat /proc/keys | wc -c')).out, '0', 'masked: reads as empty');

    // NET_ADMIN is bit 12, SYS_TIME bit 25; the CAP_ prefix is optional.
    assert.equal(await status(node, rootCaps.id, 'CapEff'), (2n ** 12n + 2n ** 25n).toString(16).padStart(16, '0'));

    assert.equal((await run(node, privileged.id, 'id -u')).out, '0');
    const capEff = BigInt(`0x${await status(node, privileged.id, 'CapEff')}`);
    const hostCapEff = BigInt(`0x${(await readFile('/proc/self/status', 'utf8')).match(/^CapEff:\s+(\w+)/m)![1]}`);
    assert.equal(capEff, hostCapEff, 'privileged: every capability the node has');
    assert.equal(await status(node, privileged.id, 'Seccomp'), '0', 'privileged containers are not confined');
    const privilegedMasks = await procMasks(node, privileged.id);
    assert.ok(
      !privilegedMasks.has('/proc/keys') && !privilegedMasks.has('/proc/sys'),
      'nothing masked for a privileged container',
    );
  });

  it("hostPID and hostIPC share the node's namespaces; shareProcessNamespace shares the pod's", async () => {
    await node.writeManifest(
      'host.yaml',
      `apiVersion: v1
kind: Pod
metadata:
  name: host
spec:
  terminationGracePeriodSeconds: 1
  hostPID: true
  hostIPC: true
  containers:
${sleeper('main')}`,
    );
    await node.writeManifest(
      'shared.yaml',
      `apiVersion: v1
kind: Pod
metadata:
  name: shared
spec:
  terminationGracePeriodSeconds: 1
  shareProcessNamespace: true
  containers:
${sleeper('a')}    - name: b
      image: ${IMAGE}
      command: ["sh", "-c", "trap 'exit 0' TERM; sleep 3601 & wait"]
`,
    );
    await node.startAgent();
    const host = await waitFor('host running', () => node.running('host', 'main'), 30_000);
    const a = await waitFor('a running', () => node.running('shared', 'a'), 30_000);
    await waitFor('b running', () => node.running('shared', 'b'), 30_000);

    assert.equal((await run(node, host.id, 'readlink /proc/self/ns/pid')).out, await readlink('/proc/self/ns/pid'));
    assert.equal((await run(node, host.id, 'readlink /proc/self/ns/ipc')).out, await readlink('/proc/self/ns/ipc'));
    assert.equal(
      (await run(node, host.id, `kill -0 ${process.pid} && echo seen`)).out,
      'seen',
      "the node's processes are visible",
    );

    const ps = (await run(node, a.id, 'cat /proc/[0-9]*/cmdline | tr "\\0" " "')).out;
    assert.match(ps, /sleep 3601/, "container a sees container b's processes");
    // The sandbox's pause process (here busybox sleeping forever) is PID 1 of the pod.
    assert.match((await run(node, a.id, 'cat /proc/1/cmdline | tr "\\0" " "')).out, /pause|sleep 2147483647/);
    assert.notEqual((await run(node, a.id, 'readlink /proc/self/ns/pid')).out, await readlink('/proc/self/ns/pid'));
  });

  it('runAsNonRoot with an image that runs as root: CreateContainerConfigError, nothing started', async () => {
    await node.writeManifest(
      'nonroot.yaml',
      `apiVersion: v1
kind: Pod
metadata:
  name: nonroot
spec:
  terminationGracePeriodSeconds: 1
  securityContext: {runAsNonRoot: true}
  containers:
${sleeper('main')}`,
    );
    const agent = await node.startAgent();
    const line = await agent.waitForLog(/StartContainer failed/, 30_000);
    assert.match(line, /"reason":"CreateContainerConfigError"/);
    assert.match(line, /container has runAsNonRoot and image will run as root/);
    assert.equal((await node.containers()).length, 0);
  });
});
