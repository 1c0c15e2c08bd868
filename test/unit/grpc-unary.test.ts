// Unary calls on the lean gRPC channel (src/runtime/grpc/channel.ts) against two real peers on a
// unix socket: a grpc-js server (an independent gRPC implementation, serving our CRI proto) for the
// protocol as it is spoken, and a bare node:http2 server for what a gRPC server rarely sends (HTTP
// errors, resets, bad frames).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Http2Server, type ServerHttp2Stream } from 'node:http2';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import type * as protoLoader from '@grpc/proto-loader';
import { createCriRuntime } from '../../src/runtime/cri/client.js';
import { criPackageDefinition } from '../support/cri-proto-loader.js';
import { CriError } from '../../src/cri-api/runtime-service.js';
import { createGrpcChannel, GrpcCallError, grpcTimeout } from '../../src/runtime/grpc/channel.js';

const dir = mkdtempSync(join(tmpdir(), 'staticlet-unary-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function rejection(p: Promise<unknown>): Promise<CriError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof CriError, `a CriError, got ${String(err)}`);
    return err;
  }
  assert.fail('the call should have failed');
}

describe('unary channel against a grpc-js server (CRI proto)', () => {
  const socket = join(dir, 'grpc.sock');
  let server: grpc.Server;
  const seenDeadlines: number[] = [];

  before(async () => {
    const pkg = criPackageDefinition();
    const runtimeService = pkg['runtime.v1.RuntimeService'] as protoLoader.ServiceDefinition;
    server = new grpc.Server();
    server.addService(runtimeService as grpc.ServiceDefinition, {
      Version: (call: grpc.ServerUnaryCall<{ version: string }, unknown>, cb: grpc.sendUnaryData<unknown>) => {
        const deadline = call.getDeadline();
        seenDeadlines.push(deadline instanceof Date ? deadline.getTime() : Number(deadline));
        cb(null, {
          version: call.request.version,
          runtimeName: 'fake-but-real-grpc',
          runtimeVersion: '9.9',
          runtimeApiVersion: 'v1',
        });
      },
      ContainerStatus: (
        call: grpc.ServerUnaryCall<{ containerId: string }, unknown>,
        cb: grpc.sendUnaryData<unknown>,
      ) => {
        if (call.request.containerId === 'slow') {
          setTimeout(() => cb(null, {}), 2_000);
          return;
        }
        cb({
          code: grpc.status.NOT_FOUND,
          details: `container "${call.request.containerId}" not found: 100% gone, ünïcode`,
        });
      },
      ListContainers: (_call: unknown, cb: grpc.sendUnaryData<unknown>) => {
        // Big enough to span many DATA frames and more than one flow-control window.
        const containers = Array.from({ length: 3000 }, (_, i) => ({
          id: `c${i}`.padEnd(64, '0'),
          podSandboxId: `s${i}`.padEnd(64, '0'),
          metadata: { name: `main-${i}`, attempt: i % 3 },
          image: { image: 'staticlet.local/busybox:1' },
          imageRef: 'sha256:'.padEnd(71, 'a'),
          state: 'CONTAINER_RUNNING',
          createdAt: String(BigInt(i) * 1_000_000_000n),
          labels: { 'io.kubernetes.pod.name': `pod-${i}`, 'io.kubernetes.container.name': `main-${i}` },
          annotations: { 'io.kubernetes.container.hash': 'x'.repeat(40) },
        }));
        cb(null, { containers });
      },
    });
    await new Promise<void>((resolve, reject) =>
      server.bindAsync(`unix://${socket}`, grpc.ServerCredentials.createInsecure(), (err) =>
        err ? reject(err) : resolve(),
      ),
    );
  });
  after(() => server.forceShutdown());

  test('a call and its answer, with the deadline sent as grpc-timeout', async () => {
    const cri = createCriRuntime(`unix://${socket}`);
    try {
      const t = Date.now();
      const v = await cri.version(5_000);
      assert.equal(v.runtimeName, 'fake-but-real-grpc');
      assert.equal(v.runtimeVersion, '9.9');
      const deadline = seenDeadlines.at(-1)!;
      assert.ok(
        deadline > t + 4_000 && deadline <= Date.now() + 5_000,
        `the server's deadline ${deadline - t} ms after the call`,
      );
    } finally {
      cri.close();
    }
  });

  test("a server's error status and its percent-encoded message come back as a CriError", async () => {
    const cri = createCriRuntime(`unix://${socket}`);
    try {
      const err = await rejection(cri.containerStatus('nope'));
      assert.equal(err.code, 'NOT_FOUND');
      assert.equal(err.method, 'ContainerStatus');
      assert.equal(err.details, 'container "nope" not found: 100% gone, ünïcode');
    } finally {
      cri.close();
    }
  });

  test('a method the server does not have is UNIMPLEMENTED', async () => {
    const cri = createCriRuntime(`unix://${socket}`);
    try {
      assert.equal((await rejection(cri.podSandboxStatus('x'))).code, 'UNIMPLEMENTED');
    } finally {
      cri.close();
    }
  });

  test('a large answer over many frames decodes whole, and the same as through grpc-js', async () => {
    const lean = createCriRuntime(`unix://${socket}`);
    const viaGrpcJs = createCriRuntime(`unix://${socket}`, { unaryTransport: 'grpc-js' });
    try {
      const [a, b] = await Promise.all([lean.listContainers(), viaGrpcJs.listContainers()]);
      assert.equal(a.length, 3000);
      assert.deepEqual(a, b);
      assert.equal(a[2999]!.metadata.name, 'main-2999');
    } finally {
      lean.close();
      viaGrpcJs.close();
    }
  });

  test('a deadline that passes fails the call DEADLINE_EXCEEDED, and the channel goes on', async () => {
    const cri = createCriRuntime(`unix://${socket}`, { timeoutsMs: { ContainerStatus: 150 } });
    try {
      const t = Date.now();
      const err = await rejection(cri.containerStatus('slow'));
      assert.equal(err.code, 'DEADLINE_EXCEEDED');
      assert.ok(Date.now() - t < 1_500, 'failed at its deadline, not at the answer');
      assert.equal((await cri.version()).runtimeName, 'fake-but-real-grpc');
    } finally {
      cri.close();
    }
  });

  test('close fails the calls in flight CANCELLED and refuses new ones', async () => {
    const cri = createCriRuntime(`unix://${socket}`);
    const pending = rejection(cri.containerStatus('slow'));
    await sleep(50);
    cri.close();
    assert.equal((await pending).code, 'CANCELLED');
    assert.equal((await rejection(cri.version())).code, 'CANCELLED');
  });
});

describe('unary channel against a bare HTTP/2 server', () => {
  const socket = join(dir, 'h2.sock');
  let server: Http2Server;
  let behaviour: (stream: ServerHttp2Stream) => void = () => undefined;

  const grpcFrame = (payload: Buffer, flag = 0) => {
    const b = Buffer.alloc(5 + payload.length);
    b[0] = flag;
    b.writeUInt32BE(payload.length, 1);
    payload.copy(b, 5);
    return b;
  };

  before(async () => {
    server = createServer();
    server.on('stream', (stream) => {
      stream.on('error', () => undefined);
      // Read the request whole first, as a server would.
      stream.resume();
      stream.on('end', () => behaviour(stream));
    });
    await new Promise<void>((resolve) => server.listen(socket, resolve));
  });
  after(() => server.close());

  const channel = () => createGrpcChannel(socket, { maxReceiveBytes: 1024 });
  async function callError(): Promise<GrpcCallError> {
    const ch = channel();
    try {
      await ch.call('/runtime.v1.RuntimeService/Version', Buffer.alloc(0), 2_000);
    } catch (err) {
      assert.ok(err instanceof GrpcCallError, String(err));
      return err;
    } finally {
      ch.close();
    }
    assert.fail('the call should have failed');
  }

  test('an answer in several DATA frames is put back together', async () => {
    behaviour = (stream) => {
      stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
      stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
      const whole = grpcFrame(Buffer.from('hello, frames'));
      stream.write(whole.subarray(0, 3));
      stream.write(whole.subarray(3, 9));
      stream.end(whole.subarray(9));
    };
    const ch = channel();
    try {
      assert.equal((await ch.call('/x/Y', Buffer.from('q'), 2_000)).toString(), 'hello, frames');
    } finally {
      ch.close();
    }
  });

  test('HTTP errors without a gRPC status map as the gRPC spec says', async () => {
    behaviour = (stream) => {
      stream.respond({ ':status': 503 });
      stream.end();
    };
    assert.equal((await callError()).code, 'UNAVAILABLE');
    behaviour = (stream) => {
      stream.respond({ ':status': 404 });
      stream.end();
    };
    assert.equal((await callError()).code, 'UNIMPLEMENTED');
  });

  test('a stream reset by the server is an error, not a hang', async () => {
    behaviour = (stream) => stream.close(0x7 /* REFUSED_STREAM */);
    assert.equal((await callError()).code, 'UNAVAILABLE');
  });

  test('an answer without a status, a compressed one, a short one and an oversized one are refused', async () => {
    behaviour = (stream) => {
      stream.respond({ ':status': 200, 'content-type': 'application/grpc' });
      stream.end(grpcFrame(Buffer.from('x')));
    };
    assert.match((await callError()).details, /without a gRPC status/);
    const withTrailers = (body: Buffer) => (stream: ServerHttp2Stream) => {
      stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
      stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
      stream.end(body);
    };
    behaviour = withTrailers(grpcFrame(Buffer.from('x'), 1));
    assert.match((await callError()).details, /compressed/);
    behaviour = withTrailers(grpcFrame(Buffer.from('abcdef')).subarray(0, 8));
    assert.equal((await callError()).code, 'INTERNAL');
    behaviour = withTrailers(grpcFrame(Buffer.alloc(4096)));
    assert.equal((await callError()).code, 'RESOURCE_EXHAUSTED');
  });

  test('no server at the socket is UNAVAILABLE at once; a server that comes later is used', async () => {
    const later = join(dir, 'later.sock');
    const ch = createGrpcChannel(later, { maxReceiveBytes: 1024 });
    try {
      await assert.rejects(
        ch.call('/x/Y', Buffer.alloc(0), 5_000),
        (err: unknown) => err instanceof GrpcCallError && err.code === 'UNAVAILABLE',
      );
      const s = createServer();
      s.on('stream', (stream) => {
        stream.resume();
        stream.on('end', () => {
          stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
          stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
          stream.end(grpcFrame(Buffer.from('up')));
        });
      });
      await new Promise<void>((resolve) => s.listen(later, resolve));
      try {
        assert.equal((await ch.call('/x/Y', Buffer.alloc(0), 5_000)).toString(), 'up');
      } finally {
        s.close();
      }
    } finally {
      ch.close();
    }
  });
});

test('grpc-timeout fits its eight digits', () => {
  assert.equal(grpcTimeout(150), '150m');
  assert.equal(grpcTimeout(0.2), '1m');
  assert.equal(grpcTimeout(99_999_999), '99999999m');
  assert.equal(grpcTimeout(100_000_000), '100000S');
  assert.equal(grpcTimeout(1e15), '99999999H');
});
