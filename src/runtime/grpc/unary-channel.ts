// Unary gRPC calls over one HTTP/2 connection to a unix socket, on node:http2 directly.
// The CRI client makes hundreds of small unary calls a second in a burst; through grpc-js each
// costs about a millisecond of CPU (its channel, picker, filter stack and call objects), which is
// taken from the cores the runtime needs. A unary call is one request frame and one response frame
// (gRPC over HTTP/2, the "PROTOCOL-HTTP2" spec), so this does only that. Streams stay on grpc-js.
import {
  connect as connectHttp2,
  constants,
  type ClientHttp2Session,
  type ClientHttp2Stream,
  type IncomingHttpHeaders,
} from 'node:http2';
import { connect as connectSocket } from 'node:net';
import { status as grpcStatus } from '@grpc/grpc-js';

/** gRPC status names, from grpc-js's own table of the protocol's codes. */
export type GrpcStatusName = keyof typeof grpcStatus;

function nameOf(code: number): GrpcStatusName {
  const name = grpcStatus[code];
  return typeof name === 'string' ? (name as GrpcStatusName) : 'UNKNOWN';
}

/** A call that ended with a status other than OK (from the server, the connection or the deadline). */
export class GrpcCallError extends Error {
  constructor(
    readonly code: GrpcStatusName,
    readonly details: string,
  ) {
    super(`${code}: ${details}`);
    this.name = 'GrpcCallError';
  }
}

export interface UnaryChannelOptions {
  /** Largest response message accepted (bytes). */
  readonly maxReceiveBytes: number;
  /** `:authority` of every request. */
  readonly authority?: string;
  readonly userAgent?: string;
}

export interface UnaryChannel {
  /** Sends one serialized request to `path` (`/package.Service/Method`); resolves to the serialized response. */
  call(path: string, request: Buffer, timeoutMs: number): Promise<Buffer>;
  /** Fails the calls in flight with CANCELLED and refuses new ones. */
  close(): void;
}

/** The 5-byte gRPC message prefix: a compressed flag (0) and the length, big-endian. */
function frame(message: Buffer): Buffer {
  const out = Buffer.allocUnsafe(5 + message.length);
  out[0] = 0;
  out.writeUInt32BE(message.length, 1);
  message.copy(out, 5);
  return out;
}

/** The status an HTTP response without a gRPC status stands for (the spec's mapping). */
function statusOfHttp(httpStatus: number): GrpcStatusName {
  switch (httpStatus) {
    case 400:
      return 'INTERNAL';
    case 401:
      return 'UNAUTHENTICATED';
    case 403:
      return 'PERMISSION_DENIED';
    case 404:
      return 'UNIMPLEMENTED';
    case 429:
    case 502:
    case 503:
    case 504:
      return 'UNAVAILABLE';
    default:
      return 'UNKNOWN';
  }
}

/** The status a stream reset by the peer stands for (the spec's mapping of RST_STREAM codes). */
function statusOfReset(rstCode: number): GrpcStatusName {
  switch (rstCode) {
    case constants.NGHTTP2_REFUSED_STREAM:
      return 'UNAVAILABLE';
    case constants.NGHTTP2_CANCEL:
      return 'CANCELLED';
    case constants.NGHTTP2_ENHANCE_YOUR_CALM:
      return 'RESOURCE_EXHAUSTED';
    case constants.NGHTTP2_INADEQUATE_SECURITY:
      return 'PERMISSION_DENIED';
    default:
      return 'INTERNAL';
  }
}

function decodeMessage(value: string | string[] | undefined): string {
  const raw = Array.isArray(value) ? value.join(',') : (value ?? '');
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

/** The gRPC status in a header block (trailers, or headers of a trailers-only response). */
function statusIn(headers: IncomingHttpHeaders): { code: GrpcStatusName; details: string } | undefined {
  const raw = headers['grpc-status'];
  if (raw === undefined) return undefined;
  const code = nameOf(Number(Array.isArray(raw) ? raw[0] : raw));
  return { code, details: decodeMessage(headers['grpc-message']) };
}

/** `grpc-timeout`: at most eight digits, so large deadlines go in coarser units. */
export function grpcTimeout(ms: number): string {
  const t = Math.max(1, Math.ceil(ms));
  if (t < 1e8) return `${t}m`;
  const s = Math.ceil(t / 1000);
  if (s < 1e8) return `${s}S`;
  return `${Math.min(99_999_999, Math.ceil(s / 3600))}H`;
}

/**
 * One connection, opened at the first call and again after it breaks (a runtime restart, a
 * GOAWAY): a call never waits for a reconnect, it fails UNAVAILABLE, as grpc-js's calls do when
 * the runtime is not there, and the caller's next call connects anew.
 */
export function createUnaryChannel(socketPath: string, options: UnaryChannelOptions): UnaryChannel {
  const authority = options.authority ?? 'localhost';
  let session: ClientHttp2Session | undefined;
  let closed = false;
  /** The last connection's failure, which says more than the reset of a stream it took along. */
  let connectionError: Error | undefined;
  const inFlight = new Set<ClientHttp2Stream>();
  /** Calls in flight per connection: a connection keeps the process alive only while it has some. */
  const active = new WeakMap<ClientHttp2Session, number>();
  const track = (s: ClientHttp2Session, delta: 1 | -1) => {
    const n = (active.get(s) ?? 0) + delta;
    active.set(s, n);
    if (s.destroyed) return;
    if (n === 1 && delta === 1) s.ref();
    if (n === 0) s.unref();
  };

  const open = (): ClientHttp2Session => {
    if (session && !session.closed && !session.destroyed) return session;
    connectionError = undefined;
    const s = connectHttp2(`http://${authority}`, {
      createConnection: () => connectSocket({ path: socketPath }),
      // Big listings arrive in one window, not in 64 KiB steps each waiting for a WINDOW_UPDATE.
      settings: { enablePush: false, initialWindowSize: 4 * 1024 * 1024 },
      maxSessionMemory: 64,
    });
    const forget = () => {
      if (session === s) session = undefined;
    };
    // Errors reach the calls as stream errors; the session is only dropped.
    s.on('error', (err: Error) => {
      connectionError = err;
      forget();
    });
    s.on('goaway', forget);
    s.on('close', forget);
    // The connection-level window too (initialWindowSize is each stream's).
    s.on('connect', () => s.setLocalWindowSize(16 * 1024 * 1024));
    s.unref();
    session = s;
    return s;
  };

  return {
    call(path, request, timeoutMs) {
      return new Promise<Buffer>((resolve, reject) => {
        if (closed) {
          reject(new GrpcCallError('CANCELLED', 'the channel is closed'));
          return;
        }
        const headers = {
          ':method': 'POST',
          ':path': path,
          'content-type': 'application/grpc',
          te: 'trailers',
          'grpc-timeout': grpcTimeout(timeoutMs),
          ...(options.userAgent ? { 'user-agent': options.userAgent } : {}),
        };
        let stream: ClientHttp2Stream | undefined;
        let s: ClientHttp2Session | undefined;
        // A connection that cannot take another stream (its stream ids used up, after about a
        // billion calls) is replaced once, at once.
        for (let attempt = 0; attempt < 2 && !stream; attempt++) {
          try {
            s = open();
            stream = s.request(headers, { endStream: false });
          } catch (err) {
            s?.destroy();
            if (attempt === 1) {
              reject(new GrpcCallError('UNAVAILABLE', err instanceof Error ? err.message : String(err)));
              return;
            }
          }
        }
        if (!stream || !s) return;
        inFlight.add(stream);
        track(s, 1);

        let settled = false;
        let httpStatus = 0;
        let status: { code: GrpcStatusName; details: string } | undefined;
        const chunks: Buffer[] = [];
        let received = 0;
        const finish = (err: GrpcCallError | undefined, value?: Buffer) => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          inFlight.delete(stream);
          track(s, -1);
          if (!stream.closed) stream.close(constants.NGHTTP2_CANCEL);
          if (err) reject(err);
          else resolve(value!);
        };
        const timer = setTimeout(
          () => finish(new GrpcCallError('DEADLINE_EXCEEDED', `no answer within ${timeoutMs} ms`)),
          Math.max(1, timeoutMs),
        );

        stream.on('response', (headers) => {
          httpStatus = Number(headers[':status']);
          // A trailers-only response carries the status in its headers.
          status = statusIn(headers);
        });
        stream.on('data', (chunk: Buffer) => {
          received += chunk.length;
          if (received > options.maxReceiveBytes + 5) {
            finish(new GrpcCallError('RESOURCE_EXHAUSTED', `response larger than ${options.maxReceiveBytes} bytes`));
            return;
          }
          chunks.push(chunk);
        });
        stream.on('trailers', (trailers) => {
          status = statusIn(trailers) ?? status;
        });
        stream.on('error', (err: Error) => {
          // The connection's failure (no runtime at the socket, a runtime that went away) comes
          // first: Node resets the streams of a broken connection itself.
          if (closed) finish(new GrpcCallError('CANCELLED', 'the channel is closed'));
          else if (s.destroyed || s.closed)
            finish(new GrpcCallError('UNAVAILABLE', connectionError?.message ?? err.message));
          else if (stream.rstCode)
            finish(
              new GrpcCallError(statusOfReset(stream.rstCode), `stream reset by the runtime (code ${stream.rstCode})`),
            );
          else finish(new GrpcCallError('INTERNAL', err.message));
        });
        stream.on('close', () => {
          if (settled) return;
          if (status === undefined) {
            if (stream.rstCode !== undefined && stream.rstCode !== constants.NGHTTP2_NO_ERROR) {
              finish(
                new GrpcCallError(
                  statusOfReset(stream.rstCode),
                  `stream reset by the runtime (code ${stream.rstCode})`,
                ),
              );
            } else if (httpStatus !== 0 && httpStatus !== 200) {
              finish(new GrpcCallError(statusOfHttp(httpStatus), `HTTP status ${httpStatus}`));
            } else {
              finish(
                new GrpcCallError(s.destroyed ? 'UNAVAILABLE' : 'INTERNAL', 'the response ended without a gRPC status'),
              );
            }
            return;
          }
          if (status.code !== 'OK') {
            finish(new GrpcCallError(status.code, status.details));
            return;
          }
          const body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
          if (body.length < 5) {
            finish(new GrpcCallError('INTERNAL', 'no response message'));
            return;
          }
          if (body[0] !== 0) {
            finish(new GrpcCallError('INTERNAL', 'compressed response message (none was asked for)'));
            return;
          }
          const length = body.readUInt32BE(1);
          if (body.length !== 5 + length) {
            finish(
              new GrpcCallError('INTERNAL', `response message of ${body.length - 5} bytes, its prefix says ${length}`),
            );
            return;
          }
          finish(undefined, body.subarray(5));
        });
        stream.end(frame(request));
      });
    },
    close() {
      if (closed) return;
      closed = true;
      for (const stream of inFlight) stream.destroy(new Error('the channel is closed'));
      session?.close();
      session = undefined;
    },
  };
}
