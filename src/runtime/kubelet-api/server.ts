// The kubelet API's server (--port, default 10250; --address): HTTPS only, every request and
// every upgrade (exec, attach, port-forward) authenticated (authn.ts) and authorized (authz.ts)
// before any route sees it, then offered to the route sets in turn (routes.ts); what none takes
// is 404. Bounded like the local endpoint (runtime/http/endpoint-server.ts): header size,
// handshake and header time, connections; a port that is taken is retried every few seconds.
// The serving certificate can be replaced while it serves (setCertificate): connections made
// before keep theirs, new ones get the new one.
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import {
  forbiddenBody,
  kubeletRequestAttributes,
  type KubeletRequestAttributes,
} from '../../core/kubelet-api/request-attributes.js';
import { LIMITS, listenWithRetry } from '../http/endpoint-server.js';
import type { Logger } from '../logger.js';
import type { Authenticate, KubeletApiUser } from './authn.js';
import type { Authorize } from './authz.js';
import type { KubeletApiRoutes } from './routes.js';
import type { ServingCertificate } from './serving-cert.js';

export interface KubeletApiServerOptions {
  readonly host: string;
  readonly port: number;
  readonly nodeName: string;
  readonly certificate: ServingCertificate;
  /** PEM bundle that client certificates are verified against (--client-ca-file). */
  readonly clientCaPem?: string;
  readonly authenticate: Authenticate;
  readonly authorize: Authorize;
  readonly routes: readonly KubeletApiRoutes[];
  readonly log: Logger;
  readonly onListening?: () => void;
  readonly listenRetryMs?: number;
}

export interface KubeletApiServer {
  setCertificate(certificate: ServingCertificate): void;
  close(): Promise<void>;
}

/** Exec and port-forward sessions each hold a connection: more room than the local endpoint. */
export const MAX_CONNECTIONS = 256;
const HANDSHAKE_TIMEOUT_MS = 10_000;

type Verdict = { readonly ok: true } | { readonly ok: false; readonly status: number; readonly body: string };

export function startKubeletApiServer(options: KubeletApiServerOptions): KubeletApiServer {
  const { log } = options;
  const tlsContext = (c: ServingCertificate) => ({
    cert: c.certPem,
    key: c.keyPem,
    ...(options.clientCaPem ? { ca: options.clientCaPem } : {}),
  });
  const server: Server = createServer({
    ...tlsContext(options.certificate),
    // Asked for, not required: a client may authenticate with a token instead.
    requestCert: options.clientCaPem !== undefined,
    rejectUnauthorized: false,
    minVersion: 'TLSv1.2',
    handshakeTimeout: HANDSHAKE_TIMEOUT_MS,
    maxHeaderSize: LIMITS.maxHeaderBytes,
    headersTimeout: LIMITS.headersTimeoutMs,
    requestTimeout: LIMITS.requestTimeoutMs,
    keepAliveTimeout: LIMITS.keepAliveTimeoutMs,
  });
  server.maxConnections = MAX_CONNECTIONS;

  const admit = async (req: IncomingMessage): Promise<Verdict> => {
    let user: KubeletApiUser | undefined;
    try {
      user = await options.authenticate(req);
    } catch (err) {
      log.warn({ err: (err as Error).message }, 'kubelet API: authentication failed');
    }
    if (!user) return { ok: false, status: 401, body: 'Unauthorized' };
    const attributes = kubeletRequestAttributes(req.method ?? '', pathOf(req.url), options.nodeName);
    try {
      if (await options.authorize(user, attributes)) return { ok: true };
    } catch (err) {
      log.error(
        { err: (err as Error).message, user: user.name, path: attributes.path },
        'kubelet API: authorization error',
      );
      return { ok: false, status: 500, body: authorizationError(user, attributes) };
    }
    log.debug(
      { user: user.name, verb: attributes.verb, subresources: attributes.subresources },
      'kubelet API: forbidden',
    );
    return { ok: false, status: 403, body: forbiddenBody(user.name, attributes) };
  };

  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    void (async () => {
      const verdict = await admit(req);
      if (!verdict.ok) return answer(res, verdict.status, verdict.body);
      for (const routes of options.routes) if (await routes.handleRequest(req, res)) return;
      answer(res, 404, '404 page not found\n');
    })().catch((err: unknown) => {
      log.error({ err: (err as Error).message, path: pathOf(req.url) }, 'kubelet API request failed');
      if (!res.headersSent) answer(res, 500, 'internal error\n');
      else res.destroy();
    });
  });

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    // Until a route takes it, an error on the socket (a client gone) is nobody's.
    const ignore = () => undefined;
    socket.on('error', ignore);
    void (async () => {
      const verdict = await admit(req);
      if (!verdict.ok) return refuseUpgrade(socket, verdict.status, verdict.body);
      for (const routes of options.routes) {
        if (await routes.handleUpgrade(req, socket, head)) {
          socket.off('error', ignore);
          return;
        }
      }
      refuseUpgrade(socket, 404, '404 page not found\n');
    })().catch((err: unknown) => {
      log.error({ err: (err as Error).message, path: pathOf(req.url) }, 'kubelet API upgrade failed');
      socket.destroy();
    });
  });
  // A failed handshake (a scanner, a client that does not trust us) is the client's business.
  server.on('tlsClientError', (err) => log.debug({ err: err.message }, 'kubelet API: TLS handshake failed'));

  let lastError = '';
  const listener = listenWithRetry(server, {
    address: { kind: 'tcp', host: options.host, port: options.port },
    ...(options.listenRetryMs !== undefined ? { listenRetryMs: options.listenRetryMs } : {}),
    onListening: () => {
      lastError = '';
      log.info({ address: options.host, port: options.port }, 'serving the kubelet API (HTTPS)');
      options.onListening?.();
    },
    onListenError: (err) => {
      if (err.message !== lastError)
        log.error({ err: err.message, port: options.port }, 'cannot serve the kubelet API; retrying');
      lastError = err.message;
    },
  });

  return {
    setCertificate: (certificate) => server.setSecureContext(tlsContext(certificate)),
    close: () => listener.close(),
  };
}

function pathOf(url: string | undefined): string {
  try {
    return new URL(url ?? '/', 'https://kubelet').pathname;
  } catch {
    return '/';
  }
}

/** The kubelet's text, with the first subresource asked. */
function authorizationError(user: KubeletApiUser, a: KubeletRequestAttributes): string {
  return `Authorization error (user=${user.name}, verb=${a.verb}, resource=${a.resource}, subresource=${a.subresources[0] ?? ''})`;
}

function answer(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, {
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Length': Buffer.byteLength(body),
    'X-Content-Type-Options': 'nosniff',
  });
  res.end(body);
}

const REASONS: Readonly<Record<number, string>> = {
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  500: 'Internal Server Error',
};

function refuseUpgrade(socket: Duplex, status: number, body: string): void {
  socket.end(
    `HTTP/1.1 ${status} ${REASONS[status] ?? 'Error'}\r\nContent-Type: text/plain; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}
