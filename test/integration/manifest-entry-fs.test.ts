// What the manifest fs port says of each kind of directory entry, on the real kernel: never an
// error thrown, never a hang on a FIFO, never a read without end from a device or /proc.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { nodeManifestFs } from '../../src/runtime/manifest-fs.js';

const CAP = 1024;

describe('manifest entries on the real kernel', () => {
  let dir = '';
  let server: Server | undefined;
  const at = (name: string) => join(dir, name);
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'staticlet-entry-fs-'));
    await writeFile(at('good.yaml'), 'kind: Pod\n');
    await symlink('b.yaml', at('a.yaml'));
    await symlink('a.yaml', at('b.yaml'));
    await symlink(at('nowhere.yaml'), at('dangling.yaml'));
    await symlink('/dev/zero', at('zero.yaml'));
    await mkdir(at('dir.yaml'));
    execFileSync('mkfifo', [at('fifo.yaml')]);
    await writeFile(at('big.yaml'), '#'.repeat(CAP + 1));
    server = createServer();
    await new Promise<void>((resolve) => server!.listen(at('sock.yaml'), resolve));
  });
  after(async () => {
    await new Promise((r) => server?.close(r));
    await rm(dir, { recursive: true, force: true });
  });

  it('lists every entry, whatever it is, and tells a directory from one put in its place', async () => {
    const listing = await nodeManifestFs.list(dir);
    assert.equal(listing.kind, 'dir');
    assert.deepEqual(listing.kind === 'dir' && [...listing.names].sort(), [
      'a.yaml',
      'b.yaml',
      'big.yaml',
      'dangling.yaml',
      'dir.yaml',
      'fifo.yaml',
      'good.yaml',
      'sock.yaml',
      'zero.yaml',
    ]);
    const other = await mkdtemp(join(tmpdir(), 'staticlet-entry-fs-other-'));
    try {
      const second = await nodeManifestFs.list(other);
      assert.ok(listing.kind === 'dir' && second.kind === 'dir' && listing.id !== second.id);
    } finally {
      await rm(other, { recursive: true });
    }
  });

  it('stat names what each entry is, without throwing', async () => {
    const stat = async (name: string) => nodeManifestFs.stat(at(name), CAP);
    assert.equal((await stat('good.yaml')).kind, 'file');
    assert.deepEqual(await stat('a.yaml'), { kind: 'bad', problem: { kind: 'symlink-loop' } });
    assert.deepEqual(await stat('dangling.yaml'), {
      kind: 'bad',
      problem: { kind: 'dangling-symlink', target: at('nowhere.yaml') },
    });
    assert.deepEqual(await stat('zero.yaml'), {
      kind: 'bad',
      problem: { kind: 'not-a-file', type: 'character device', target: '/dev/zero' },
    });
    assert.deepEqual(await stat('dir.yaml'), { kind: 'bad', problem: { kind: 'not-a-file', type: 'directory' } });
    assert.deepEqual(await stat('fifo.yaml'), { kind: 'bad', problem: { kind: 'not-a-file', type: 'FIFO' } });
    assert.deepEqual(await stat('sock.yaml'), { kind: 'bad', problem: { kind: 'not-a-file', type: 'socket' } });
    assert.deepEqual(await stat('big.yaml'), { kind: 'bad', problem: { kind: 'too-large', size: CAP + 1, cap: CAP } });
    assert.deepEqual(await stat('missing.yaml'), { kind: 'missing' });
  });

  it('read never hangs on a FIFO nor reads a device, and stops at the cap', async () => {
    const read = async (name: string) => nodeManifestFs.read(at(name), CAP);
    const good = await read('good.yaml');
    assert.equal(good.kind === 'text' && good.text, 'kind: Pod\n');
    // As if each had been put in the place of a regular file between the stat and the read.
    assert.deepEqual(await read('fifo.yaml'), { kind: 'bad', problem: { kind: 'not-a-file', type: 'FIFO' } });
    assert.deepEqual(await read('zero.yaml'), {
      kind: 'bad',
      problem: { kind: 'not-a-file', type: 'character device', target: '/dev/zero' },
    });
    assert.deepEqual(await read('sock.yaml'), { kind: 'bad', problem: { kind: 'not-a-file', type: 'socket' } });
    assert.deepEqual(await read('a.yaml'), { kind: 'bad', problem: { kind: 'symlink-loop' } });
    assert.equal((await read('dangling.yaml')).kind, 'bad');
    assert.deepEqual(await read('gone.yaml'), { kind: 'missing' });
    // A /proc file says its size is 0 and has more: the read stops past the cap.
    const proc = await nodeManifestFs.read('/proc/self/maps', 16);
    assert.deepEqual(proc, { kind: 'bad', problem: { kind: 'too-large', size: 17, cap: 16 } });
  });

  it('an unreadable file is a problem, not an error (as a process without CAP_DAC_OVERRIDE sees mode 000)', async () => {
    await writeFile(at('locked.yaml'), 'kind: Pod\n', { mode: 0o000 });
    // The test runs as root, which reads anything: ask a child without the override.
    const out = execFileSync(
      'setpriv',
      [
        '--bounding-set=-dac_override,-dac_read_search',
        process.execPath,
        '--import',
        'tsx',
        '-e',
        `import('${new URL('../../src/runtime/manifest-entry.ts', import.meta.url).pathname}').then((m) => console.log(JSON.stringify([m.statEntry(process.argv[1], 1024).kind, m.readEntry(process.argv[1], 1024)])))`,
        at('locked.yaml'),
      ],
      { encoding: 'utf8' },
    );
    assert.deepEqual(JSON.parse(out), [
      'file',
      { kind: 'bad', problem: { kind: 'unreadable', message: 'permission denied (EACCES)' } },
    ]);
  });
});
