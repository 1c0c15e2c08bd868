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
    let settled = false;
    const fail = (err: Error): void => {
      if (settled) return;
      settled = true;
      reject(err);
      req.destroy();
    };
    const target = address.kind === 'unix' ? { socketPath: address.path } : { host: address.host, port: address.port };
    const req = request({ ...target, path, method: 'GET', agent: false }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > opts.maxBytes) fail(new Error(`the answer is larger than ${opts.maxBytes} bytes`));
        else chunks.push(chunk);
      });
      res.on('end', () => {
        if (settled) return;
        settled = true;
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') });
      });
      res.on('error', fail);
    });
    // The whole exchange, not just an idle socket: an agent that accepts and never answers is down.
    const deadline = setTimeout(() => fail(new Error(`no answer within ${opts.timeoutMs} ms`)), opts.timeoutMs);
    req.on('close', () => clearTimeout(deadline));
    req.on('error', fail);
    req.end();
  });
}
