// The HTTP port of the manifest URL source: one GET, bounded in time and in size. The headers
// (often a token) go to the URL's origin only, and no error quotes them.
export interface FetchResult {
  readonly status: number;
  readonly body: string;
}

export interface HttpPort {
  get(
    url: string,
    headers: Readonly<Record<string, string[]>>,
    opts: { timeoutMs: number; maxBytes: number },
  ): Promise<FetchResult>;
}

export class HttpError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HttpError';
  }
}

/** Redirects followed before the fetch counts as failed. */
const MAX_REDIRECTS = 5;

export const nodeHttp: HttpPort = {
  async get(url, headers, { timeoutMs, maxBytes }) {
    const h = requestHeaders(headers);
    const signal = AbortSignal.timeout(timeoutMs);
    let response: Response;
    let target = new URL(url);
    try {
      // Redirects by hand: the configured headers (tokens) go only to the URL's own origin.
      for (let hop = 0; ; hop++) {
        const sameOrigin = target.origin === new URL(url).origin;
        response = await fetch(target, { headers: sameOrigin ? h : new Headers(), signal, redirect: 'manual' });
        const location = response.headers.get('location');
        if (response.status < 300 || response.status > 399 || location === null) break;
        if (hop >= MAX_REDIRECTS) throw new HttpError(`more than ${MAX_REDIRECTS} redirects`);
        await response.body?.cancel();
        target = new URL(location, target);
      }
    } catch (err) {
      if (err instanceof HttpError) throw err;
      throw new HttpError(describeFetchError(err, timeoutMs));
    }
    const reader = response.body?.getReader();
    const chunks: Uint8Array[] = [];
    let total = 0;
    try {
      for (;;) {
        const { done, value } = reader ? await reader.read() : { done: true, value: undefined };
        if (done) break;
        total += value.byteLength;
        if (total > maxBytes) {
          await reader?.cancel();
          throw new HttpError(`the body is larger than ${maxBytes} bytes`);
        }
        chunks.push(value);
      }
    } catch (err) {
      if (err instanceof HttpError) throw err;
      throw new HttpError(describeFetchError(err, timeoutMs));
    }
    return { status: response.status, body: Buffer.concat(chunks).toString('utf8') };
  },
};

/**
 * The configured headers. A value fetch refuses (a line break, a NUL) fails without being quoted:
 * header values are credentials, and this message goes to the log and the event log.
 */
function requestHeaders(headers: Readonly<Record<string, string[]>>): Headers {
  const h = new Headers();
  for (const [name, values] of Object.entries(headers)) {
    for (const v of values) {
      try {
        h.append(name, v);
      } catch {
        throw new HttpError(`header ${JSON.stringify(name)}: not a valid HTTP header name or value (not shown)`);
      }
    }
  }
  return h;
}

function describeFetchError(err: unknown, timeoutMs: number): string {
  if (err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError')) {
    return `no answer within ${timeoutMs / 1000} s`;
  }
  const cause = err instanceof Error && err.cause instanceof Error ? `: ${err.cause.message}` : '';
  return `${err instanceof Error ? err.message : String(err)}${cause}`;
}
