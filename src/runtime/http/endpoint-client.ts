// A GET to the local endpoint, over TCP or its unix socket, bounded in time and size: what
// `staticlet status` asks the running agent with.
import { request } from 'node:http';
import type { EndpointAddress } from './endpoint-address.js';

export interface EndpointAnswer {
  readonly status: number;
  readonly body: string;
}

export function getFromEndpoint(
  address: EndpointAddress,
  path: string,
  opts: { readonly timeoutMs: number; readonly maxBytes: number },
): Promise<EndpointAnswer> {
  return new Promise((resolve, reject) => {
    const target = address.kind === 'unix' ? { socketPath: address.path } : { host: address.host, port: address.port };
    const req = request({ ...target, path, method: 'GET', timeout: opts.timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > opts.maxBytes) req.destroy(new Error(`the answer is larger than ${opts.maxBytes} bytes`));
        else chunks.push(chunk);
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    // The whole exchange, not just an idle socket: an agent that accepts and never answers is down.
    const deadline = setTimeout(() => req.destroy(new Error(`no answer within ${opts.timeoutMs} ms`)), opts.timeoutMs);
    req.on('close', () => clearTimeout(deadline));
    req.on('timeout', () => req.destroy(new Error(`no answer within ${opts.timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}
