// Where `staticlet logs` prints: this process's stdout, with back-pressure.

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
