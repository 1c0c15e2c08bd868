// Volumes on the real runtime: hostPath types (checked or created before the container), emptyDir
// on tmpfs (unmounted when the pod goes), subPath, readOnly, mount propagation.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { unmountUnder } from '../../src/runtime/host.js';
import { IMAGE, useTestNode, waitFor, type TestNode } from '../support/harness.js';

const execFileP = promisify(execFile);

async function run(node: TestNode, id: string, cmd: string): Promise<{ out: string; code: number }> {
  const r = await node.cri.execSync(id, ['sh', '-c', cmd], 10);
  return { out: r.stdout.toString().trim(), code: r.exitCode };
}

const mountsUnder = async (dir: string) =>
  (await readFile('/proc/self/mountinfo', 'utf8')).split('\n').filter((l) => l.split(' ')[4]?.startsWith(dir));

const SLEEP = `["sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"]`;

describe('pod fields: volumes', () => {
  const node = useTestNode();

  it('checks and creates hostPaths by type, mounts memory emptyDirs as tmpfs, subPaths inside their volume', async () => {
    const host = join(node.dir, 'host');
    await mkdir(host);
    await writeFile(join(host, 'app.conf'), 'key=value\n');
    const server = createServer();
    await new Promise<void>((r) => server.listen(join(host, 'app.sock'), r));
    try {
      await node.writeManifest(
        'vols.yaml',
        `apiVersion: v1
kind: Pod
metadata:
  name: vols
spec:
  terminationGracePeriodSeconds: 1
  volumes:
    - {name: conf, hostPath: {path: ${host}/app.conf, type: File}}
    - {name: created, hostPath: {path: ${host}/created.conf, type: FileOrCreate}}
    - {name: sock, hostPath: {path: ${host}/app.sock, type: Socket}}
    - {name: devnull, hostPath: {path: /dev/null, type: CharDevice}}
    - {name: dir, hostPath: {path: ${host}/made/here, type: DirectoryOrCreate}}
    - {name: cache, emptyDir: {medium: Memory, sizeLimit: 16Mi}}
  containers:
    - name: main
      image: ${IMAGE}
      command: ${SLEEP}
      securityContext: {runAsUser: 1000}
      volumeMounts:
        - {name: conf, mountPath: /etc/app.conf, readOnly: true}
        - {name: created, mountPath: /etc/created.conf}
        - {name: sock, mountPath: /run/app.sock}
        - {name: devnull, mountPath: /dev/host-null}
        - {name: dir, mountPath: /sub, subPath: a/b}
        - {name: cache, mountPath: /cache}
        - {name: cache, mountPath: /cache-logs, subPath: logs}
`,
      );
      await node.startAgent();
      const main = await waitFor('main running', () => node.running('vols', 'main'), 30_000);
      assert.equal((await run(node, main.id, 'cat /etc/app.conf')).out, 'key=value');
      assert.notEqual((await run(node, main.id, 'echo x >> /etc/app.conf')).code, 0, 'readOnly');
      assert.equal((await stat(join(host, 'created.conf'))).size, 0, 'FileOrCreate made an empty file');
      assert.equal((await run(node, main.id, 'test -f /etc/created.conf && echo file')).out, 'file');
      assert.equal((await run(node, main.id, 'test -S /run/app.sock && echo socket')).out, 'socket');
      assert.equal((await run(node, main.id, 'test -c /dev/host-null && echo char')).out, 'char');
      assert.ok(
        (await stat(join(host, 'made/here/a/b'))).isDirectory(),
        'DirectoryOrCreate, then the subPath inside it',
      );
      assert.equal((await run(node, main.id, 'ls -d /sub')).code, 0);

      // The memory emptyDir: a tmpfs of sizeLimit, writable by a non-root user, with its subPath.
      const cacheMount = (await run(node, main.id, "grep ' /cache ' /proc/mounts")).out;
      assert.match(cacheMount, /^tmpfs \/cache tmpfs .*size=16384k/);
      assert.equal(
        (await run(node, main.id, 'echo hi > /cache/x && echo hi > /cache-logs/y && cat /cache/logs/y')).out,
        'hi',
      );
      const tmpfs = (await mountsUnder(node.rootDir)).filter((l) => / - tmpfs /.test(l));
      assert.equal(tmpfs.length, 1, "one tmpfs under the agent's root dir");
      assert.match(tmpfs[0]!, /kubernetes\.io~empty-dir\/cache /);

      // The pod goes: its tmpfs is unmounted and its directory removed.
      await node.removeManifest('vols.yaml');
      await waitFor('pod removed', async () => (await node.sandboxes()).length === 0, 30_000);
      await waitFor('tmpfs unmounted', async () => (await mountsUnder(node.rootDir)).length === 0, 10_000);
      const podDirs = await waitFor('pod dir removed', async () => {
        const left = await stat(join(node.rootDir, 'pods', main.labels['io.kubernetes.pod.uid']!)).catch(
          () => undefined,
        );
        return left === undefined;
      });
      assert.equal(podDirs, true);
    } finally {
      server.close();
      await unmountUnder(node.dir);
    }
  });

  it('a failed hostPath check is a CreateContainerConfigError naming the volume and the path', async () => {
    const file = join(node.dir, 'not-a-socket');
    await writeFile(file, '');
    const agent = await node.startAgent();
    await node.writeManifest(
      'bad.yaml',
      `apiVersion: v1
kind: Pod
metadata:
  name: bad
spec:
  terminationGracePeriodSeconds: 1
  volumes:
    - {name: sock, hostPath: {path: ${file}, type: Socket}}
  containers:
    - name: main
      image: ${IMAGE}
      command: ${SLEEP}
      volumeMounts: [{name: sock, mountPath: /run/x.sock}]
`,
    );
    const line = await agent.waitForLog(/StartContainer failed/, 30_000);
    assert.match(line, /"reason":"CreateContainerConfigError"/);
    assert.ok(
      line.includes(`volume \\"sock\\" (hostPath Socket): hostPath type check failed: ${file} is not a socket file`),
      line,
    );
    assert.equal((await node.containers()).length, 0);
  });

  it('mount propagation: HostToContainer sees later host mounts; Bidirectional (privileged) shows its mounts to the host', async () => {
    const shared = join(node.dir, 'shared');
    await mkdir(join(shared, 'from-host'), { recursive: true });
    await mkdir(join(shared, 'from-pod'), { recursive: true });
    // A shared mount of our own, so the test needs nothing from the host's mount setup.
    await execFileP('mount', ['--bind', shared, shared]);
    try {
      await execFileP('mount', ['--make-shared', shared]);
      await node.writeManifest(
        'prop.yaml',
        `apiVersion: v1
kind: Pod
metadata:
  name: prop
spec:
  terminationGracePeriodSeconds: 1
  volumes:
    - {name: shared, hostPath: {path: ${shared}, type: Directory}}
  containers:
    - name: watcher
      image: ${IMAGE}
      command: ${SLEEP}
      volumeMounts: [{name: shared, mountPath: /shared, mountPropagation: HostToContainer}]
    - name: mounter
      image: ${IMAGE}
      command: ${SLEEP}
      securityContext: {privileged: true}
      volumeMounts: [{name: shared, mountPath: /shared, mountPropagation: Bidirectional}]
`,
      );
      await node.startAgent();
      const watcher = await waitFor('watcher running', () => node.running('prop', 'watcher'), 30_000);
      const mounter = await waitFor('mounter running', () => node.running('prop', 'mounter'), 30_000);

      await execFileP('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', join(shared, 'from-host')]);
      await waitFor(
        'the host mount seen in the container',
        async () => (await run(node, watcher.id, "grep -c ' /shared/from-host ' /proc/mounts")).out === '1',
        10_000,
      );

      assert.equal(
        (await run(node, mounter.id, 'mount -t tmpfs -o size=1m tmpfs /shared/from-pod && echo mounted')).out,
        'mounted',
      );
      await waitFor(
        "the pod's mount seen on the host",
        async () => (await mountsUnder(join(shared, 'from-pod'))).length > 0,
        10_000,
      );
    } finally {
      await node.cleanup().catch(() => undefined);
      await unmountUnder(shared);
    }
  });
});
