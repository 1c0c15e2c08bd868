// The local HTTP endpoint's server (node:http): GET and HEAD only, no request bodies, bounded in
// header size, time and connections, so a misbehaving client on the node cannot hold the agent.
// It knows nothing of what it serves: the routes are handed in (see src/serving). A port that is
// taken is retried every few seconds, as the kubelet retries its healthz server, and never stops
// the agent; close() ends every connection, for the agent's shutdown.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { connect, type Server as NetServer } from 'node:net';
import { chmod, lstat, mkdir, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { EndpointAddress } from './endpoint-address.js';

export interface EndpointRequest {
  /** The path without the query: `/healthz/ping`. */
  readonly path: string;
  readonly query: URLSearchParams;
}

export interface EndpointResponse {
  readonly status: number;
  readonly contentType: string;
  readonly body: string | Buffer;
}

/** Answers one request; may be async (a metrics scrape), within HANDLER_TIMEOUT_MS. */
export type EndpointHandler = (request: EndpointRequest) => EndpointResponse | Promise<EndpointResponse>;

/**
 * Routes by path. A route also answers the paths below it (`/healthz` answers `/healthz/ping`),
 * unless a longer route holds them.
 */
export type EndpointRoutes = Readonly<Record<string, EndpointHandler>>;

export interface EndpointServerOptions {
  readonly address: EndpointAddress;
  readonly routes: EndpointRoutes;
  readonly onListening?: () => void;
  /** A failed listen (port taken, no permission): retried every LISTEN_RETRY_MS. */
  readonly onListenError?: (err: Error) => void;
  /** A handler that threw: answered 500, reported here. */
  readonly onHandlerError?: (path: string, err: unknown) => void;
  /** Default LISTEN_RETRY_MS. */
  readonly listenRetryMs?: number;
}

export interface EndpointServer {
  close(): Promise<void>;
}

export const LIMITS = {
  maxHeaderBytes: 16 * 1024,
  headersTimeoutMs: 5_000,
  requestTimeoutMs: 10_000,
  keepAliveTimeoutMs: 5_000,
  maxConnections: 64,
  handlerTimeoutMs: 10_000,
} as const;
export const LISTEN_RETRY_MS = 5_000;

export function startEndpointServer(options: EndpointServerOptions): EndpointServer {
  const server = createServer(
    {
      maxHeaderSize: LIMITS.maxHeaderBytes,
      headersTimeout: LIMITS.headersTimeoutMs,
      requestTimeout: LIMITS.requestTimeoutMs,
      keepAliveTimeout: LIMITS.keepAliveTimeoutMs,
    },
    (req, res) => void serveEndpointRequest(options, req, res),
  );
  server.maxConnections = LIMITS.maxConnections;
  const listener = listenWithRetry(server, options);
  return { close: () => listener.close() };
}

export interface ListenOptions {
  readonly address: EndpointAddress;
  readonly onListening?: () => void;
  /** A failed listen (port taken, no permission): retried every LISTEN_RETRY_MS. */
  readonly onListenError?: (err: Error) => void;
  /** Default LISTEN_RETRY_MS. */
  readonly listenRetryMs?: number;
}

/** An HTTP or HTTPS server's own connections can be ended (closeAllConnections). */
export type ClosableServer = NetServer & { closeAllConnections(): void };

/**
 * Listens on `address` and keeps trying every few seconds while it cannot (shared with the
 * kubelet API's server); close() stops trying, stops listening and ends every connection.
 */
export function listenWithRetry(server: ClosableServer, options: ListenOptions): { close(): Promise<void> } {
  let closed = false;
  let listening = false;
  let retry: NodeJS.Timeout | undefined;

  const listen = async (): Promise<void> => {
    try {
      if (options.address.kind === 'unix') await prepareSocketPath(options.address.path);
    } catch (err) {
      return failed(err as Error);
    }
    if (closed) return;
    if (options.address.kind === 'unix') server.listen(options.address.path);
    else server.listen({ host: options.address.host, port: options.address.port, exclusive: true });
  };
  const failed = (err: Error): void => {
    options.onListenError?.(err);
    if (closed) return;
    retry = setTimeout(() => void listen(), options.listenRetryMs ?? LISTEN_RETRY_MS);
  };
  server.on('error', (err) => {
    if (!listening) failed(err);
  });
  server.on('listening', () => {
    listening = true;
    // Owner and group only: the socket's permissions are who may ask.
    if (options.address.kind === 'unix') void chmod(options.address.path, 0o660).catch(() => undefined);
    options.onListening?.();
  });
  void listen();

  return {
    close: async () => {
      closed = true;
      clearTimeout(retry);
      if (!listening) return;
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

/** Answers one request from `routes` (also the kubelet API's own routes, after its authorization). */
export async function serveEndpointRequest(
  options: Pick<EndpointServerOptions, 'routes' | 'onHandlerError'>,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const method = req.method ?? '';
  let answer: EndpointResponse;
  if (method !== 'GET' && method !== 'HEAD') {
    res.setHeader('Allow', 'GET, HEAD');
    answer = text(405, 'method not allowed: the endpoint only answers GET and HEAD\n');
  } else if (hasBody(req)) {
    // Never read: the connection is closed instead of drained.
    res.shouldKeepAlive = false;
    answer = text(413, 'a request to this endpoint carries no body\n');
  } else {
    answer = await route(options, req.url ?? '/');
  }
  const body = typeof answer.body === 'string' ? Buffer.from(answer.body) : answer.body;
  res.writeHead(answer.status, {
    'Content-Type': answer.contentType,
    'Content-Length': body.length,
    'X-Content-Type-Options': 'nosniff',
    'Cache-Control': 'no-store',
  });
  res.end(method === 'HEAD' ? undefined : body);
}

async function route(
  options: Pick<EndpointServerOptions, 'routes' | 'onHandlerError'>,
  rawUrl: string,
): Promise<EndpointResponse> {
  let url: URL;
  try {
    url = new URL(rawUrl, 'http://endpoint');
  } catch {
    return text(400, 'bad request path\n');
  }
  const handler = findRoute(options.routes, url.pathname);
  if (!handler) return text(404, `not found: ${url.pathname}\n`);
  let timer: NodeJS.Timeout | undefined;
  try {
    const timeout = new Promise<EndpointResponse>((resolve) => {
      timer = setTimeout(
        () => resolve(text(503, `no answer within ${LIMITS.handlerTimeoutMs} ms\n`)),
        LIMITS.handlerTimeoutMs,
      );
    });
    return await Promise.race([Promise.resolve(handler({ path: url.pathname, query: url.searchParams })), timeout]);
  } catch (err) {
    options.onHandlerError?.(url.pathname, err);
    return text(500, 'internal error\n');
  } finally {
    clearTimeout(timer);
  }
}

/** The route for `path`: its own, or the longest route it lies below. */
export function findRoute(routes: EndpointRoutes, path: string): EndpointHandler | undefined {
  const own = Object.hasOwn(routes, path) ? routes[path] : undefined;
  if (own) return own;
  let best: string | undefined;
  for (const prefix of Object.keys(routes)) {
    if (path.startsWith(`${prefix}/`) && (best === undefined || prefix.length > best.length)) best = prefix;
  }
  return best === undefined ? undefined : routes[best];
}

function hasBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

export function text(status: number, body: string): EndpointResponse {
  return { status, contentType: 'text/plain; charset=utf-8', body };
}

/**
 * A socket file left by an agent that died is removed; one that an agent still answers on is
 * left alone (the listen then fails and is retried).
 */
async function prepareSocketPath(path: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o755 });
  const stat = await lstat(path).catch(() => undefined);
  if (!stat) return;
  if (!stat.isSocket()) throw new Error(`${path} exists and is not a socket`);
  const alive = await new Promise<boolean>((resolve) => {
    const probe = connect(path);
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
  });
  if (alive) throw new Error(`${path}: another process answers on this socket`);
  await unlink(path);
}
