// A container's log file read forwards: all of it or its tail, then what is added (following),
// across rotation and truncation.
import { open, stat, type FileHandle } from 'node:fs/promises';
import { CriLogParser, type LogLine } from './cri-log-line.js';
import { CHUNK, findTailStart } from './tail.js';

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
