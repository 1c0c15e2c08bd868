// One entry of a manifest directory, judged on its own: what it is (a regular file, or why not),
// and its content, read with a size bound and never opened in a way that can hang. No error about
// one entry ever escapes: it is a fact about that entry.
import {
  closeSync,
  constants,
  fstatSync,
  lstatSync,
  openSync,
  readlinkSync,
  readSync,
  statSync,
  type Stats,
} from 'node:fs';

export interface FileStat {
  readonly ino: number;
  readonly size: number;
  readonly mtimeMs: number;
}

/** What kind of thing a name is when it is not a regular file. */
export type EntryType = 'directory' | 'FIFO' | 'socket' | 'character device' | 'block device' | 'unknown file type';

/** Why an entry cannot be read as a manifest. */
export type EntryProblem =
  /** A directory, FIFO, socket or device; `target` when reached through a symlink. */
  | { readonly kind: 'not-a-file'; readonly type: EntryType; readonly target?: string }
  /** A symlink whose target does not exist. */
  | { readonly kind: 'dangling-symlink'; readonly target: string }
  /** Symlinks that lead back to themselves (ELOOP). */
  | { readonly kind: 'symlink-loop' }
  /** A regular file larger than the cap (`size` is what was seen: its size, or how far a read got). */
  | { readonly kind: 'too-large'; readonly size: number; readonly cap: number }
  /** The kernel refused to stat or read it (permissions, I/O error, ...). */
  | { readonly kind: 'unreadable'; readonly message: string };

export type EntryStat =
  | { readonly kind: 'file'; readonly stat: FileStat }
  /** Not there (any more): removed, or renamed away, between the listing and now. */
  | { readonly kind: 'missing' }
  | { readonly kind: 'bad'; readonly problem: EntryProblem };

export type EntryRead =
  /** The content, and the stat of what was actually read (it may have been replaced since the stat). */
  | { readonly kind: 'text'; readonly text: string; readonly stat: FileStat }
  | { readonly kind: 'missing' }
  | { readonly kind: 'bad'; readonly problem: EntryProblem };

/** The errno code of a failed fs call. */
export function errnoOf(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | undefined)?.code;
}

export function isNotFound(err: unknown): boolean {
  const code = errnoOf(err);
  return code === 'ENOENT' || code === 'ENOTDIR';
}

const fileStat = (st: Stats): FileStat => ({ ino: st.ino, size: st.size, mtimeMs: st.mtimeMs });

function typeOf(st: Stats): EntryType {
  if (st.isDirectory()) return 'directory';
  if (st.isFIFO()) return 'FIFO';
  if (st.isSocket()) return 'socket';
  if (st.isCharacterDevice()) return 'character device';
  if (st.isBlockDevice()) return 'block device';
  return 'unknown file type';
}

/** The symlink's target as written, when `file` is a symlink. */
function linkTarget(file: string): string | undefined {
  try {
    return lstatSync(file).isSymbolicLink() ? readlinkSync(file) : undefined;
  } catch {
    return undefined;
  }
}

function notAFile(file: string, st: Stats): EntryProblem {
  const target = linkTarget(file);
  return { kind: 'not-a-file', type: typeOf(st), ...(target !== undefined ? { target } : {}) };
}

/** `EACCES: permission denied, open '/m/x.yaml'` → `permission denied (EACCES)`: the log names the file. */
function errorText(err: unknown): string {
  const code = errnoOf(err);
  const message = err instanceof Error ? err.message : String(err);
  const plain = code ? (new RegExp(`^${code}: (.*?)(, \\w+ '.*')?$`).exec(message)?.[1] ?? message) : message;
  return code && !plain.includes(code) ? `${plain} (${code})` : plain;
}

/** What a failed stat or open of `file` means for that entry. */
function whatFailed(file: string, err: unknown): Exclude<EntryStat, { kind: 'file' }> {
  if (isNotFound(err)) {
    const target = linkTarget(file);
    return target !== undefined ? { kind: 'bad', problem: { kind: 'dangling-symlink', target } } : { kind: 'missing' };
  }
  if (errnoOf(err) === 'ELOOP') return { kind: 'bad', problem: { kind: 'symlink-loop' } };
  // An open can fail for what the name is (ENXIO for a socket, say): say what it is.
  try {
    const st = statSync(file);
    if (!st.isFile()) return { kind: 'bad', problem: notAFile(file, st) };
  } catch {
    // the first error says it best
  }
  return { kind: 'bad', problem: { kind: 'unreadable', message: errorText(err) } };
}

/** What `file` is, following symlinks; never throws. */
export function statEntry(file: string, maxBytes: number): EntryStat {
  let st: Stats;
  try {
    st = statSync(file);
  } catch (err) {
    return whatFailed(file, err);
  }
  if (!st.isFile()) return { kind: 'bad', problem: notAFile(file, st) };
  if (st.size > maxBytes) return { kind: 'bad', problem: { kind: 'too-large', size: st.size, cap: maxBytes } };
  return { kind: 'file', stat: fileStat(st) };
}

const CHUNK = 64 * 1024;

/**
 * The content of `file`, at most `maxBytes`; never throws. Opened non-blocking (a FIFO put in its
 * place since the stat does not hang the open) and checked on the open descriptor before any read
 * (a FIFO or a device is never read); a file that grows past the cap while read, or a /proc-like
 * file whose size says 0, stops at the cap.
 */
export function readEntry(file: string, maxBytes: number): EntryRead {
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch (err) {
    return whatFailed(file, err);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) return { kind: 'bad', problem: notAFile(file, st) };
    if (st.size > maxBytes) return { kind: 'bad', problem: { kind: 'too-large', size: st.size, cap: maxBytes } };
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const buf = Buffer.allocUnsafe(Math.min(Math.max(st.size - total, CHUNK), maxBytes + 1 - total));
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      chunks.push(n === buf.length ? buf : buf.subarray(0, n));
      total += n;
      if (total > maxBytes) return { kind: 'bad', problem: { kind: 'too-large', size: total, cap: maxBytes } };
    }
    return { kind: 'text', text: Buffer.concat(chunks, total).toString('utf8'), stat: fileStat(st) };
  } catch (err) {
    return { kind: 'bad', problem: { kind: 'unreadable', message: errorText(err) } };
  } finally {
    closeSync(fd);
  }
}
