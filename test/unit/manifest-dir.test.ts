// The manifest directory source with a scripted filesystem: how the watch follows the path, and
// which changed files wait for their writers.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { asyncScheduler, EMPTY, Subject, startWith, take, toArray, firstValueFrom, type Observable } from 'rxjs';
import type { EventBody } from '../../src/core/model/events.js';
import type { Listing, ManifestFsPort, WatchEvent } from '../../src/runtime/manifest-fs.js';
import { manifestDirectory } from '../../src/streams/manifest-dir.js';
import { podYaml } from '../support/fixtures.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A directory that is missing until `create()`, then holds web.yaml. */
function scriptedFs() {
  let exists = false;
  const watches: Listing['kind'][] = [];
  const events = new Subject<WatchEvent>();
  const fs: ManifestFsPort = {
    list: async () => (exists ? { kind: 'dir', names: ['web.yaml'], id: '1' } : { kind: 'missing' }),
    stat: async () => (exists ? { kind: 'file', stat: { ino: 1, size: 10, mtimeMs: 1 } } : { kind: 'missing' }),
    read: async () =>
      exists ? { kind: 'text', text: podYaml('web'), stat: { ino: 1, size: 10, mtimeMs: 1 } } : { kind: 'missing' },
    watch: (_path, kind) => {
      watches.push(kind);
      return events;
    },
    settle: async () => undefined,
    writers: async () => new Set(),
  };
  return {
    fs,
    watches,
    create: () => {
      exists = true;
      events.next({ path: '/m', change: 'unknown' });
    },
  };
}

/**
 * A directory whose files are set by the test, with a record of which files were looked for
 * writers and which were read. `whileSettling` runs inside `settle()`: an event the kernel had
 * queued before it.
 */
function directoryFs(files: Map<string, string>, opts: { writing?: Set<string>; whileSettling?: () => void } = {}) {
  const events = new Subject<WatchEvent>();
  const walked: string[][] = [];
  const reads: string[] = [];
  let ino = 1;
  const inodes = new Map<string, number>();
  const statOf = (file: string) => {
    const text = files.get(file.slice('/m/'.length));
    if (text === undefined) return undefined;
    const key = `${file}:${text}`;
    if (!inodes.has(key)) inodes.set(key, ino++);
    return { ino: inodes.get(key)!, size: text.length, mtimeMs: 1 };
  };
  const fs: ManifestFsPort = {
    list: async () => ({ kind: 'dir', names: [...files.keys()], id: '1' }),
    stat: async (file) => {
      const st = statOf(file);
      return st ? { kind: 'file', stat: st } : { kind: 'missing' };
    },
    read: async (file) => {
      reads.push(file);
      const text = files.get(file.slice('/m/'.length));
      return text === undefined ? { kind: 'missing' } : { kind: 'text', text, stat: statOf(file)! };
    },
    watch: (): Observable<WatchEvent> => events,
    settle: async () => opts.whileSettling?.(),
    writers: async (list) => {
      walked.push([...list]);
      return new Set(list.filter((f) => opts.writing?.has(f)));
    },
  };
  return { fs, events, walked, reads };
}

/** The source's events after the first scan (of an empty directory) until `count` have come. */
async function after(fs: ManifestFsPort, count: number, act: () => void): Promise<EventBody[]> {
  const source = manifestDirectory(
    fs,
    { path: '/m', nodeName: 'node1', checkFrequencyMs: 600_000, writerRecheckMs: 20 },
    asyncScheduler,
  );
  const seen = firstValueFrom(source.pipe(take(count + 1), toArray()));
  await sleep(20);
  act();
  return (await seen).slice(1);
}

describe('manifest directory source', () => {
  it('watches a missing path until it appears, then watches it as a directory', async () => {
    const { fs, watches, create } = scriptedFs();
    // A periodic rescan far away: only the watch can bring the file in.
    const source = manifestDirectory(fs, { path: '/m', nodeName: 'node1', checkFrequencyMs: 600_000 }, asyncScheduler);
    const firstTwo = firstValueFrom(source.pipe(take(2), toArray()));
    await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(watches, ['missing']);
    create();
    const events: EventBody[] = await firstTwo;
    assert.deepEqual(
      events.map((e) => e.type),
      ['SourceSynced', 'ManifestRead'],
    );
    assert.deepEqual(watches, ['missing', 'dir'], 're-armed for what the path now is');
  });

  it("marks a scan's manifest events but its last with more, so the loop diffs a burst once", async () => {
    let names = ['a.yaml', 'b.yaml', 'c.yaml'];
    const events = new Subject<WatchEvent>();
    const fs: ManifestFsPort = {
      list: async () => ({ kind: 'dir', names, id: '1' }),
      stat: async (file) =>
        names.some((n) => file.endsWith(`/${n}`))
          ? { kind: 'file', stat: { ino: 1, size: 10, mtimeMs: 1 } }
          : { kind: 'missing' },
      read: async (file) => ({
        kind: 'text',
        text: podYaml(file.slice(file.lastIndexOf('/') + 1, -'.yaml'.length)),
        stat: { ino: 1, size: 10, mtimeMs: 1 },
      }),
      watch: () => events,
      settle: async () => undefined,
      writers: async () => new Set(),
    };
    const source = manifestDirectory(fs, { path: '/m', nodeName: 'node1', checkFrequencyMs: 600_000 }, asyncScheduler);
    const seen = firstValueFrom(source.pipe(take(7), toArray()));
    await new Promise((r) => setTimeout(r, 20));
    names = [];
    events.next({ path: '/m/a.yaml', change: 'entry' });
    const all: EventBody[] = await seen;
    const marks = all.map((e) => `${e.type}${'more' in e && e.more ? '+' : ''}`);
    assert.deepEqual(marks, [
      'ManifestRead+',
      'ManifestRead+',
      'ManifestRead+',
      'SourceSynced',
      'ManifestGone+',
      'ManifestGone+',
      'ManifestGone',
    ]);
  });

  it('arms a new watch when the one on the directory ends, though the new directory has the same dev and inode', async () => {
    // rm -r and mkdir at once: ext4 gives the new directory the old one's inode, so the listing
    // looks the same; the old watch saw its directory go (the port ends it) and sees nothing more.
    let names = ['back.yaml'];
    const inodes = new Map<string, number>();
    const stat = (file: string) => {
      if (!inodes.has(file)) inodes.set(file, inodes.size + 1);
      return { ino: inodes.get(file)!, size: 10, mtimeMs: 1 };
    };
    const nameOf = (file: string) => file.slice(file.lastIndexOf('/') + 1);
    const watches: Subject<WatchEvent>[] = [];
    const fs: ManifestFsPort = {
      list: async () => ({ kind: 'dir', names: [...names], id: '8:42' }),
      stat: async (file) => (names.includes(nameOf(file)) ? { kind: 'file', stat: stat(file) } : { kind: 'missing' }),
      read: async (file) =>
        names.includes(nameOf(file))
          ? { kind: 'text', text: podYaml(nameOf(file).slice(0, -'.yaml'.length)), stat: stat(file) }
          : { kind: 'missing' },
      watch: () => {
        const events = new Subject<WatchEvent>();
        watches.push(events);
        // As the port does: one event once the watch is in place.
        return events.pipe(startWith<WatchEvent>({ path: '/m', change: 'unknown' }));
      },
      settle: async () => undefined,
      writers: async () => new Set(),
    };
    const seen: string[] = [];
    const sub = manifestDirectory(
      fs,
      { path: '/m', nodeName: 'node1', checkFrequencyMs: 600_000 },
      asyncScheduler,
    ).subscribe((e) => seen.push('origin' in e ? `${e.type} ${e.origin}` : e.type));
    try {
      await sleep(20);
      assert.deepEqual(seen, ['ManifestRead /m/back.yaml', 'SourceSynced']);
      assert.equal(watches.length, 1);

      names = ['again.yaml'];
      watches[0]!.next({ path: '/m', change: 'unknown' });
      watches[0]!.complete();
      await sleep(20);
      assert.deepEqual(seen.slice(2), ['ManifestRead /m/again.yaml', 'ManifestGone /m/back.yaml']);
      assert.equal(watches.length, 2, 'the same dev and inode, but the watch ended: a new one is armed');

      // Only the new watch can tell of the next file.
      names = ['again.yaml', 'more.yaml'];
      watches[1]!.next({ path: '/m/more.yaml', change: 'entry' });
      await sleep(20);
      assert.deepEqual(seen.slice(4), ['ManifestRead /m/more.yaml']);
      assert.equal(watches.length, 2, 'a live watch for the same directory is kept');
    } finally {
      sub.unsubscribe();
    }
  });

  it('a watch that ends without a word (it could not be set up) is armed again at the next scan, not at once', async () => {
    let armed = 0;
    const events = new Subject<WatchEvent>();
    const fs: ManifestFsPort = {
      list: async () => ({ kind: 'dir', names: [], id: '1' }),
      stat: async () => ({ kind: 'missing' }),
      read: async () => ({ kind: 'missing' }),
      watch: () => {
        armed++;
        return armed === 1 ? EMPTY : events;
      },
      settle: async () => undefined,
      writers: async () => new Set(),
    };
    const sub = manifestDirectory(
      fs,
      { path: '/m', nodeName: 'node1', checkFrequencyMs: 50 },
      asyncScheduler,
    ).subscribe();
    try {
      await sleep(25);
      assert.equal(armed, 1, 'no loop of scans while the watch cannot be set up');
      await sleep(60);
      assert.equal(armed, 2, 'the periodic rescan tries again');
    } finally {
      sub.unsubscribe();
    }
  });

  describe('files being written', () => {
    it('reads a file moved in whole at once, without looking for writers', async () => {
      const files = new Map<string, string>();
      const { fs, events, walked } = directoryFs(files);
      const got = await after(fs, 1, () => {
        files.set('web.yaml', podYaml('web'));
        events.next({ path: '/m/.web.yaml.tmp', change: 'entry' });
        events.next({ path: '/m/web.yaml', change: 'entry' });
      });
      assert.deepEqual(
        got.map((e) => e.type),
        ['ManifestRead'],
      );
      assert.deepEqual(walked, [], 'no walk of /proc for a file that came by rename');
    });

    it('waits while a file written under its name is open for writing, then reads it', async () => {
      const files = new Map<string, string>();
      const writing = new Set(['/m/web.yaml']);
      const { fs, events, walked, reads } = directoryFs(files, { writing });
      const got = await after(fs, 1, () => {
        files.set('web.yaml', podYaml('web'));
        events.next({ path: '/m/web.yaml', change: 'entry' });
        events.next({ path: '/m/web.yaml', change: 'content' });
        setTimeout(() => writing.clear(), 50);
      });
      assert.deepEqual(
        got.map((e) => e.type),
        ['ManifestRead'],
      );
      assert.ok(walked.length >= 2, `looked again until the writer was gone (${walked.length} walks)`);
      assert.ok(walked.every((w) => w.length === 1 && w[0] === '/m/web.yaml'));
      assert.deepEqual(reads, ['/m/web.yaml'], 'read once, when no longer open for writing');
    });

    it('a write that reached the kernel before the read sends the file to the walk, and it is read again', async () => {
      const files = new Map<string, string>();
      const { fs, events, walked, reads } = directoryFs(files, {
        whileSettling: () => events.next({ path: '/m/web.yaml', change: 'content' }),
      });
      const got = await after(fs, 1, () => {
        files.set('web.yaml', podYaml('web'));
        events.next({ path: '/m/web.yaml', change: 'entry' });
      });
      assert.deepEqual(
        got.map((e) => e.type),
        ['ManifestRead'],
      );
      assert.deepEqual(walked, [['/m/web.yaml']]);
      assert.deepEqual(
        reads,
        ['/m/web.yaml', '/m/web.yaml'],
        'the early read is dropped and the file read after the walk',
      );
    });

    it('an empty file, a change the watch said nothing of and one it could not tell are looked for writers', async () => {
      const files = new Map<string, string>();
      const { fs, events, walked } = directoryFs(files);
      const got = await after(fs, 3, () => {
        files.set('empty.yaml', '');
        files.set('silent.yaml', podYaml('silent'));
        files.set('unknown.yaml', podYaml('unknown'));
        events.next({ path: '/m/empty.yaml', change: 'entry' });
        events.next({ path: '/m/unknown.yaml', change: 'unknown' });
      });
      assert.deepEqual(got.map((e) => e.type).sort(), ['ManifestInvalid', 'ManifestRead', 'ManifestRead']);
      assert.deepEqual(walked.flat().sort(), ['/m/empty.yaml', '/m/silent.yaml', '/m/unknown.yaml']);
    });

    it('once read, a file moved in is written in place: the next change is looked for writers', async () => {
      const files = new Map<string, string>();
      const { fs, events, walked } = directoryFs(files);
      const got = await after(fs, 2, () => {
        files.set('web.yaml', podYaml('web'));
        events.next({ path: '/m/web.yaml', change: 'entry' });
        setTimeout(() => {
          files.set('web.yaml', podYaml('web', { image: 'staticlet.local/busybox:2' }));
          events.next({ path: '/m/web.yaml', change: 'content' });
        }, 30);
      });
      assert.deepEqual(
        got.map((e) => e.type),
        ['ManifestRead', 'ManifestRead'],
      );
      assert.deepEqual(walked, [['/m/web.yaml']], 'the first change came whole; the second was written under its name');
    });
  });
});
