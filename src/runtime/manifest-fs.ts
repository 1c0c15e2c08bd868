// The filesystem port of the manifest directory source: listing, reading, watching, and finding
// processes that still write a file. What one entry is, and its bounded read: manifest-entry.ts.
import { watch as chokidarWatch } from 'chokidar';
import { readdirSync, readFileSync, readlinkSync, realpathSync, statSync, watch as inotifyWatch } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { Observable } from 'rxjs';
import { errnoOf, isNotFound, readEntry, statEntry, type EntryRead, type EntryStat } from './manifest-entry.js';

export type { EntryProblem, EntryRead, EntryStat, EntryType, FileStat } from './manifest-entry.js';

export type Listing =
  /** Every name in the directory, whatever it is; `id` tells this directory from one put in its place. */
  | { readonly kind: 'dir'; readonly names: readonly string[]; readonly id: string }
  | { readonly kind: 'file' }
  | { readonly kind: 'missing' };

/**
 * What a watch saw happen to `path`: a name came, went or was renamed (`entry`); a file was
 * written or its attributes changed (`content`); or the watch cannot tell (`unknown`).
 */
export interface WatchEvent {
  readonly path: string;
  readonly change: 'entry' | 'content' | 'unknown';
}

export interface ManifestFsPort {
  /**
   * A missing path is `missing`, never an error: an absent directory is an empty one. Throws only
   * when the path itself cannot be listed (a symlink loop, say).
   */
  list(path: string): Promise<Listing>;
  /** What one entry is, following symlinks; a regular file over `maxBytes` is a problem. Never throws. */
  stat(file: string, maxBytes: number): Promise<EntryStat>;
  /** One entry's content, at most `maxBytes`, never hanging on a FIFO nor reading a device. Never throws. */
  read(file: string, maxBytes: number): Promise<EntryRead>;
  /**
   * Emits whenever something below `path` (one level) may have changed, and once (for `path`
   * itself, `unknown`) when the watch is in place. `kind` is what the path was at the last
   * listing: the watch suits it.
   */
  watch(path: string, kind: Listing['kind']): Observable<WatchEvent>;
  /** Resolves once the watch has passed on every event the kernel had queued when this was called. */
  settle(): Promise<void>;
  /** Which of `files` some process holds open for writing. */
  writers(files: readonly string[]): Promise<Set<string>>;
}

function isRefused(err: unknown): boolean {
  const code = errnoOf(err);
  return code === 'EACCES' || code === 'EPERM';
}

/**
 * Listing, stat and read are synchronous on purpose: a manifest directory is a handful of small
 * local files, where a synchronous call takes microseconds and each trip through the thread pool
 * costs about half a millisecond, and a scan makes three of them in a row before it can act.
 */
export const nodeManifestFs: ManifestFsPort = {
  async list(path) {
    try {
      const st = statSync(path);
      if (!st.isDirectory()) return { kind: 'file' };
      // Not recursive. Every name is listed: the source judges each entry on its own (stat), and
      // symlinks are followed there (Kubernetes volumes' ..data links work).
      return { kind: 'dir', names: readdirSync(path), id: `${st.dev}:${st.ino}` };
    } catch (err) {
      if (isNotFound(err)) return { kind: 'missing' };
      throw err;
    }
  },
  stat: async (file, maxBytes) => statEntry(file, maxBytes),
  read: async (file, maxBytes) => readEntry(file, maxBytes),
  watch(path, kind) {
    if (kind === 'dir') return directoryEvents(path);
    return kind === 'missing' ? missingEvents(path) : chokidarEvents(path);
  },
  settle: () => new Promise<void>((resolve) => setImmediate(() => setImmediate(resolve))),
  writers: procWriters,
};

/**
 * An existing directory: one inotify watch and nothing read per event, since the scan that follows
 * reads what it needs (chokidar would re-read and stat the whole directory on every event, which
 * costs milliseconds per event and a lot of CPU in a burst). A second watch, on the parent, sees
 * the path itself go, come back or be swapped (a symlink retargeted, a directory renamed over it).
 *
 * Completes, after an `unknown` event for the path, as soon as what it watches may no longer be
 * the path: its name came, went or was replaced in the parent, or the directory watched was
 * itself removed or moved (inotify's delete-self and move-self, which Node reports as a `rename`
 * of the directory's own base name). The source then arms a new watch at the scan that follows,
 * even when the directory now there has the same dev and inode as the old one (ext4 hands a
 * removed directory's inode to the next mkdir at once, so no listing can tell them apart). The
 * parent is watched first: a swap after that is seen there, and one before it happened before
 * the directory watch was set up, which then watches the new directory. Completes too if the
 * watch breaks, or cannot be set up (after an `unknown` event when the path is gone or no
 * directory any more, so that a scan looks at what it is now).
 */
function directoryEvents(path: string): Observable<WatchEvent> {
  return new Observable<WatchEvent>((subscriber) => {
    const name = basename(path);
    const replaced = (): void => {
      if (subscriber.closed) return;
      subscriber.next({ path, change: 'unknown' });
      subscriber.complete();
    };
    const parent = parentEvents(path, replaced);
    let watcher: ReturnType<typeof inotifyWatch>;
    try {
      // Node's `rename` is inotify's create, delete and move; its `change` is modify and attrib.
      // Events about the directory itself come with its own base name.
      watcher = inotifyWatch(path, { persistent: true }, (event, changed) => {
        if (subscriber.closed) return;
        const entry = changed?.toString();
        if (entry === undefined || entry === '') {
          subscriber.next({ path, change: 'unknown' });
          return;
        }
        subscriber.next({ path: join(path, entry), change: event === 'rename' ? 'entry' : 'content' });
        if (event === 'rename' && entry === name) replaced();
      });
    } catch (err) {
      parent?.close();
      if (isNotFound(err)) subscriber.next({ path, change: 'unknown' });
      subscriber.complete();
      return;
    }
    watcher.on('error', () => replaced());
    subscriber.next({ path, change: 'unknown' });
    return () => {
      watcher.close();
      parent?.close();
    };
  });
}

/**
 * Calls `changed` when the name of `path` in its parent directory comes, goes or is replaced, and
 * `broke` (by default nothing: the periodic rescan still sees the path change) if the watch breaks.
 */
function parentEvents(
  path: string,
  changed: () => void,
  broke: () => void = () => undefined,
): ReturnType<typeof inotifyWatch> | undefined {
  const parent = dirname(path);
  const name = basename(path);
  if (parent === path) return undefined;
  try {
    const watcher = inotifyWatch(parent, { persistent: true }, (_event, changedName) => {
      if (changedName?.toString() === name) changed();
    });
    watcher.on('error', () => {
      watcher.close();
      broke();
    });
    return watcher;
  } catch {
    return undefined;
  }
}

/**
 * A path that is not there: the watch on its parent sees it come, in place the moment this
 * returns (chokidar, for a missing path, says it is ready before it watches the parent, and a
 * directory made in between would be missed). Where the parent is not there either, chokidar,
 * which notices the path appear whatever is missing of it.
 */
function missingEvents(path: string): Observable<WatchEvent> {
  return new Observable<WatchEvent>((subscriber) => {
    const parent = parentEvents(
      path,
      () => subscriber.next({ path, change: 'unknown' }),
      () => subscriber.complete(),
    );
    if (parent === undefined) return chokidarEvents(path).subscribe(subscriber);
    subscriber.next({ path, change: 'unknown' });
    return () => parent.close();
  });
}

/**
 * A single manifest file, or a path that is not there and neither is its parent: chokidar follows
 * a file replaced by rename and notices the path appear.
 */
function chokidarEvents(path: string): Observable<WatchEvent> {
  return new Observable<WatchEvent>((subscriber) => {
    // atomic: false: chokidar would hold back an unlink for 100 ms to see whether the file comes
    // back; the scan that follows any event sees a replaced file as changed anyway.
    const watcher = chokidarWatch(path, { depth: 0, ignoreInitial: true, persistent: true, atomic: false });
    // chokidar's `add` is a create and a rename alike: it cannot tell how a file came.
    const emit = (p: string) => subscriber.next({ path: p, change: 'unknown' });
    watcher.on('add', emit).on('change', emit).on('unlink', emit).on('addDir', emit).on('unlinkDir', emit);
    watcher.on('ready', () => subscriber.next({ path, change: 'unknown' }));
    // A watcher error is not fatal: the periodic rescan still sees every change.
    watcher.on('error', () => undefined);
    return () => {
      void watcher.close();
    };
  });
}

const O_ACCMODE = 0o3;

/**
 * Scans /proc once for file descriptors open for writing on any of `files`; empty where /proc is
 * not readable.
 * Synchronous on purpose: thousands of tiny /proc reads are several times cheaper than through
 * the thread pool, and this runs only when a manifest changed.
 */
export async function procWriters(files: readonly string[]): Promise<Set<string>> {
  const byTarget = new Map<string, string>();
  for (const file of files) {
    let target = file;
    try {
      target = realpathSync(file);
    } catch {
      // gone or unreadable: compare the path as given
    }
    byTarget.set(target, file);
  }
  const found = new Set<string>();
  let pids: string[] = [];
  try {
    // Not our own descriptors: the agent only ever reads manifests.
    const self = String(process.pid);
    pids = readdirSync('/proc').filter((p) => p !== self && /^\d+$/.test(p));
  } catch {
    return found;
  }
  for (const pid of pids) {
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      let link: string;
      try {
        link = readlinkSync(`/proc/${pid}/fd/${fd}`);
      } catch (err) {
        // Refused for one descriptor is refused for the whole process (another user namespace,
        // say): skip the rest, since each refusal costs a thrown error.
        if (isRefused(err)) break;
        continue;
      }
      const file = byTarget.get(link);
      if (file === undefined || found.has(file)) continue;
      let info = '';
      try {
        info = readFileSync(`/proc/${pid}/fdinfo/${fd}`, 'utf8');
      } catch {
        continue;
      }
      const flags = /flags:\s*([0-7]+)/.exec(info)?.[1];
      if (flags !== undefined && (parseInt(flags, 8) & O_ACCMODE) !== 0) found.add(file);
    }
  }
  return found;
}
