// The manifest URL the fault run controls: an HTTPS server on loopback (its CA given to the agent
// with NODE_EXTRA_CA_CERTS) that serves a pod list, or misbehaves in one of the ways a real
// server does. Every stalled answer is bounded: destroyed after 30 s at the latest.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import type { ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { load } from 'js-yaml';

const execFileP = promisify(execFile);

export type Mode =
  'good' | 'status-500' | 'timeout' | 'hang-body' | 'drip' | 'oversize' | 'garbage' | 'redirect-loop' | 'bad-tls';

const STALL_LIMIT_MS = 30_000;

export class ManifestServer {
  mode: Mode = 'good';
  /** Requests (or, for bad-tls, refused handshakes) seen per mode. */
  readonly seen = new Map<Mode, number>();
  private body = '';
  private readonly timers = new Set<NodeJS.Timeout>();

  private constructor(
    private readonly server: Server,
    readonly dir: string,
    private readonly good: { key: Buffer; cert: Buffer },
    private readonly untrusted: { key: Buffer; cert: Buffer },
    readonly port: number,
  ) {}

  get url(): string {
    return `https://127.0.0.1:${this.port}/pods`;
  }

  /** The CA the agent trusts (NODE_EXTRA_CA_CERTS). */
  get caFile(): string {
    return join(this.dir, 'ca.crt');
  }

  static async start(): Promise<ManifestServer> {
    const dir = await mkdtemp(join(tmpdir(), 'staticlet-faults-url-'));
    await certificates(dir);
    const pair = async (name: string) => ({
      key: await readFile(join(dir, `${name}.key`)),
      cert: await readFile(join(dir, `${name}.crt`)),
    });
    const good = await pair('server');
    const untrusted = await pair('untrusted');
    const ref: { self?: ManifestServer } = {};
    const server = createServer(good, (req, res) => ref.self!.answer(res));
    server.on('tlsClientError', () => ref.self!.count('bad-tls'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    ref.self = new ManifestServer(server, dir, good, untrusted, (server.address() as { port: number }).port);
    return ref.self;
  }

  /** Serves these manifests (YAML texts of Pods) as one PodList from now on. */
  serve(manifests: readonly string[]): void {
    this.body = JSON.stringify({ apiVersion: 'v1', kind: 'PodList', items: manifests.map((m) => load(m)) });
  }

  setMode(mode: Mode): void {
    this.mode = mode;
    this.server.setSecureContext(mode === 'bad-tls' ? this.untrusted : this.good);
  }

  count(mode: Mode): void {
    this.seen.set(mode, (this.seen.get(mode) ?? 0) + 1);
  }

  private later(ms: number, fn: () => void): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, ms);
    this.timers.add(t);
  }

  private answer(res: ServerResponse): void {
    const mode = this.mode;
    this.count(mode);
    const body = Buffer.from(this.body);
    const stall = () => this.later(STALL_LIMIT_MS, () => res.destroy());
    switch (mode) {
      case 'good':
      case 'bad-tls': // a client that accepted the certificate gets the list: that is the violation
        res.writeHead(200, { 'content-type': 'application/json' }).end(body);
        return;
      case 'status-500':
        res.writeHead(500).end('internal error\n');
        return;
      case 'timeout':
        stall();
        return;
      case 'hang-body':
        res.writeHead(200, { 'content-length': String(body.length) });
        res.write(body.subarray(0, Math.floor(body.length / 2)));
        stall();
        return;
      case 'drip': {
        res.writeHead(200, { 'content-type': 'application/json' });
        let sent = 0;
        const drip = () => {
          if (res.destroyed || sent >= 30) return void res.destroy();
          res.write(body.subarray(sent, ++sent));
          this.later(1_000, drip);
        };
        drip();
        return;
      }
      case 'oversize': {
        res.writeHead(200, { 'content-type': 'application/yaml' });
        const line = Buffer.from(`# ${'x'.repeat(1021)}\n`); // 1 KiB of YAML comment
        let left = 11 * 1024; // 11 MiB in all
        const pump = () => {
          while (left > 0 && !res.destroyed) {
            left--;
            if (!res.write(line)) return void res.once('drain', pump);
          }
          res.end();
        };
        pump();
        return;
      }
      case 'garbage':
        res.writeHead(200, { 'content-type': 'application/json' }).end(randomBytes(4096));
        return;
      case 'redirect-loop':
        res.writeHead(302, { location: this.url }).end();
        return;
    }
  }

  async close(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    this.server.closeAllConnections();
    await new Promise((r) => this.server.close(r));
    await rm(this.dir, { recursive: true, force: true });
  }
}

/** A CA and a server certificate for 127.0.0.1 it signs; and a self-signed one nobody trusts. */
async function certificates(dir: string): Promise<void> {
  const ssl = (...args: string[]) => execFileP('openssl', args, { cwd: dir, timeout: 30_000 });
  const key = (name: string) =>
    ssl('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', `${name}.key`);
  await Promise.all([key('ca'), key('server'), key('untrusted')]);
  const san = ['-addext', 'subjectAltName=IP:127.0.0.1'];
  await ssl(
    'req',
    '-x509',
    '-new',
    '-key',
    'ca.key',
    '-days',
    '2',
    '-subj',
    '/CN=staticlet faults CA',
    '-out',
    'ca.crt',
  );
  await ssl('req', '-new', '-key', 'server.key', '-subj', '/CN=127.0.0.1', ...san, '-out', 'server.csr');
  await ssl(
    'x509',
    '-req',
    '-in',
    'server.csr',
    '-CA',
    'ca.crt',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-days',
    '2',
    '-copy_extensions',
    'copy',
    '-out',
    'server.crt',
  );
  await ssl(
    'req',
    '-x509',
    '-new',
    '-key',
    'untrusted.key',
    '-days',
    '2',
    '-subj',
    '/CN=127.0.0.1',
    ...san,
    '-out',
    'untrusted.crt',
  );
}
