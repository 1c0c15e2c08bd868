// The CRI log format, one entry a line: `<RFC3339Nano time> <stdout|stderr> <P|F>[:<more tags>] <content>`,
// where P marks a partial line (the runtime cuts long lines) continued by the next entries of the
// same stream up to an F. Lines are the joined entries.

export type LogStream = 'stdout' | 'stderr';

/** A complete line of a container's output. `time` is the time of its first entry, as written. */
export interface LogLine {
  readonly time: string;
  readonly stream: LogStream;
  readonly content: Buffer;
}

export const NL = 0x0a;
const SPACE = 0x20;
export const EMPTY = Buffer.alloc(0);
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
