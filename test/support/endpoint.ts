// For the local endpoint's tests: a free loopback port, a GET to the endpoint, `staticlet status`,
// and a unix-socket proxy to the test containerd that a test can cut and restore (the runtime
// gone and back, without touching the shared containerd).
import { execFile } from 'node:child_process';
import { unlink } from 'node:fs/promises';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { REPO, staticletCommand, waitFor } from './harness.js';

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export interface Answer {
  readonly status: number;
  readonly body: string;
}

/** GET http://127.0.0.1:<port><path>; a refused connection or a timeout throws. */
export async function get(port: number, path: string): Promise<Answer> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, { signal: AbortSignal.timeout(10_000) });
  return { status: res.status, body: await res.text() };
}

/** The first answer of `path` that has `status`, polled until `timeoutMs`. */
export function answerWith(port: number, path: string, status: number, timeoutMs = 60_000): Promise<Answer> {
  return waitFor(
    `${path} answering ${status}`,
    async () => {
      const a = await get(port, path);
      return a.status === status && a;
    },
    timeoutMs,
    500,
  );
}

export interface CommandResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** The staticlet command (built, through its launcher, as users run it), with its exit code. */
export function staticlet(...args: string[]): Promise<CommandResult> {
  const [program, ...rest] = [...staticletCommand(), ...args];
  return new Promise((resolve) => {
    execFile(program!, rest, { cwd: REPO, timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** A unix socket that forwards every connection to `target` (a socket path) while it is up. */
export class RuntimeProxy {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();

  constructor(
    readonly path: string,
    private readonly target: string,
  ) {}

  get endpoint(): string {
    return `unix://${this.path}`;
  }

  async up(): Promise<void> {
    const server = createServer((client) => {
      const upstream = connect(this.target);
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => undefined);
      }
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.path, resolve);
    });
    this.server = server;
  }

  /** The runtime is gone: the socket disappears and every open connection is cut. */
  async cut(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const s of this.sockets) s.destroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
    await unlink(this.path).catch(() => undefined);
  }
}
