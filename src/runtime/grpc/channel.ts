// gRPC calls over one HTTP/2 connection to a unix socket, on node:http2 directly: unary calls and
// server streams, the two kinds the agent makes. The CRI client makes hundreds of small unary calls
// a second in a burst; through grpc-js each costs about a millisecond of CPU (its channel, picker,
// filter stack and call objects), which is taken from the cores the runtime needs, and grpc-js
// loaded costs the idle agent ~2 MiB of heap. A unary call is one request message and one response
// message (gRPC over HTTP/2, the "PROTOCOL-HTTP2" spec); a server stream is one request message and
// any number of response messages (the CRI's GetContainerEvents, containerd's Events/Subscribe).
// Both end on trailers with the status; this does only that: no compression, retries or balancing.
import {
  connect as connectHttp2,
  constants,
  type ClientHttp2Session,
  type ClientHttp2Stream,
  type IncomingHttpHeaders,
} from 'node:http2';
import { connect as connectSocket } from 'node:net';
import { frame, MessageReader } from './framing.js';
import { GrpcCallError, grpcStatusName, type GrpcStatusName } from './status.js';

export { GrpcCallError, type GrpcStatusName } from './status.js';

export interface GrpcChannelOptions {
  /** Largest response message accepted (bytes). */
  readonly maxReceiveBytes: number;
  /** `:authority` of every request. */
  readonly authority?: string;
  readonly userAgent?: string;
}

/** What a server stream tells its subscriber: messages, then either an error or the end. */
export interface StreamHandlers {
  /** Each response message, serialized, in order. A throw ends the stream with that error. */
  next(message: Buffer): void;
  /** Once, when the stream fails: the server's status, or the connection's fate as a status. */
  error(err: GrpcCallError): void;
  /** Once, when the server ends the stream with OK. */
  complete(): void;
}

export interface GrpcChannel {
  /** Sends one serialized request to `path` (`/package.Service/Method`); resolves to the serialized response. */
  call(path: string, request: Buffer, timeoutMs: number): Promise<Buffer>;
  /**
   * Opens a server stream: one serialized request to `path`, then the response messages as they
   * come. `cancel` resets the HTTP/2 stream and tells the handlers nothing more.
   */
  stream(path: string, request: Buffer, handlers: StreamHandlers): { cancel(): void };
  /** Fails the calls and streams in flight with CANCELLED and refuses new ones. */
  close(): void;
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
  const code = grpcStatusName(Number(Array.isArray(raw) ? raw[0] : raw));
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

/** One call as the channel runs it: messages in, then one end (undefined: OK). */
interface CallSink {
  /** May throw a GrpcCallError, which ends the call with it. */
  message(message: Buffer): void;
  end(err: GrpcCallError | undefined): void;
}

/**
 * One connection, opened at the first call and again after it breaks (a runtime restart, a
 * GOAWAY): a call never waits for a reconnect, it fails UNAVAILABLE, as grpc-js's calls do when
 * the runtime is not there, and the caller's next call connects anew.
 */
export function createGrpcChannel(socketPath: string, options: GrpcChannelOptions): GrpcChannel {
  const authority = options.authority ?? 'localhost';
  let session: ClientHttp2Session | undefined;
  let closed = false;
  /** The last connection's failure, which says more than the reset of a stream it took along. */
  let connectionError: Error | undefined;
  /** Each call in flight, by the way to fail it when the channel closes. */
  const inFlight = new Set<(err: GrpcCallError) => void>();
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

  /** Starts one call; returns the way to cancel it (silently: the sink hears nothing more). */
  const start = (path: string, request: Buffer, timeoutMs: number | undefined, sink: CallSink): (() => void) => {
    if (closed) {
      sink.end(new GrpcCallError('CANCELLED', 'the channel is closed'));
      return () => undefined;
    }
    const headers = {
      ':method': 'POST',
      ':path': path,
      'content-type': 'application/grpc',
      te: 'trailers',
      ...(timeoutMs !== undefined ? { 'grpc-timeout': grpcTimeout(timeoutMs) } : {}),
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
          sink.end(new GrpcCallError('UNAVAILABLE', err instanceof Error ? err.message : String(err)));
          return () => undefined;
        }
      }
    }
    if (!stream || !s) return () => undefined;
    const st = stream;
    const ss = s;

    let settled = false;
    let httpStatus = 0;
    let status: { code: GrpcStatusName; details: string } | undefined;
    const reader = new MessageReader(options.maxReceiveBytes);
    /** Ends the call: tells the sink (unless cancelled) and resets the stream if still open. */
    const finish = (err: GrpcCallError | undefined, tell = true) => {
      if (settled) return;
      settled = true;
      if (timer) clearTimeout(timer);
      inFlight.delete(fail);
      track(ss, -1);
      if (!st.closed) st.close(constants.NGHTTP2_CANCEL);
      if (tell) sink.end(err);
    };
    const fail = (err: GrpcCallError) => finish(err);
    inFlight.add(fail);
    track(ss, 1);
    const timer =
      timeoutMs === undefined
        ? undefined
        : setTimeout(
            () => finish(new GrpcCallError('DEADLINE_EXCEEDED', `no answer within ${timeoutMs} ms`)),
            Math.max(1, timeoutMs),
          );

    st.on('response', (headers) => {
      httpStatus = Number(headers[':status']);
      // A trailers-only response carries the status in its headers.
      status = statusIn(headers);
    });
    st.on('data', (chunk: Buffer) => {
      if (settled) return;
      try {
        reader.push(chunk, (message) => {
          if (!settled) sink.message(message);
        });
      } catch (err) {
        finish(
          err instanceof GrpcCallError
            ? err
            : new GrpcCallError('INTERNAL', err instanceof Error ? err.message : String(err)),
        );
      }
    });
    st.on('trailers', (trailers) => {
      status = statusIn(trailers) ?? status;
    });
    st.on('error', (err: Error) => {
      // The connection's failure (no runtime at the socket, a runtime that went away) comes
      // first: Node resets the streams of a broken connection itself.
      if (ss.destroyed || ss.closed) finish(new GrpcCallError('UNAVAILABLE', connectionError?.message ?? err.message));
      else if (st.rstCode)
        finish(new GrpcCallError(statusOfReset(st.rstCode), `stream reset by the runtime (code ${st.rstCode})`));
      else finish(new GrpcCallError('INTERNAL', err.message));
    });
    st.on('close', () => {
      if (settled) return;
      if (status === undefined) {
        // The connection gone first (the runtime went away): Node resets its streams itself.
        if (ss.destroyed || ss.closed) {
          finish(new GrpcCallError('UNAVAILABLE', connectionError?.message ?? 'the connection to the runtime closed'));
        } else if (st.rstCode !== undefined && st.rstCode !== constants.NGHTTP2_NO_ERROR) {
          finish(new GrpcCallError(statusOfReset(st.rstCode), `stream reset by the runtime (code ${st.rstCode})`));
        } else if (httpStatus !== 0 && httpStatus !== 200) {
          finish(new GrpcCallError(statusOfHttp(httpStatus), `HTTP status ${httpStatus}`));
        } else {
          finish(
            new GrpcCallError(ss.destroyed ? 'UNAVAILABLE' : 'INTERNAL', 'the response ended without a gRPC status'),
          );
        }
        return;
      }
      if (status.code !== 'OK') finish(new GrpcCallError(status.code, status.details));
      else if (reader.midMessage) finish(new GrpcCallError('INTERNAL', 'the response ended inside a message'));
      else finish(undefined);
    });
    st.end(frame(request));
    return () => finish(undefined, false);
  };

  return {
    call(path, request, timeoutMs) {
      return new Promise<Buffer>((resolve, reject) => {
        let answer: Buffer | undefined;
        start(path, request, timeoutMs, {
          message(message) {
            if (answer) throw new GrpcCallError('INTERNAL', 'more than one response message to a unary call');
            answer = message;
          },
          end(err) {
            if (err) reject(err);
            else if (!answer) reject(new GrpcCallError('INTERNAL', 'no response message'));
            else resolve(answer);
          },
        });
      });
    },
    stream(path, request, handlers) {
      const cancel = start(path, request, undefined, {
        message: (message) => handlers.next(message),
        end: (err) => (err ? handlers.error(err) : handlers.complete()),
      });
      return { cancel };
    },
    close() {
      if (closed) return;
      closed = true;
      for (const fail of [...inFlight]) fail(new GrpcCallError('CANCELLED', 'the channel is closed'));
      session?.close();
      session = undefined;
    },
  };
}
