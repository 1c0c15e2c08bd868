// Volumes: mounts (readOnly, subPath, mountPropagation), what the host prepares (hostPath type
// checks, emptyDirs, memory emptyDir sizes, subPaths), and those host operations on a scratch dir.
import { specOptions } from '../support/fixtures.js';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { readManifest } from '../../src/core/manifest/read-manifest.js';
import { containerConfig } from '../../src/core/runtime-spec.js';
import { memoryEmptyDirSize } from '../../src/core/spec/volumes.js';
import type { StaticPod } from '../../src/core/model/static-pod.js';
import { checkHostPath, prepareEmptyDir, prepareSubPath } from '../../src/runtime/host.js';

const GiB = 1024 ** 3;
const opts = specOptions({ nodeAllocatable: { cpuMilli: 2000, memoryBytes: 8 * GiB } });

function read(yaml: string): StaticPod {
  const r = readManifest(yaml, { nodeName: 'node1', source: 'file', origin: '/m/vol.yaml', seenAt: 0 });
  if (!r.ok) assert.fail(JSON.stringify(r.problems));
  return r.pods[0]!;
}

describe('volume mounts', () => {
  const pod = read(`apiVersion: v1
kind: Pod
metadata: {name: vol}
spec:
  volumes:
    - {name: conf, hostPath: {path: /etc/app.conf, type: FileOrCreate}}
    - {name: sock, hostPath: {path: /run/app.sock, type: Socket}}
    - {name: plain, hostPath: {path: /srv/data}}
    - {name: scratch, emptyDir: {}}
    - {name: cache, emptyDir: {medium: Memory, sizeLimit: 64Mi}}
  containers:
    - name: main
      image: busybox:1
      securityContext: {privileged: true}
      volumeMounts:
        - {name: conf, mountPath: /etc/app.conf, readOnly: true}
        - {name: sock, mountPath: /run/app.sock}
        - {name: plain, mountPath: /data, mountPropagation: HostToContainer}
        - {name: plain, mountPath: /shared, subPath: a/b, mountPropagation: Bidirectional}
        - {name: scratch, mountPath: /scratch}
        - {name: scratch, mountPath: /logs, subPath: logs}
        - {name: cache, mountPath: /cache, mountPropagation: None}
`);
  const { config, prepare } = containerConfig(pod, pod.pod.spec!.containers[0]!, false, 0, opts);
  const empty = (name: string) => `/var/lib/staticlet/pods/${pod.uid}/volumes/kubernetes.io~empty-dir/${name}`;

  it('mounts each volume with readOnly and the CRI propagation', () => {
    assert.deepEqual(config.mounts, [
      { containerPath: '/etc/app.conf', hostPath: '/etc/app.conf', readonly: true },
      { containerPath: '/run/app.sock', hostPath: '/run/app.sock', readonly: false },
      { containerPath: '/data', hostPath: '/srv/data', readonly: false, propagation: 'PROPAGATION_HOST_TO_CONTAINER' },
      {
        containerPath: '/shared',
        hostPath: '/srv/data/a/b',
        readonly: false,
        propagation: 'PROPAGATION_BIDIRECTIONAL',
      },
      { containerPath: '/scratch', hostPath: empty('scratch'), readonly: false },
      { containerPath: '/logs', hostPath: `${empty('scratch')}/logs`, readonly: false },
      { containerPath: '/cache', hostPath: empty('cache'), readonly: false, propagation: 'PROPAGATION_PRIVATE' },
    ]);
  });

  it('prepares each volume once, before its subPaths: type checks, emptyDirs, the tmpfs size', () => {
    assert.deepEqual(prepare, [
      { kind: 'hostPath', path: '/etc/app.conf', type: 'FileOrCreate', what: 'volume "conf" (hostPath FileOrCreate)' },
      { kind: 'hostPath', path: '/run/app.sock', type: 'Socket', what: 'volume "sock" (hostPath Socket)' },
      { kind: 'subPath', volumePath: '/srv/data', subPath: 'a/b', mount: 3, what: 'volume "plain" subPath "a/b"' },
      { kind: 'emptyDir', path: empty('scratch'), medium: '', what: 'volume "scratch" (emptyDir)' },
      {
        kind: 'subPath',
        volumePath: empty('scratch'),
        subPath: 'logs',
        mount: 5,
        what: 'volume "scratch" subPath "logs"',
      },
      {
        kind: 'emptyDir',
        path: empty('cache'),
        medium: 'Memory',
        sizeBytes: 64 * 1024 ** 2,
        what: 'volume "cache" (emptyDir medium Memory)',
      },
    ]);
  });

  it("sizes a memory emptyDir like the kubelet: node memory, or the pod's memory limit, or a smaller sizeLimit", () => {
    const limited = (limits: string[], init: string[] = []) =>
      read(`apiVersion: v1
kind: Pod
metadata: {name: m}
spec:
${init.length ? `  initContainers:\n${init.map((l, i) => `    - {name: i${i}, image: "busybox:1"${l ? `, resources: {limits: {memory: ${l}}}` : ''}}\n`).join('')}` : ''}  containers:
${limits.map((l, i) => `    - {name: c${i}, image: "busybox:1"${l ? `, resources: {limits: {memory: ${l}}}` : ''}}\n`).join('')}`)
        .pod;
    assert.equal(memoryEmptyDirSize(limited(['']), undefined, 8 * GiB), 8 * GiB, "no pod limit: the node's memory");
    assert.equal(
      memoryEmptyDirSize(limited(['1Gi', '']), undefined, 8 * GiB),
      8 * GiB,
      'a container without a limit: no pod limit',
    );
    assert.equal(memoryEmptyDirSize(limited(['1Gi', '512Mi']), undefined, 8 * GiB), 1.5 * GiB, 'the sum of the limits');
    assert.equal(
      memoryEmptyDirSize(limited(['1Gi'], ['2Gi']), undefined, 8 * GiB),
      2 * GiB,
      "an init container's larger limit",
    );
    assert.equal(memoryEmptyDirSize(limited(['1Gi']), '256Mi', 8 * GiB), 256 * 1024 ** 2, 'a smaller sizeLimit');
    assert.equal(memoryEmptyDirSize(limited(['1Gi']), '4Gi', 8 * GiB), GiB, 'a larger sizeLimit does not count');
    assert.equal(memoryEmptyDirSize(limited(['']), '16Gi', 8 * GiB), 8 * GiB, 'never more than the node has');
    assert.equal(
      memoryEmptyDirSize(limited(['']), undefined, undefined),
      undefined,
      'nothing known: the kernel default',
    );
  });
});

describe('host preparation', () => {
  let dir = '';
  let server: Server;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'staticlet-vol-'));
    await mkdir(join(dir, 'd'));
    await writeFile(join(dir, 'f'), 'x');
    server = createServer();
    await new Promise<void>((r) => server.listen(join(dir, 'sock'), r));
  });
  after(async () => {
    await new Promise<void>((r) => server.close(() => r()));
    await rm(dir, { recursive: true, force: true });
  });

  it('checks hostPath types and says which volume and path failed', async () => {
    await checkHostPath(join(dir, 'd'), 'Directory', 'volume "v"');
    await checkHostPath(join(dir, 'f'), 'File', 'volume "v"');
    await checkHostPath(join(dir, 'sock'), 'Socket', 'volume "v"');
    await checkHostPath('/dev/null', 'CharDevice', 'volume "v"');
    await assert.rejects(
      checkHostPath(join(dir, 'f'), 'Directory', 'volume "v" (hostPath Directory)'),
      new RegExp(
        `^Error: volume "v" \\(hostPath Directory\\): hostPath type check failed: ${join(dir, 'f')} is not a directory$`,
      ),
    );
    await assert.rejects(checkHostPath(join(dir, 'd'), 'File', 'volume "v"'), /is not a file/);
    await assert.rejects(checkHostPath(join(dir, 'f'), 'Socket', 'volume "v"'), /is not a socket file/);
    await assert.rejects(checkHostPath(join(dir, 'f'), 'CharDevice', 'volume "v"'), /is not a character device/);
    await assert.rejects(checkHostPath('/dev/null', 'BlockDevice', 'volume "v"'), /\/dev\/null is not a block device/);
    await assert.rejects(
      checkHostPath(join(dir, 'missing'), 'Directory', 'volume "v"'),
      /missing does not exist; it must be a directory/,
    );
  });

  it('DirectoryOrCreate makes the directory (0755, parents too); FileOrCreate an empty file (0644) in an existing directory', async () => {
    await checkHostPath(join(dir, 'new/deep'), 'DirectoryOrCreate', 'volume "v"');
    assert.equal((await stat(join(dir, 'new/deep'))).mode & 0o777, 0o755);
    await checkHostPath(join(dir, 'd/created.conf'), 'FileOrCreate', 'volume "v"');
    const st = await stat(join(dir, 'd/created.conf'));
    assert.ok(st.isFile() && st.size === 0 && (st.mode & 0o777) === 0o644);
    await checkHostPath(join(dir, 'f'), 'FileOrCreate', 'volume "v"');
    assert.equal(await readFile(join(dir, 'f'), 'utf8'), 'x', 'an existing file is left alone');
    await assert.rejects(checkHostPath(join(dir, 'f'), 'DirectoryOrCreate', 'volume "v"'), /is not a directory/);
    await assert.rejects(
      checkHostPath(join(dir, 'nodir/x.conf'), 'FileOrCreate', 'volume "v"'),
      /volume "v": cannot create/,
    );
  });

  it('emptyDirs on disk are world-writable', async () => {
    await prepareEmptyDir(join(dir, 'ed'), '', undefined, 'volume "e"');
    assert.equal((await stat(join(dir, 'ed'))).mode & 0o777, 0o777);
  });

  it("subPaths: created with the volume's mode when missing, resolved, and kept inside the volume", async () => {
    await prepareEmptyDir(join(dir, 'vol'), '', undefined, 'volume "e"');
    assert.equal(await prepareSubPath(join(dir, 'vol'), 'a/b', 'sub'), join(dir, 'vol/a/b'));
    assert.equal((await stat(join(dir, 'vol/a/b'))).mode & 0o777, 0o777);
    assert.equal(await prepareSubPath(join(dir, 'vol'), 'a/b', 'sub'), join(dir, 'vol/a/b'), 'again: the same path');
    await symlink(join(dir, 'vol/a'), join(dir, 'vol/inside'));
    assert.equal(
      await prepareSubPath(join(dir, 'vol'), 'inside/b', 'sub'),
      join(dir, 'vol/a/b'),
      'a symlink within the volume is followed',
    );
    await symlink(dir, join(dir, 'vol/escape'));
    await assert.rejects(
      prepareSubPath(join(dir, 'vol'), 'escape/d', 'volume "e" subPath "escape/d"'),
      /volume "e" subPath "escape\/d": .* outside the volume/,
    );
    await assert.rejects(prepareSubPath(join(dir, 'vol'), '../d', 'sub'), /may not contain '\.\.'/);
    await assert.rejects(
      prepareSubPath(join(dir, 'nothing'), 'x', 'volume "n" subPath "x"'),
      /volume "n" subPath "x": the volume's path .* is not there/,
    );
    assert.equal(
      await prepareSubPath(join(dir, 'f'), '', 'sub').catch(() => 'x'),
      join(dir, 'f'),
      'an empty subPath is the volume',
    );
  });
});
