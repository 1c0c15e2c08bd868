// The filesystem port of the manifest directory source: listing, reading, watching, and finding
// processes that still write a file.
import { watch as chokidarWatch } from 'chokidar';
import { readdir, readFile, readlink, realpath, stat } from 'node:fs/promises';
import { Observable } from 'rxjs';

export type Listing =
  | { readonly kind: 'dir'; readonly names: readonly string[] }
  | { readonly kind: 'file' }
  | { readonly kind: 'missing' };

export interface FileStat {
  readonly ino: number;
  readonly size: number;
  readonly mtimeMs: number;
}

export interface ManifestFsPort {
  /** A missing path is `missing`, never an error: an absent directory is an empty one. */
  list(path: string): Promise<Listing>;
  stat(file: string): Promise<FileStat | undefined>;
  /** `undefined` when the file vanished in between. */
  read(file: string): Promise<string | undefined>;
  /** Emits a path whenever something below `path` (one level) may have changed. */
  watch(path: string): Observable<string>;
  /** Process ids that hold `file` open for writing. */
  writers(file: string): Promise<number[]>;
}

function isNotFound(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

export const nodeManifestFs: ManifestFsPort = {
  async list(path) {
    try {
      const st = await stat(path);
      if (!st.isDirectory()) return { kind: 'file' };
      const entries = await readdir(path, { withFileTypes: true });
      // Not recursive; symlinks are followed when read (kubeadm-style ..data links work).
      return { kind: 'dir', names: entries.filter((e) => e.isFile() || e.isSymbolicLink()).map((e) => e.name) };
    } catch (err) {
      if (isNotFound(err)) return { kind: 'missing' };
      throw err;
    }
  },
  async stat(file) {
    try {
      const st = await stat(file);
      return st.isFile() ? { ino: st.ino, size: st.size, mtimeMs: st.mtimeMs } : undefined;
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  },
  async read(file) {
    try {
      return await readFile(file, 'utf8');
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  },
  watch(path) {
    return new Observable<string>((subscriber) => {
      // atomic: false: chokidar would hold back an unlink for 100 ms to see whether the file comes
      // back; the scan that follows any event sees a replaced file as changed anyway.
      const watcher = chokidarWatch(path, { depth: 0, ignoreInitial: true, persistent: true, atomic: false });
      const emit = (p: string) => subscriber.next(p);
      watcher.on('add', emit).on('change', emit).on('unlink', emit).on('addDir', emit).on('unlinkDir', emit);
      // A watcher error is not fatal: the periodic rescan still sees every change.
      watcher.on('error', () => undefined);
      return () => {
        void watcher.close();
      };
    });
  },
  writers: procWriters,
};

const O_ACCMODE = 0o3;

/** Scans /proc for file descriptors open for writing on `file`. Empty where /proc is not readable. */
export async function procWriters(file: string): Promise<number[]> {
  const target = await realpath(file).catch(() => file);
  const pids = (await readdir('/proc').catch(() => [] as string[])).filter((p) => /^\d+$/.test(p));
  const found: number[] = [];
  await Promise.all(
    pids.map(async (pid) => {
      const fds = await readdir(`/proc/${pid}/fd`).catch(() => [] as string[]);
      for (const fd of fds) {
        const link = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => '');
        if (link !== target) continue;
        const info = await readFile(`/proc/${pid}/fdinfo/${fd}`, 'utf8').catch(() => '');
        const flags = /flags:\s*([0-7]+)/.exec(info)?.[1];
        if (flags !== undefined && (parseInt(flags, 8) & O_ACCMODE) !== 0) {
          found.push(Number(pid));
          return;
        }
      }
    }),
  );
  return found;
}
