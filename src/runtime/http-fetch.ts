// The HTTP port of the manifest URL source: one GET, bounded in time and in size.
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

export const nodeHttp: HttpPort = {
  async get(url, headers, { timeoutMs, maxBytes }) {
    const h = new Headers();
    for (const [name, values] of Object.entries(headers)) for (const v of values) h.append(name, v);
    let response: Response;
    try {
      response = await fetch(url, { headers: h, signal: AbortSignal.timeout(timeoutMs), redirect: 'follow' });
    } catch (err) {
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

function describeFetchError(err: unknown, timeoutMs: number): string {
  if (err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError')) {
    return `no answer within ${timeoutMs / 1000} s`;
  }
  const cause = err instanceof Error && err.cause instanceof Error ? `: ${err.cause.message}` : '';
  return `${err instanceof Error ? err.message : String(err)}${cause}`;
}
