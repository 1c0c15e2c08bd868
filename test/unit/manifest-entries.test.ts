// No entry can poison a manifest directory: each entry is judged on its own, reported once per
// reason, and counts as gone (a symlink to nowhere) or as an invalid manifest (anything else at a
// manifest's name that cannot be read), with a scripted filesystem.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { asyncScheduler, Subject, type Subscription } from 'rxjs';
import type { EventBody } from '../../src/core/model/events.js';
import type { EntryProblem, ManifestFsPort, WatchEvent } from '../../src/runtime/manifest-fs.js';
import { describeProblem, MANIFEST_MAX_BYTES, problemMeans } from '../../src/streams/manifest-entries.js';
import { manifestDirectory } from '../../src/streams/manifest-dir.js';
import { podYaml } from '../support/fixtures.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, check: () => boolean): Promise<void> {
  for (let i = 0; i < 1000 && !check(); i++) await sleep(2);
  assert.ok(check(), `timed out waiting for ${what}`);
}

/** What a name in the scripted directory is. */
type Entry =
  | { readonly text: string }
  | { readonly problem: EntryProblem }
  /** Listed, then gone by the time it is looked at. */
  | 'vanishes-before-stat'
  /** A regular file at the stat, gone by the read. */
  | 'vanishes-before-read';

const FIFO: EntryProblem = { kind: 'not-a-file', type: 'FIFO' };
const DIRECTORY: EntryProblem = { kind: 'not-a-file', type: 'directory' };
const LOOP: EntryProblem = { kind: 'symlink-loop' };
const DANGLING: EntryProblem = { kind: 'dangling-symlink', target: '/elsewhere/web.yaml' };

/** A scripted directory /m whose entries the test sets, scanned on demand with `scan()`. */
function directory(entries: Map<string, Entry>) {
  const watchEvents = new Subject<WatchEvent>();
  const st = { lists: 0, dirId: '1', listError: undefined as Error | undefined };
  const watched: string[] = [];
  const caps = new Set<number>();
  const inodes = new Map<string, number>();
  const fileStat = (name: string, text: string) => {
    const key = `${name}:${text}`;
    if (!inodes.has(key)) inodes.set(key, inodes.size + 1);
    return { ino: inodes.get(key)!, size: text.length, mtimeMs: 1 };
  };
  const fs: ManifestFsPort = {
    list: async () => {
      st.lists++;
      if (st.listError) throw st.listError;
      return { kind: 'dir', names: [...entries.keys()], id: st.dirId };
    },
    stat: async (file, maxBytes) => {
      caps.add(maxBytes);
      const name = file.slice('/m/'.length);
      const e = entries.get(name);
      if (e === undefined || e === 'vanishes-before-stat') return { kind: 'missing' };
      if (e === 'vanishes-before-read') return { kind: 'file', stat: { ino: 99, size: 10, mtimeMs: 1 } };
      if ('problem' in e) return { kind: 'bad', problem: e.problem };
      return { kind: 'file', stat: fileStat(name, e.text) };
    },
    read: async (file, maxBytes) => {
      caps.add(maxBytes);
      const name = file.slice('/m/'.length);
      const e = entries.get(name);
      if (e === undefined || typeof e === 'string') return { kind: 'missing' };
      if ('problem' in e) return { kind: 'bad', problem: e.problem };
      return { kind: 'text', text: e.text, stat: fileStat(name, e.text) };
    },
    watch: (_path, kind) => {
      watched.push(kind);
      return watchEvents;
    },
    settle: async () => undefined,
    writers: async () => new Set(),
  };
  const seen: EventBody[] = [];
  const skipped: string[] = [];
  const scanErrors: string[] = [];
  let sub: Subscription | undefined;
  return {
    fs,
    st,
    watched,
    caps,
    seen,
    skipped,
    scanErrors,
    /** Subscribes with a far periodic rescan; resolves after the first scan. */
    async start(opts: { maxBytes?: number } = {}) {
      sub = manifestDirectory(
        fs,
        {
          path: '/m',
          nodeName: 'node1',
          checkFrequencyMs: 600_000,
          ...opts,
          onSkipped: (file, why) => skipped.push(`${file}: ${why}`),
          onScanError: (err) => scanErrors.push((err as Error).message),
        },
        asyncScheduler,
      ).subscribe((e) => seen.push(e));
      await until('the first scan', () => st.lists >= 1);
      await sleep(5);
    },
    /** One more scan, as a watch event asks for; resolves once it is done. */
    async scan() {
      const before = st.lists;
      watchEvents.next({ path: '/m', change: 'unknown' });
      await until('a scan', () => st.lists > before);
      await sleep(5);
    },
    /** The manifest events so far, as `type origin[: first problem]`. */
    log: () =>
      seen
        .filter((e) => e.type.startsWith('Manifest'))
        .map((e) =>
          e.type === 'ManifestInvalid'
            ? `${e.type} ${e.origin}: ${e.problems[0]!.message}`
            : `${e.type} ${'origin' in e ? e.origin : ''}`,
        ),
    stop: () => sub?.unsubscribe(),
  };
}

describe('manifest directory entries', () => {
  it('each bad entry is an invalid manifest with its reason, and the good files around it are read', async () => {
    const entries = new Map<string, Entry>([
      ['a.yaml', { problem: LOOP }],
      ['b.yaml', { text: podYaml('b') }],
      ['fifo.yaml', { problem: FIFO }],
      ['zero.yaml', { problem: { kind: 'not-a-file', type: 'character device', target: '/dev/zero' } }],
      ['dir.yaml', { problem: DIRECTORY }],
      ['big.yaml', { problem: { kind: 'too-large', size: 5_000_000, cap: MANIFEST_MAX_BYTES } }],
      ['locked.yaml', { problem: { kind: 'unreadable', message: 'permission denied (EACCES)' } }],
      ['sock.yaml', { problem: { kind: 'not-a-file', type: 'socket' } }],
    ]);
    const d = directory(entries);
    await d.start();
    try {
      assert.deepEqual(d.log().sort(), [
        'ManifestInvalid /m/a.yaml: a symlink loop (too many levels of symbolic links)',
        'ManifestInvalid /m/big.yaml: larger than 1 MiB, the limit on a manifest',
        'ManifestInvalid /m/dir.yaml: a directory, not a regular file',
        'ManifestInvalid /m/fifo.yaml: a FIFO, not a regular file',
        'ManifestInvalid /m/locked.yaml: cannot read it: permission denied (EACCES)',
        'ManifestInvalid /m/sock.yaml: a socket, not a regular file',
        'ManifestInvalid /m/zero.yaml: a symlink to /dev/zero, which is a character device, not a regular file',
        'ManifestRead /m/b.yaml',
      ]);
      assert.deepEqual([...d.caps], [MANIFEST_MAX_BYTES], 'every stat and read is bounded by the cap');

      // A good manifest added after them is read at the next scan.
      entries.set('c.yaml', { text: podYaml('c') });
      await d.scan();
      assert.equal(d.log().at(-1), 'ManifestRead /m/c.yaml');
      assert.equal(d.log().length, 9, 'the bad entries are not reported again');
      assert.deepEqual(d.scanErrors, []);
    } finally {
      d.stop();
    }
  });

  it('a manifest replaced by a FIFO keeps its pod; reported again only when the reason changes; back to itself, read again', async () => {
    const entries = new Map<string, Entry>([['web.yaml', { text: podYaml('web') }]]);
    const d = directory(entries);
    await d.start();
    try {
      entries.set('web.yaml', { problem: FIFO });
      await d.scan();
      await d.scan();
      entries.set('web.yaml', { problem: DIRECTORY });
      await d.scan();
      await d.scan();
      entries.set('web.yaml', { text: podYaml('web') });
      await d.scan();
      assert.deepEqual(d.log(), [
        'ManifestRead /m/web.yaml',
        'ManifestInvalid /m/web.yaml: a FIFO, not a regular file',
        'ManifestInvalid /m/web.yaml: a directory, not a regular file',
        // The same content as before: read again all the same, so its problem is cleared.
        'ManifestRead /m/web.yaml',
      ]);
      assert.ok(!d.seen.some((e) => e.type === 'ManifestGone'), 'never gone: something is at its name');
    } finally {
      d.stop();
    }
  });

  it('a symlink to nowhere counts as no file: a manifest that becomes one is gone; a new one is only told of', async () => {
    const entries = new Map<string, Entry>([
      ['web.yaml', { text: podYaml('web') }],
      ['new.yaml', { problem: DANGLING }],
    ]);
    const d = directory(entries);
    await d.start();
    try {
      entries.set('web.yaml', { problem: DANGLING });
      await d.scan();
      await d.scan();
      assert.deepEqual(d.log(), ['ManifestRead /m/web.yaml', 'ManifestGone /m/web.yaml']);
      const why = 'a symlink to /elsewhere/web.yaml, which does not exist: as if there were no file';
      assert.deepEqual(d.skipped, [`/m/new.yaml: ${why}`, `/m/web.yaml: ${why}`], 'each told once');

      // Its target comes back: a manifest again.
      entries.set('web.yaml', { text: podYaml('web') });
      await d.scan();
      assert.equal(d.log().at(-1), 'ManifestRead /m/web.yaml');
    } finally {
      d.stop();
    }
  });

  it('a file that vanishes between the listing and the stat, or the stat and the read, is gone', async () => {
    const entries = new Map<string, Entry>([
      ['a.yaml', { text: podYaml('a') }],
      ['b.yaml', { text: podYaml('b') }],
    ]);
    const d = directory(entries);
    await d.start();
    try {
      entries.set('a.yaml', 'vanishes-before-stat');
      entries.set('b.yaml', 'vanishes-before-read');
      await d.scan();
      assert.deepEqual(d.log().slice(2).sort(), ['ManifestGone /m/a.yaml', 'ManifestGone /m/b.yaml']);
      assert.deepEqual(d.scanErrors, []);
    } finally {
      d.stop();
    }
  });

  it('a scan that fails as a whole is told once per distinct error, and again after a good scan', async () => {
    const d = directory(new Map());
    await d.start();
    try {
      d.st.listError = new Error('ELOOP: too many symbolic links encountered');
      await d.scan();
      await d.scan();
      d.st.listError = new Error('EIO: i/o error');
      await d.scan();
      d.st.listError = undefined;
      await d.scan();
      d.st.listError = new Error('EIO: i/o error');
      await d.scan();
      assert.deepEqual(d.scanErrors, [
        'ELOOP: too many symbolic links encountered',
        'EIO: i/o error',
        'EIO: i/o error',
      ]);
    } finally {
      d.stop();
    }
  });

  it('a directory put in the place of the watched one is watched anew', async () => {
    const d = directory(new Map([['web.yaml', { text: podYaml('web') }]]));
    await d.start();
    try {
      await d.scan();
      assert.deepEqual(d.watched, ['dir']);
      d.st.dirId = '2';
      await d.scan();
      assert.deepEqual(d.watched, ['dir', 'dir']);
    } finally {
      d.stop();
    }
  });

  it('the rule: only a symlink to nowhere counts as gone', () => {
    const problems: EntryProblem[] = [
      FIFO,
      DIRECTORY,
      LOOP,
      DANGLING,
      { kind: 'too-large', size: 2, cap: 1 },
      { kind: 'unreadable', message: 'x' },
    ];
    assert.deepEqual(
      problems.filter((p) => problemMeans(p) === 'gone'),
      [DANGLING],
    );
    assert.equal(
      describeProblem({ kind: 'too-large', size: 20, cap: 10 }),
      'larger than 10 bytes, the limit on a manifest',
    );
  });
});
