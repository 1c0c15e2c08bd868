// The manifest directory's filesystem port against the real kernel: what the watch says of a
// rename and of a write, and the walk of /proc that finds a file's writers.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Subscription } from 'rxjs';
import { nodeManifestFs, procWriters, type WatchEvent } from '../../src/runtime/manifest-fs.js';

describe('manifest directory filesystem port (real kernel)', () => {
  let dir = '';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'staticlet-manifest-fs-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** What the watch of `dir` says while `act` runs, once settle() has passed it all on. */
  async function watched(act: () => Promise<void>): Promise<WatchEvent[]> {
    const seen: WatchEvent[] = [];
    const sub: Subscription = nodeManifestFs.watch(dir, 'dir').subscribe((e) => seen.push(e));
    try {
      await act();
      await nodeManifestFs.settle();
      return seen;
    } finally {
      sub.unsubscribe();
    }
  }

  it('a file renamed into place is an entry only; a file written under its name has content', async () => {
    await writeFile(join(dir, '.a.yaml.tmp'), 'kind: Pod\n');
    const moved = await watched(() => rename(join(dir, '.a.yaml.tmp'), join(dir, 'a.yaml')));
    assert.deepEqual(
      moved.filter((e) => e.path === join(dir, 'a.yaml')).map((e) => e.change),
      ['entry'],
    );
    assert.deepEqual(moved[0], { path: dir, change: 'unknown' }, 'the watch says once that it is in place');

    const written = await watched(() => writeFile(join(dir, 'b.yaml'), 'kind: Pod\n'));
    const changes = written.filter((e) => e.path === join(dir, 'b.yaml')).map((e) => e.change);
    assert.ok(changes.includes('content'), `a write is content (${changes.join(',')})`);
  });

  it('settle() passes on an event the kernel queued before it was called', async () => {
    const seen: WatchEvent[] = [];
    const sub = nodeManifestFs.watch(dir, 'dir').subscribe((e) => seen.push(e));
    try {
      // Written synchronously, so nothing but settle() lets the watch's callback run.
      writeFileSync(join(dir, 'c.yaml'), 'kind: Pod\n');
      await nodeManifestFs.settle();
      assert.ok(
        seen.some((e) => e.path === join(dir, 'c.yaml') && e.change === 'content'),
        JSON.stringify(seen),
      );
    } finally {
      sub.unsubscribe();
    }
  });

  it('the walk finds a file held open for writing by another process, and not one held for reading', async () => {
    const file = join(dir, 'held.yaml');
    const other = join(dir, 'read.yaml');
    await writeFile(file, 'kind: Pod\n');
    await writeFile(other, 'kind: Pod\n');
    const holder = spawn('sh', ['-c', `exec 3>>"${file}" 4<"${other}"; echo ready; exec sleep 30`], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    try {
      await new Promise<void>((resolve) => holder.stdout!.once('data', () => resolve()));
      assert.deepEqual([...(await procWriters([file, other]))], [file]);
    } finally {
      holder.kill('SIGKILL');
      await new Promise((r) => holder.once('exit', r));
    }
    assert.deepEqual([...(await procWriters([file, other]))], [], 'gone with its writer');
  });
});
