// The endpoint's server on loopback and on a unix socket: methods, bodies, routes, errors, a port
// that is taken, a socket file left behind, and shutdown; and the loop view that feeds it.
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { getFromEndpoint } from '../../src/runtime/http/endpoint-client.js';
import type { EndpointAddress } from '../../src/runtime/http/endpoint-address.js';
import { startEndpointServer, text, type EndpointRoutes } from '../../src/runtime/http/endpoint-server.js';
import { LoopView } from '../../src/serving/loop-view.js';
import { freePort } from '../support/endpoint.js';
import type { LoopStep } from '../../src/loop.js';
import { initialState } from '../../src/core/model/state.js';

const routes: EndpointRoutes = {
  '/healthz': (req) => text(200, `healthz ${req.path} ${req.query.getAll('exclude').join(',')}`),
  '/healthz/special': () => text(200, 'special'),
  '/slow': async () => ({ status: 200, contentType: 'text/plain; version=0.0.4', body: 'metric 1\n' }),
  '/boom': () => {
    throw new Error('boom');
  },
};

function raw(
  address: EndpointAddress,
  method: string,
  path: string,
  body?: string,
): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const target = address.kind === 'unix' ? { socketPath: address.path } : { host: address.host, port: address.port };
    const headers = body === undefined ? {} : { 'Content-Length': Buffer.byteLength(body) };
    const req = request({ ...target, method, path, headers, agent: false }, (res) => {
      let data = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (data += c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: data }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

function listening(address: EndpointAddress, extra: Partial<Parameters<typeof startEndpointServer>[0]> = {}) {
  return new Promise<ReturnType<typeof startEndpointServer>>((resolve) => {
    const server = startEndpointServer({ address, routes, onListening: () => resolve(server), ...extra });
  });
}

describe('the endpoint server', () => {
  let dir = '';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'staticlet-endpoint-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('answers GET and HEAD on its routes and the paths below them, nothing else', async () => {
    const errors: string[] = [];
    const address: EndpointAddress = { kind: 'tcp', host: '127.0.0.1', port: await freePort() };
    const server = await listening(address, {
      onHandlerError: (path, err) => errors.push(`${path}: ${(err as Error).message}`),
    });
    try {
      const ok = await raw(address, 'GET', '/healthz?exclude=a&exclude=b');
      assert.deepEqual([ok.status, ok.body], [200, 'healthz /healthz a,b']);
      assert.equal(ok.headers['content-type'], 'text/plain; charset=utf-8');
      assert.equal((await raw(address, 'GET', '/healthz/ping')).body, 'healthz /healthz/ping ');
      assert.equal((await raw(address, 'GET', '/healthz/special')).body, 'special', 'the longer route wins');
      assert.equal((await raw(address, 'GET', '/slow')).headers['content-type'], 'text/plain; version=0.0.4');
      const head = await raw(address, 'HEAD', '/healthz');
      assert.deepEqual([head.status, head.body, head.headers['content-length']], [200, '', '17']);
      assert.equal((await raw(address, 'GET', '/healthzz')).status, 404);
      const post = await raw(address, 'POST', '/healthz');
      assert.deepEqual([post.status, post.headers.allow], [405, 'GET, HEAD']);
      assert.equal((await raw(address, 'GET', '/healthz', 'x'.repeat(1000))).status, 413);
      assert.equal((await raw(address, 'GET', '/boom')).status, 500);
      assert.deepEqual(errors, ['/boom: boom']);
      assert.deepEqual(await getFromEndpoint(address, '/healthz', { timeoutMs: 5_000, maxBytes: 1024 }), {
        status: 200,
        body: 'healthz /healthz ',
      });
      await assert.rejects(
        getFromEndpoint(address, '/healthz', { timeoutMs: 5_000, maxBytes: 4 }),
        /larger than 4 bytes/,
      );
    } finally {
      await server.close();
    }
    await assert.rejects(raw(address, 'GET', '/healthz'), /ECONNREFUSED/, 'closed');
  });

  it('retries a port that is taken until it is free', async () => {
    const blocker = createServer();
    const port = await freePort();
    await new Promise<void>((r) => blocker.listen(port, '127.0.0.1', r));
    const errors: string[] = [];
    let server: ReturnType<typeof startEndpointServer> | undefined;
    const up = new Promise<void>((resolve) => {
      server = startEndpointServer({
        address: { kind: 'tcp', host: '127.0.0.1', port },
        routes,
        listenRetryMs: 50,
        onListening: resolve,
        onListenError: (err) => {
          errors.push((err as NodeJS.ErrnoException).code ?? err.message);
          if (errors.length === 2) blocker.close();
        },
      });
    });
    await up;
    try {
      assert.deepEqual(errors.slice(0, 2), ['EADDRINUSE', 'EADDRINUSE']);
      assert.equal((await raw({ kind: 'tcp', host: '127.0.0.1', port }, 'GET', '/healthz')).status, 200);
    } finally {
      await server!.close();
    }
  });

  it('serves on a unix socket: replaces one left behind, refuses a file that is not one, removes it on close', async () => {
    const address: EndpointAddress = { kind: 'unix', path: join(dir, 'run', 'healthz.sock') };
    const first = await listening(address);
    assert.equal((await stat(address.path)).mode & 0o777, 0o660);
    const keptAlive = raw(address, 'GET', '/healthz');
    assert.equal((await keptAlive).status, 200);
    await first.close();
    await assert.rejects(stat(address.path), /ENOENT/, 'removed on close');

    // A socket file no process answers on (an agent that was killed) is replaced.
    const stale = createServer();
    await new Promise<void>((r) => stale.listen(address.path, r));
    const staleHandle = (stale as unknown as { _handle: { close(): void } })._handle;
    staleHandle.close(); // closed without unlinking, as a killed process leaves it
    const second = await listening(address);
    assert.equal((await raw(address, 'GET', '/healthz')).status, 200);
    await second.close();

    const file = join(dir, 'not-a-socket');
    await writeFile(file, '');
    const errors: string[] = [];
    const third = startEndpointServer({
      address: { kind: 'unix', path: file },
      routes,
      listenRetryMs: 60_000,
      onListenError: (err) => errors.push(err.message),
    });
    while (errors.length === 0) await new Promise((r) => setTimeout(r, 10));
    await third.close();
    assert.deepEqual(errors, [`${file} exists and is not a socket`]);
  });
});

describe('the loop view', () => {
  it('keeps the latest state and the time of the last heartbeat', () => {
    let now = 1_000;
    const view = new LoopView(() => now);
    assert.equal(view.state, undefined);
    assert.deepEqual(view.pulse(), { lastHeartbeatAt: 1_000, now: 1_000, staleAfterMs: 20_000 });
    const state = initialState(['file'], 0);
    const step = (type: 'Heartbeat' | 'TimerFired'): LoopStep => ({
      event: { type, seq: 1, at: now },
      state,
      actions: [],
    });
    now = 6_000;
    view.watch(step('TimerFired'));
    assert.equal(view.state, state);
    assert.equal(view.pulse().lastHeartbeatAt, 1_000, 'only a heartbeat counts');
    view.watch(step('Heartbeat'));
    assert.equal(view.pulse().lastHeartbeatAt, 6_000);
  });
});
