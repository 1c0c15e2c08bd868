// How `staticlet logs` prints lines: the content, after the time with --timestamps, written to
// this process's stdout with back-pressure.
import type { LogLine } from '../runtime/pod-logs/cri-log-line.js';

/** The lines as printed: the content, after the time with --timestamps. kubectl prints both streams to stdout. */
export function renderLines(lines: readonly LogLine[], timestamps: boolean): Buffer {
  const parts: Buffer[] = [];
  for (const l of lines) {
    if (timestamps) parts.push(Buffer.from(`${l.time} `, 'latin1'));
    parts.push(l.content, NEWLINE);
  }
  return Buffer.concat(parts);
}
const NEWLINE = Buffer.from('\n');

export type Output = (data: Buffer) => Promise<void> | void;

/** Thrown by an Output written after its pipe was closed. */
export class OutputClosed extends Error {
  override name = 'OutputClosed';
}

/**
 * This process's stdout as an Output: a write waits for the pipe to drain (or for `stop`).
 * `closed()` says whether the pipe was closed.
 */
export function stdoutOutput(stop: AbortController): { out: Output; closed: () => boolean } {
  const stdout = process.stdout;
  let closed = false;
  // A closed pipe (`| head`) ends the command quietly.
  const onError = () => {
    closed = true;
    stop.abort();
  };
  stdout.on('error', onError);
  const out: Output = async (data) => {
    if (closed) throw new OutputClosed();
    if (data.length === 0) return;
    if (!stdout.write(data)) {
      await new Promise<void>((r) => {
        const done = () => {
          stdout.off('drain', done);
          stop.signal.removeEventListener('abort', done);
          r();
        };
        stdout.on('drain', done);
        stop.signal.addEventListener('abort', done);
      });
    }
  };
  return { out, closed: () => closed };
}
