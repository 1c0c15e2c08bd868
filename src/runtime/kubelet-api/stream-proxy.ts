// The upgrade-aware proxy of the kubelet port's streaming paths, as the kubelet's proxyStream does
// it: the client's upgrade request (SPDY or WebSocket: its Upgrade, Connection,
// X-Stream-Protocol-Version and Sec-WebSocket-* headers) goes to the URL the runtime's Exec,
// Attach or PortForward answered, the runtime's answer comes back as it is (its 101 and the
// protocol it chose, or its error), and then the two connections are joined byte for byte until
// either ends. Waiting for the runtime is bounded; a joined session lasts as long as its two
// ends (the runtime's streaming server has its own idle timeout), or until the proxy is closed.
import { STATUS_CODES, type IncomingMessage } from 'node:http';
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import type { Duplex } from 'node:stream';

export const PROXY_LIMITS = {
  /** Connecting to the runtime's streaming server and reading its answer's head. */
  answerTimeoutMs: 30_000,
  maxAnswerHeadBytes: 64 * 1024,
  /** How long an error answer from the runtime is relayed, and a closing session drains. */
  drainMs: 10_000,
} as const;

/** Request headers not passed to the runtime: hop-by-hop ones we rewrite, and the caller's credentials. */
const DROPPED = new Set(['host', 'authorization', 'proxy-authorization', 'x-forwarded-for', 'content-length']);

export class StreamProxy {
  private readonly sessions = new Set<Duplex>();
  private closed = false;

  /** Sessions joined or being set up. */
  get active(): number {
    return this.sessions.size;
  }

  /**
   * Proxies the upgrade request `req` (whose connection is `client`, with `head` already read from
   * it) to `target`, and answers the client. Never throws: failures are answered on the socket.
   */
  async proxy(req: IncomingMessage, client: Duplex, head: Buffer, target: URL): Promise<void> {
    if (this.closed) {
      writeRawError(client, 503, 'the kubelet port is shutting down');
      return;
    }
    let backend: Socket;
    try {
      backend = connectTo(target);
    } catch (err) {
      writeRawError(client, 500, `error dialing backend: ${(err as Error).message}`);
      return;
    }
    const session = [client, backend] as const;
    for (const s of session) this.sessions.add(s);
    const destroy = () => {
      for (const s of session) {
        s.destroy();
        this.sessions.delete(s);
      }
    };
    // No session after all: the backend goes, the client gets the error and is no longer ours.
    const refuse = (message: string) => {
      backend.destroy();
      for (const s of session) this.sessions.delete(s);
      client.off('close', destroy);
      writeRawError(client, 500, message);
    };
    client.on('error', destroy);
    backend.on('error', () => undefined);
    client.once('close', destroy);

    let answer: { status: number; bytes: Buffer };
    try {
      backend.write(requestHead(req, target));
      if (head.length > 0) backend.write(head);
      answer = await readAnswerHead(backend, PROXY_LIMITS.answerTimeoutMs, PROXY_LIMITS.maxAnswerHeadBytes);
    } catch (err) {
      refuse(`error proxying to the runtime's streaming server: ${(err as Error).message}`);
      return;
    }
    if (answer.status !== 101 && answer.status < 400) {
      refuse(`invalid upgrade response: status code ${answer.status}`);
      return;
    }
    client.write(answer.bytes);
    if (answer.status !== 101) {
      // The runtime's error, relayed as it is, for a bounded time.
      backend.pipe(client);
      setTimeout(destroy, PROXY_LIMITS.drainMs).unref();
      return;
    }
    joinSessions(client, backend, destroy);
  }

  /** Ends every session (the agent's shutdown). */
  close(): void {
    this.closed = true;
    for (const s of this.sessions) s.destroy();
    this.sessions.clear();
  }
}

/**
 * The two connections joined both ways. When either side ends, the other is ended after what was
 * written to it drains (a last status frame still reaches the client), and destroyed after drainMs.
 */
function joinSessions(client: Duplex, backend: Socket, destroy: () => void): void {
  backend.on('error', destroy);
  backend.once('close', destroy);
  backend.pipe(client, { end: false });
  client.pipe(backend, { end: false });
  let ending = false;
  const end = () => {
    if (ending) return;
    ending = true;
    client.end();
    backend.end();
    setTimeout(destroy, PROXY_LIMITS.drainMs).unref();
  };
  client.once('end', end);
  backend.once('end', end);
}

function connectTo(target: URL): Socket {
  const host = target.hostname.replace(/^\[(.*)\]$/, '$1');
  if (target.protocol === 'http:') return netConnect({ host, port: Number(target.port || 80) });
  if (target.protocol === 'https:')
    return tlsConnect({ host, port: Number(target.port || 443), servername: isIp(host) ? undefined : host });
  throw new Error(`unsupported streaming URL scheme ${target.protocol}`);
}

const isIp = (host: string) => /^[\d.]+$/.test(host) || host.includes(':');

/** The client's request line and headers, re-addressed to the target. */
function requestHead(req: IncomingMessage, target: URL): string {
  const lines = [`${req.method ?? 'GET'} ${target.pathname}${target.search} HTTP/1.1`, `Host: ${target.host}`];
  const raw = req.rawHeaders;
  let forwardedFor = '';
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!;
    const lower = name.toLowerCase();
    if (lower === 'x-forwarded-for') forwardedFor = raw[i + 1]!;
    if (DROPPED.has(lower)) continue;
    lines.push(`${name}: ${raw[i + 1]!}`);
  }
  const from = req.socket.remoteAddress;
  if (from) lines.push(`X-Forwarded-For: ${forwardedFor ? `${forwardedFor}, ${from}` : from}`);
  return lines.join('\r\n') + '\r\n\r\n';
}

/**
 * Reads the runtime's answer up to the end of its head: its status and every byte read (the head,
 * and whatever of the stream came with it), to be relayed unchanged.
 */
function readAnswerHead(
  backend: Socket,
  timeoutMs: number,
  maxBytes: number,
): Promise<{ status: number; bytes: Buffer }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const timer = setTimeout(() => done(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    const onData = (chunk: Buffer) => {
      chunks.push(chunk);
      size += chunk.length;
      const all = Buffer.concat(chunks);
      const end = all.indexOf('\r\n\r\n');
      if (end < 0) {
        if (size > maxBytes) done(new Error(`answer head larger than ${maxBytes} bytes`));
        return;
      }
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(all.subarray(0, end).toString('latin1'));
      if (!m) return done(new Error('malformed answer from the streaming server'));
      done(undefined, { status: Number(m[1]), bytes: all });
    };
    const onEnd = () => done(new Error('the streaming server closed the connection without an answer'));
    const onError = (err: Error) => done(err);
    function done(err: Error | undefined, value?: { status: number; bytes: Buffer }) {
      clearTimeout(timer);
      backend.off('data', onData);
      backend.off('end', onEnd);
      backend.off('error', onError);
      // Bytes after the head stay with `value`; the socket is paused until joined.
      backend.pause();
      if (err) reject(err);
      else resolve(value!);
    }
    backend.on('data', onData);
    backend.once('end', onEnd);
    backend.once('error', onError);
  });
}

/** An HTTP answer written on a connection taken out of the HTTP server (an upgrade), then closed. */
export function writeRawError(
  socket: Duplex,
  status: number,
  message: string,
  headers: Record<string, string> = {},
): void {
  const body = Buffer.from(message + '\n');
  const head = [
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}`,
    'Content-Type: text/plain; charset=utf-8',
    `Content-Length: ${body.length}`,
    'Connection: close',
    ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
  ];
  socket.on('error', () => socket.destroy());
  if (socket.destroyed) return;
  socket.end(Buffer.concat([Buffer.from(head.join('\r\n') + '\r\n\r\n', 'latin1'), body]));
  setTimeout(() => socket.destroy(), PROXY_LIMITS.drainMs).unref();
}
