// A log file's tail: where to start reading so that its last lines come out whole, found by
// reading the file backwards.
import type { FileHandle } from 'node:fs/promises';
import { EMPTY, NL, parseCriLogEntry, type LogStream } from './cri-log-line.js';

/** How much is read at a time: backwards for the tail, forwards when reading on. */
export const CHUNK = 64 * 1024;
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
