// The port probes and lifecycle hooks act through: exec in the container (CRI ExecSync), an HTTP
// GET, a TCP connect. Each call is bounded by its timeout.
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect } from 'node:net';
import type { CriRuntime } from '../cri-api/runtime-service.js';

export interface ProbeOutcome {
  readonly success: boolean;
  readonly message: string;
}

export interface ProbePort {
  exec(containerId: string, command: string[], timeoutMs: number): Promise<ProbeOutcome>;
  http(
    target: {
      scheme: 'HTTP' | 'HTTPS';
      host: string;
      port: number;
      path: string;
      headers: { name: string; value: string }[];
    },
    timeoutMs: number,
  ): Promise<ProbeOutcome>;
  tcp(host: string, port: number, timeoutMs: number): Promise<ProbeOutcome>;
}

export function createProbePort(cri: CriRuntime): ProbePort {
  return {
    async exec(containerId, command, timeoutMs) {
      try {
        const r = await cri.execSync(containerId, command, Math.max(1, Math.ceil(timeoutMs / 1000)));
        const output = (r.stdout.toString() + r.stderr.toString()).trim().slice(0, 1024);
        return {
          success: r.exitCode === 0,
          message: r.exitCode === 0 ? output : `exit code ${r.exitCode}${output ? `: ${output}` : ''}`,
        };
      } catch (err) {
        return { success: false, message: (err as Error).message };
      }
    },
    http({ scheme, host, port, path, headers }, timeoutMs) {
      return new Promise((resolve) => {
        const request = scheme === 'HTTPS' ? httpsRequest : httpRequest;
        const h: Record<string, string> = { 'User-Agent': 'staticlet-probe', Accept: '*/*' };
        for (const { name, value } of headers) h[name] = value;
        // Like the kubelet: HTTPS probes do not verify the certificate.
        const req = request(
          { host, port, path, method: 'GET', headers: h, timeout: timeoutMs, rejectUnauthorized: false },
          (res) => {
            res.resume();
            const code = res.statusCode ?? 0;
            resolve({ success: code >= 200 && code < 400, message: `HTTP ${code}` });
          },
        );
        req.on('timeout', () => {
          req.destroy();
          resolve({ success: false, message: `no answer within ${timeoutMs} ms` });
        });
        req.on('error', (err) => resolve({ success: false, message: err.message }));
        req.end();
      });
    },
    tcp(host, port, timeoutMs) {
      return new Promise((resolve) => {
        const socket = connect({ host, port });
        const done = (r: ProbeOutcome) => {
          socket.destroy();
          resolve(r);
        };
        socket.setTimeout(timeoutMs, () => done({ success: false, message: `no connection within ${timeoutMs} ms` }));
        socket.on('connect', () => done({ success: true, message: 'connected' }));
        socket.on('error', (err) => done({ success: false, message: err.message }));
      });
    },
  };
}
