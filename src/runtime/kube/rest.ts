// One request to the API server with a deadline, every failure mapped to KubeApiError.
//
// client-node 1.4's generated APIs take one object parameter plus per-call `ConfigurationOptions`;
// a call's middleware (appended to the API's own) runs after the request is built and
// authenticated, so it can set the AbortSignal (the only timeout the generated client has) and
// override the Content-Type of PATCH calls (the generated default is application/json-patch+json)
// and set the User-Agent (node-fetch's own otherwise).
import {
  ApiException,
  Observable as ClientObservable,
  type ConfigurationOptions,
  type ObservableMiddleware,
  type PatchStrategy,
} from '@kubernetes/client-node';
import { KubeApiError } from './types.js';
import { readNumber, readString } from './wire.js';

/** Runs the API calls of one client, each with a deadline; close() aborts them all. */
export class KubeRequests {
  private readonly closed = new AbortController();
  private readonly inflight = new Set<AbortController>();

  constructor(
    private readonly server: string,
    /** Deadline of every request (connect + answer + body). */
    private readonly timeoutMs: number,
    private readonly userAgent?: string,
  ) {}

  get closedSignal(): AbortSignal {
    return this.closed.signal;
  }

  close(): void {
    this.closed.abort();
    for (const c of this.inflight) c.abort();
    this.inflight.clear();
  }

  /**
   * Runs one API call with a deadline (an AbortSignal given to node-fetch through a per-call
   * middleware, plus a timer in case anything ignores it) and maps every failure to KubeApiError.
   */
  async call<T>(
    operation: string,
    run: (opts: ConfigurationOptions) => Promise<T>,
    contentType?: PatchStrategy,
    extraSignal?: AbortSignal,
  ): Promise<T> {
    const timeoutMs = this.timeoutMs;
    if (this.closed.signal.aborted) {
      throw new KubeApiError(operation, 0, 'Aborted', 'the Kubernetes API client is closed');
    }
    // One controller per call, aborted by the deadline, by close() (through `inflight`) or by the
    // caller's signal. (No AbortSignal.any on the long-lived signals: listeners would pile up.)
    const controller = new AbortController();
    let timedOut = false;
    const abortByCaller = () => controller.abort();
    extraSignal?.addEventListener('abort', abortByCaller, { once: true });
    if (extraSignal?.aborted) controller.abort();
    this.inflight.add(controller);
    const middleware: ObservableMiddleware = {
      pre: (ctx) => {
        ctx.setSignal(controller.signal);
        if (contentType) ctx.setHeaderParam('Content-Type', contentType);
        if (this.userAgent) ctx.setHeaderParam('User-Agent', this.userAgent);
        return new ClientObservable(Promise.resolve(ctx));
      },
      post: (rsp) => new ClientObservable(Promise.resolve(rsp)),
    };
    let timer: NodeJS.Timeout | undefined;
    let backstop: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        timedOut = true;
        controller.abort();
      }, timeoutMs);
      // Should anything not honour the abort, give up on the call a second later anyway.
      backstop = setTimeout(() => reject(new Error('the request did not stop when aborted')), timeoutMs + 1_000);
    });
    try {
      return await Promise.race([run({ middleware: [middleware], middlewareMergeStrategy: 'append' }), deadline]);
    } catch (err) {
      if (timedOut) {
        throw new KubeApiError(operation, 0, 'Timeout', `no answer from ${this.server} within ${timeoutMs / 1000}s`);
      }
      if (controller.signal.aborted) {
        throw new KubeApiError(operation, 0, 'Aborted', 'request aborted (client closed or watch stopped)');
      }
      throw toKubeApiError(operation, err);
    } finally {
      clearTimeout(timer);
      clearTimeout(backstop);
      extraSignal?.removeEventListener('abort', abortByCaller);
      this.inflight.delete(controller);
    }
  }
}

export async function orUndefinedOnNotFound<T>(p: Promise<T>): Promise<T | undefined> {
  try {
    return await p;
  } catch (err) {
    if (err instanceof KubeApiError && err.status === 404) return undefined;
    throw err;
  }
}

export function errorMessage(err: unknown): string {
  if (err instanceof KubeApiError) return err.message;
  if (err instanceof Error) {
    const status = readNumber(err, 'statusCode');
    return status ? `HTTP ${status} ${err.message}` : err.message;
  }
  return String(err);
}

/** ApiException (HTTP answer) → its status and Status reason; anything else (network) → status 0. */
function toKubeApiError(operation: string, err: unknown): KubeApiError {
  if (err instanceof KubeApiError) return err;
  if (err instanceof ApiException) {
    const code = typeof err.code === 'number' ? err.code : 0;
    const status = parseStatusBody(err.body);
    const reason = status.reason ?? (code === 401 ? 'Unauthorized' : '');
    const message = status.message ?? `HTTP ${code}: ${firstLine(err.message)}`;
    return new KubeApiError(operation, code, reason, message);
  }
  if (err instanceof Error) {
    // node-fetch FetchError: code ECONNREFUSED, ECONNRESET, ...
    const code = readString(err, 'code') ?? '';
    return new KubeApiError(operation, 0, code, err.message);
  }
  return new KubeApiError(operation, 0, '', String(err));
}

function parseStatusBody(body: unknown): { reason?: string; message?: string } {
  let obj: unknown = body;
  if (typeof body === 'string') {
    try {
      obj = JSON.parse(body);
    } catch {
      return body.trim() ? { message: firstLine(body) } : {};
    }
  } else if (Buffer.isBuffer(body)) {
    return parseStatusBody(body.toString('utf8'));
  }
  const reason = readString(obj, 'reason');
  const message = readString(obj, 'message');
  return { ...(reason ? { reason } : {}), ...(message ? { message } : {}) };
}

function firstLine(s: string): string {
  const line = s.split('\n', 1)[0] ?? '';
  return line.length > 300 ? `${line.slice(0, 300)}…` : line;
}
