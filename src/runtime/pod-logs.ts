// The pods' CRI log files, read with no runtime and no API server: the kubelet's layout
// (<podLogsDir>/<namespace>_<pod>_<uid>/<container>/<attempt>.log) and the CRI log format, one
// entry a line: `<RFC3339Nano time> <stdout|stderr> <P|F>[:<more tags>] <content>`, where P marks
// a partial line (the runtime cuts long lines) continued by the next entries of the same stream up
// to an F. Lines are the joined entries; tails are found by reading the file backwards.
import { open, readdir, stat, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';

export type LogStream = 'stdout' | 'stderr';

/** A complete line of a container's output. `time` is the time of its first entry, as written. */
export interface LogLine {
  readonly time: string;
  readonly stream: LogStream;
  readonly content: Buffer;
}

/** A problem the user can act on (no such pod, an unreadable directory): printed as it is. */
export class PodLogsError extends Error {
  override name = 'PodLogsError';
}

export interface PodLogDir {
  readonly path: string;
  readonly namespace: string;
  readonly podName: string;
  readonly uid: string;
}

function errorCode(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | undefined)?.code;
}

/** `<namespace>_<pod>_<uid>`: namespaces and pod names are DNS names, so they hold no `_`. */
export function parsePodLogDirName(name: string): Omit<PodLogDir, 'path'> | undefined {
  const parts = name.split('_');
  if (parts.length !== 3 || parts.some((p) => p === '')) return undefined;
  return { namespace: parts[0]!, podName: parts[1]!, uid: parts[2]! };
}

function unreadable(what: string, path: string, err: unknown): PodLogsError {
  const code = errorCode(err);
  if (code === 'ENOENT') return new PodLogsError(`${what} ${path} does not exist`);
  if (code === 'EACCES' || code === 'EPERM') return new PodLogsError(`cannot read ${what} ${path}: permission denied`);
  if (code === 'ENOTDIR') return new PodLogsError(`${what} ${path} is not a directory`);
  return new PodLogsError(`cannot read ${what} ${path}: ${(err as Error).message}`);
}

async function subdirectories(path: string, what: string): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(path, { withFileTypes: true });
  } catch (err) {
    throw unreadable(what, path, err);
  }
  const names: string[] = [];
  for (const e of entries) {
    if (e.isDirectory()) names.push(e.name);
    else if (e.isSymbolicLink() && (await stat(join(path, e.name)).catch(() => undefined))?.isDirectory())
      names.push(e.name);
  }
  return names.sort();
}

/** Every pod log directory under the root. */
export async function listPodLogDirs(root: string): Promise<PodLogDir[]> {
  const dirs: PodLogDir[] = [];
  for (const name of await subdirectories(root, 'pod logs directory')) {
    const parsed = parsePodLogDirName(name);
    if (parsed) dirs.push({ ...parsed, path: join(root, name) });
  }
  return dirs;
}

/** The names of the containers that have a log directory in a pod's log directory. */
export function listContainerDirs(podDir: string): Promise<string[]> {
  return subdirectories(podDir, 'pod log directory');
}

/** The attempts that have a log file (`<attempt>.log`), in increasing order. ENOENT is thrown as is. */
export async function listAttempts(containerDir: string): Promise<number[]> {
  const attempts: number[] = [];
  for (const name of await readdir(containerDir)) {
    const m = /^(\d{1,9})\.log$/.exec(name);
    if (m) attempts.push(Number(m[1]));
  }
  return attempts.sort((a, b) => a - b);
}

/** When a pod last logged: the newest mtime of its log files (the directory's own when it has none). */
export async function lastLogTime(podDir: string): Promise<number> {
  let newest = (await stat(podDir).catch(() => undefined))?.mtimeMs ?? 0;
  let logged = -1;
  const containers = await readdir(podDir).catch(() => [] as string[]);
  for (const c of containers) {
    const files = await readdir(join(podDir, c)).catch(() => [] as string[]);
    for (const f of files) {
      if (!/^\d+\.log$/.test(f)) continue;
      const st = await stat(join(podDir, c, f)).catch(() => undefined);
      if (st) logged = Math.max(logged, st.mtimeMs);
    }
  }
  if (logged >= 0) newest = logged;
  return newest;
}

// ---- the CRI log format ----

const NL = 0x0a;
const SPACE = 0x20;
const EMPTY = Buffer.alloc(0);
const STDOUT = Buffer.from('stdout');
const STDERR = Buffer.from('stderr');

export interface CriLogEntry {
  readonly time: string;
  readonly stream: LogStream;
  readonly partial: boolean;
  readonly content: Buffer;
}

/** One entry (a line of the file, without its newline); undefined when it is not one. */
export function parseCriLogEntry(line: Buffer): CriLogEntry | undefined {
  const s1 = line.indexOf(SPACE);
  if (s1 <= 0) return undefined;
  const s2 = line.indexOf(SPACE, s1 + 1);
  if (s2 < 0) return undefined;
  const streamBytes = line.subarray(s1 + 1, s2);
  const stream: LogStream | undefined = streamBytes.equals(STDOUT)
    ? 'stdout'
    : streamBytes.equals(STDERR)
      ? 'stderr'
      : undefined;
  if (!stream) return undefined;
  const s3 = line.indexOf(SPACE, s2 + 1);
  const tags = line.toString('latin1', s2 + 1, s3 < 0 ? line.length : s3).split(':');
  if (tags[0] !== 'P' && tags[0] !== 'F') return undefined;
  return {
    time: line.toString('latin1', 0, s1),
    stream,
    partial: tags[0] === 'P',
    content: s3 < 0 ? EMPTY : line.subarray(s3 + 1),
  };
}

interface StreamState {
  /** False while the stream may be in the middle of a line that began before what was read. */
  synced: boolean;
  parts: Buffer[];
  time: string;
}

/**
 * Turns the bytes of a log file, fed in order in chunks of any size, into lines. Entries that are
 * not CRI log entries are skipped, as the kubelet does. A stream given as `unsynced` (reading
 * started in the middle of the file) drops its entries up to its first complete one. The lines
 * point into the chunks: a chunk must not be changed after it is pushed.
 */
export class CriLogParser {
  private rest: Buffer = EMPTY;
  private readonly streams: Record<LogStream, StreamState>;

  constructor(unsynced: Iterable<LogStream> = []) {
    const u = new Set(unsynced);
    this.streams = {
      stdout: { synced: !u.has('stdout'), parts: [], time: '' },
      stderr: { synced: !u.has('stderr'), parts: [], time: '' },
    };
  }

  /** The lines that the chunk completes, in the order of their last entries. */
  push(chunk: Buffer): LogLine[] {
    const data = this.rest.length > 0 ? Buffer.concat([this.rest, chunk]) : chunk;
    const lines: LogLine[] = [];
    let from = 0;
    for (let nl = data.indexOf(NL, from); nl >= 0; nl = data.indexOf(NL, from)) {
      const line = this.entry(data.subarray(from, nl));
      if (line) lines.push(line);
      from = nl + 1;
    }
    this.rest = from < data.length ? data.subarray(from) : EMPTY;
    return lines;
  }

  /** The partial lines still open, as lines: the end of a file whose writer is gone. */
  flush(): LogLine[] {
    const lines: LogLine[] = [];
    for (const stream of ['stdout', 'stderr'] as const) {
      const s = this.streams[stream];
      if (s.parts.length > 0) lines.push({ time: s.time, stream, content: Buffer.concat(s.parts) });
      s.parts = [];
    }
    return lines;
  }

  /** Forgets a half-read entry (the file was truncated or replaced under the reader). */
  dropIncompleteEntry(): void {
    this.rest = EMPTY;
  }

  private entry(bytes: Buffer): LogLine | undefined {
    const e = parseCriLogEntry(bytes);
    if (!e) return undefined;
    const s = this.streams[e.stream];
    if (!s.synced) {
      if (!e.partial) s.synced = true;
      return undefined;
    }
    if (s.parts.length === 0) s.time = e.time;
    s.parts.push(e.content);
    if (e.partial) return undefined;
    const line = {
      time: s.time,
      stream: e.stream,
      content: s.parts.length === 1 ? s.parts[0]! : Buffer.concat(s.parts),
    };
    s.parts = [];
    return line;
  }
}

const CHUNK = 64 * 1024;
/** How far past the tail the other stream's last entry is looked for (a partial line still open there). */
const SYNC_SCAN_LIMIT = 1024 * 1024;

export interface TailStart {
  /** Where to start reading: an entry boundary. */
  readonly start: number;
  /** The end of the last complete entry: where following goes on. */
  readonly end: number;
  /** The streams that may be in the middle of a line at `start` (see CriLogParser). */
  readonly unsynced: LogStream[];
}

/**
 * Where to start reading so that the last `n` lines of the file come out whole, found by reading
 * the file backwards from `size`: back past the n-th last complete entry, then on to the complete
 * entry that precedes, in each stream, the partial entries of those lines. It also looks for each
 * stream's last entry (up to SYNC_SCAN_LIMIT further), so that a line still open at the end comes
 * out whole too.
 */
export async function findTailStart(fh: FileHandle, size: number, n: number): Promise<TailStart> {
  let pos = size;
  let carry: Buffer = EMPTY;
  let end = -1;
  let lines = 0;
  let phase2From = -1; // offset where the n lines were all found
  const need = new Set<LogStream>(); // streams whose earliest line in the window may start earlier
  const newest = new Map<LogStream, number>(); // each stream's last entry offset
  let start = -1;
  let startStream: LogStream | undefined;
  const found = () => lines >= n && need.size === 0;
  // Each stream's last entry is looked for too: a partial line open there is a line (printed at the
  // end, or completed later when following) whose start must be in the window.
  const done = (offset: number) => found() && (newest.size === 2 || phase2From - offset > SYNC_SCAN_LIMIT);
  const result = (): TailStart => ({
    start,
    end,
    unsynced: [...newest].filter(([s, at]) => at >= start && s !== startStream).map(([s]) => s),
  });

  if (n <= 0) phase2From = size;
  while (pos > 0) {
    const len = Math.min(CHUNK, pos);
    pos -= len;
    const buf = Buffer.alloc(len);
    await readFully(fh, buf, pos);
    const data = carry.length > 0 ? Buffer.concat([buf, carry]) : buf;
    let stop = data.length; // data[stop - 1] is the newline ending the current entry
    if (end < 0) {
      const nl = data.lastIndexOf(NL);
      if (nl < 0) {
        carry = data;
        continue;
      }
      end = pos + nl + 1;
      if (n <= 0) phase2From = end;
      if (start < 0) start = end;
      stop = nl + 1;
    }
    for (;;) {
      if (stop === 0) {
        carry = EMPTY;
        break;
      }
      const prev = stop >= 2 ? data.lastIndexOf(NL, stop - 2) : -1;
      if (prev < 0 && pos > 0) {
        carry = data.subarray(0, stop);
        break;
      }
      const offset = pos + prev + 1;
      const e = parseCriLogEntry(data.subarray(prev + 1, stop - 1));
      const after = pos + stop;
      stop = prev + 1;
      if (!e) continue;
      const first = !newest.has(e.stream);
      if (first) newest.set(e.stream, offset);
      if (lines < n) {
        if (!e.partial) {
          lines++;
          need.add(e.stream);
          if (lines === n) phase2From = offset;
        } else if (first) {
          need.add(e.stream);
        }
      } else if (!e.partial) {
        if (need.delete(e.stream) && need.size === 0) {
          start = after;
          startStream = e.stream;
        }
      } else if (first) {
        need.add(e.stream);
      }
      if (done(offset)) return result();
    }
  }
  // At the start of the file: every stream starts a line there.
  if (end >= 0 && found()) return result();
  return { start: 0, end: Math.max(end, 0), unsynced: [] };
}

async function readFully(fh: FileHandle, buf: Buffer, position: number): Promise<number> {
  let got = 0;
  while (got < buf.length) {
    const { bytesRead } = await fh.read(buf, got, buf.length - got, position + got);
    if (bytesRead === 0) break;
    got += bytesRead;
  }
  return got;
}

export type LinesSink = (lines: LogLine[]) => Promise<void> | void;

/** An open log file read forwards: all of it or its tail, then what is added (following). */
export class LogFile {
  private parser = new CriLogParser();
  private pos = 0;

  private constructor(
    readonly path: string,
    private fh: FileHandle,
    private ino: number,
  ) {}

  static async open(path: string): Promise<LogFile> {
    const fh = await open(path, 'r');
    try {
      return new LogFile(path, fh, (await fh.stat()).ino);
    } catch (err) {
      await fh.close();
      throw err;
    }
  }

  /**
   * The file's lines up to its last complete entry: all of them, or the last `tail`. When not
   * `following`, the partial lines left open at the end count as lines.
   */
  async read(tail: number | undefined, following: boolean, sink: LinesSink): Promise<void> {
    if (tail === undefined) {
      this.parser = new CriLogParser();
      this.pos = 0;
      await this.readMore(sink);
      if (!following) await emit(sink, this.parser.flush());
      return;
    }
    if (tail <= 0 && !following) return;
    const { size } = await this.fh.stat();
    const { start, end, unsynced } = await findTailStart(this.fh, size, tail);
    this.parser = new CriLogParser(unsynced);
    const kept: LogLine[] = [];
    const keep = (lines: LogLine[]) => {
      if (tail <= 0) return;
      kept.push(...lines);
      if (kept.length >= 2 * tail + 64) kept.splice(0, kept.length - tail);
    };
    this.pos = start;
    while (this.pos < end) {
      // A new buffer for each chunk: the lines point into it.
      const buf = Buffer.allocUnsafe(Math.min(CHUNK, end - this.pos));
      const { bytesRead } = await this.fh.read(buf, 0, buf.length, this.pos);
      if (bytesRead === 0) break;
      this.pos += bytesRead;
      keep(this.parser.push(buf.subarray(0, bytesRead)));
    }
    if (!following) keep(this.parser.flush());
    await emit(sink, tail > 0 ? kept.slice(-tail) : []);
  }

  /** The complete lines written since the last read. */
  async readMore(sink: LinesSink): Promise<void> {
    for (;;) {
      // A new buffer for each chunk: the lines point into it.
      const buf = Buffer.allocUnsafe(CHUNK);
      const { bytesRead } = await this.fh.read(buf, 0, CHUNK, this.pos);
      if (bytesRead === 0) return;
      this.pos += bytesRead;
      await emit(sink, this.parser.push(buf.subarray(0, bytesRead)));
    }
  }

  /**
   * Goes on with a file rotated under the reader (a new file at the path: the old one is read to
   * its end first) or truncated (read again from its start).
   */
  async followRotation(sink: LinesSink): Promise<void> {
    const current = await stat(this.path).catch(() => undefined);
    if (current && current.ino !== this.ino) {
      const fh = await open(this.path, 'r').catch(() => undefined);
      if (!fh) return;
      await this.readMore(sink);
      await this.fh.close();
      this.parser.dropIncompleteEntry();
      this.fh = fh;
      this.ino = (await fh.stat()).ino;
      this.pos = 0;
      await this.readMore(sink);
    } else if ((await this.fh.stat()).size < this.pos) {
      this.parser.dropIncompleteEntry();
      this.pos = 0;
      await this.readMore(sink);
    }
  }

  /** Reads to the end, with the partial lines left open as lines (the writer is gone), and closes. */
  async finish(sink: LinesSink): Promise<void> {
    try {
      await this.readMore(sink);
      await emit(sink, this.parser.flush());
    } finally {
      await this.close();
    }
  }

  async close(): Promise<void> {
    await this.fh.close().catch(() => undefined);
  }
}

async function emit(sink: LinesSink, lines: LogLine[]): Promise<void> {
  if (lines.length > 0) await sink(lines);
}
