// The upgrade proxy's edges, against bare servers standing where the runtime's streaming server
// would: a 101 joined both ways with the upgrade headers passed on (and credentials not), the
// runtime's error relayed as it is, a non-upgrade answer and an unreachable server answered 500,
// and close() ending a joined session. (The real streaming server: test/integration/kubelet-pod-access.)
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer as createHttpServer, request, type IncomingMessage, type Server } from 'node:http';
import { createServer as createTcpServer, type AddressInfo, type Socket } from 'node:net';
import { StreamProxy } from '../../src/runtime/kubelet-api/stream-proxy.js';

const servers: { close(): void }[] = [];
after(() => servers.forEach((s) => s.close()));

/** A front server whose upgrades the proxy sends to `target()`. */
async function front(proxy: StreamProxy, target: () => string): Promise<number> {
  const server = createHttpServer();
  server.on('upgrade', (req, socket, head) => void proxy.proxy(req, socket, head, new URL(target())));
  return listen(server);
}

async function listen(server: Server | ReturnType<typeof createTcpServer>): Promise<number> {
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as AddressInfo).port;
}

/** An upgrade request to the front; resolves with the answer's status, headers and upgraded socket. */
function upgrade(
  port: number,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: IncomingMessage['headers']; socket?: Socket; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({
      host: '127.0.0.1',
      port,
      path: '/exec/ns/p/c?command=x&output=1',
      headers: {
        Connection: 'Upgrade',
        Upgrade: 'SPDY/3.1',
        'X-Stream-Protocol-Version': 'v4.channel.k8s.io',
        ...headers,
      },
    });
    req.on('upgrade', (res, socket) => resolve({ status: res.statusCode!, headers: res.headers, socket, body: '' }));
    req.on('response', (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('StreamProxy', () => {
  it('joins a 101 both ways, passing the upgrade headers on and not the credentials', async () => {
    let seen: IncomingMessage | undefined;
    const runtime = createHttpServer();
    runtime.on('upgrade', (req: IncomingMessage, socket: Socket) => {
      seen = req;
      socket.write(
        'HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: v4.channel.k8s.io\r\n\r\n',
      );
      socket.on('data', (d) => socket.write(`echo:${d.toString()}`));
    });
    const runtimePort = await listen(runtime);
    const proxy = new StreamProxy();
    const port = await front(proxy, () => `http://127.0.0.1:${runtimePort}/exec/TOKEN`);
    const answer = await upgrade(port, { Authorization: 'Bearer secret' });
    assert.equal(answer.status, 101);
    assert.equal(answer.headers['x-stream-protocol-version'], 'v4.channel.k8s.io');
    assert.equal(seen?.url, '/exec/TOKEN');
    assert.equal(seen?.headers['x-stream-protocol-version'], 'v4.channel.k8s.io');
    assert.equal(seen?.headers.upgrade, 'SPDY/3.1');
    assert.equal(seen?.headers.authorization, undefined);
    assert.equal(seen?.headers['x-forwarded-for'], '127.0.0.1');
    const socket = answer.socket!;
    const echoed = new Promise<string>((r) => socket.once('data', (d) => r(d.toString())));
    socket.write('ping');
    assert.equal(await echoed, 'echo:ping');
    assert.equal(proxy.active, 2);
    proxy.close();
    await new Promise((r) => socket.once('close', r));
    assert.equal(proxy.active, 0);
  });

  it("relays the runtime's error answer as it is", async () => {
    const runtime = createHttpServer((_req, res) =>
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('token expired'),
    );
    runtime.on('upgrade', (_req, socket: Socket) =>
      socket.end('HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\nContent-Length: 13\r\n\r\ntoken expired'),
    );
    const runtimePort = await listen(runtime);
    const port = await front(new StreamProxy(), () => `http://127.0.0.1:${runtimePort}/exec/OLD`);
    const answer = await upgrade(port);
    assert.equal(answer.status, 404);
    assert.equal(answer.body, 'token expired');
  });

  it('answers 500 when the runtime does not upgrade, or cannot be reached', async () => {
    const runtime = createTcpServer((socket) => socket.end('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok'));
    const runtimePort = await listen(runtime);
    const proxy = new StreamProxy();
    const port = await front(proxy, () => `http://127.0.0.1:${runtimePort}/exec/T`);
    const answer = await upgrade(port);
    assert.equal(answer.status, 500);
    assert.match(answer.body, /invalid upgrade response: status code 200/);

    const closed = createTcpServer();
    const closedPort = await listen(closed);
    closed.close();
    const unreachable = await front(proxy, () => `http://127.0.0.1:${closedPort}/exec/T`);
    const refused = await upgrade(unreachable);
    assert.equal(refused.status, 500);
    assert.match(refused.body, /ECONNREFUSED/);
    assert.equal(proxy.active, 0);
  });
});
