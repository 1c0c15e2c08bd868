// Server streams on the lean gRPC channel against real peers on a unix socket: a bare node:http2
// server, which sends exactly the frames, cuts, trailers and resets each test names, and a grpc-js
// server (an independent gRPC implementation) serving the CRI's GetContainerEvents.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import {
  constants,
  createServer,
  type Http2Server,
  type IncomingHttpHeaders,
  type Http2Session,
  type ServerHttp2Stream,
} from 'node:http2';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { CriError } from '../../src/cri-api/runtime-service.js';
import type { ContainerEvent } from '../../src/cri-api/messages.js';
import { createCriRuntime } from '../../src/runtime/cri/client.js';
import { criPackageDefinition } from '../support/cri-proto-loader.js';
import { createGrpcChannel, type GrpcChannel } from '../../src/runtime/grpc/channel.js';
import { frame, MessageReader } from '../../src/runtime/grpc/framing.js';
import { GRPC_STATUS, GrpcCallError, grpcStatusName } from '../../src/runtime/grpc/status.js';

const dir = mkdtempSync(join(tmpdir(), 'staticlet-stream-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** What a stream delivered, once it has ended (or been cancelled and left alone). */
interface Outcome {
  messages: string[];
  end: { kind: 'complete' } | { kind: 'error'; err: GrpcCallError };
}

function collect(
  ch: GrpcChannel,
  path = '/test.Events/Subscribe',
  request = Buffer.from('subscribe'),
): { done: Promise<Outcome>; messages: string[]; cancel(): void } {
  const messages: string[] = [];
  let cancel = () => undefined as void;
  const done = new Promise<Outcome>((resolve) => {
    const handle = ch.stream(path, request, {
      next: (m) => messages.push(m.toString()),
      error: (err) => resolve({ messages, end: { kind: 'error', err } }),
      complete: () => resolve({ messages, end: { kind: 'complete' } }),
    });
    cancel = handle.cancel;
  });
  return { done, messages, cancel: () => cancel() };
}

const until = async (what: string, ok: () => boolean) => {
  for (let i = 0; i < 500 && !ok(); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(ok(), what);
};

describe('a server stream against a bare HTTP/2 server', () => {
  const socket = join(dir, 'h2.sock');
  let server: Http2Server;
  let behaviour: (stream: ServerHttp2Stream, request: Buffer, session: Http2Session) => void = () => undefined;
  let lastHeaders: IncomingHttpHeaders | undefined;
  /** The server's streams as they closed: their reset code (0 when they ended cleanly). */
  const closedWith: number[] = [];

  before(async () => {
    server = createServer();
    server.on('stream', (stream, headers) => {
      lastHeaders = headers;
      stream.on('error', () => undefined);
      stream.on('close', () => closedWith.push(stream.rstCode));
      const parts: Buffer[] = [];
      stream.on('data', (c: Buffer) => parts.push(c));
      // The request is one message and the client ends its side: serve once it is whole.
      stream.on('end', () => behaviour(stream, Buffer.concat(parts), stream.session!));
    });
    await new Promise<void>((resolve) => server.listen(socket, resolve));
  });
  after(() => server.close());

  const channel = (maxReceiveBytes = 1024) => createGrpcChannel(socket, { maxReceiveBytes });
  const respond = (stream: ServerHttp2Stream, status: string, message?: string) => {
    stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
    stream.on('wantTrailers', () =>
      stream.sendTrailers({ 'grpc-status': status, ...(message !== undefined ? { 'grpc-message': message } : {}) }),
    );
  };

  test('messages cut across chunks, several in a chunk and of zero bytes arrive whole and in order; OK trailers complete it', async () => {
    let seenRequest: Buffer | undefined;
    behaviour = (stream, request) => {
      seenRequest = request;
      respond(stream, '0');
      const all = Buffer.concat([
        frame(Buffer.from('one')),
        frame(Buffer.alloc(0)),
        frame(Buffer.from('three, a longer message')),
        frame(Buffer.from('four')),
      ]);
      // A chunk that ends inside a prefix, one inside a body, one with two messages and a half.
      stream.write(all.subarray(0, 2));
      stream.write(all.subarray(2, 12));
      stream.write(all.subarray(12, 30));
      stream.end(all.subarray(30));
    };
    const ch = channel();
    try {
      const outcome = await collect(ch).done;
      assert.deepEqual(outcome, {
        messages: ['one', '', 'three, a longer message', 'four'],
        end: { kind: 'complete' },
      });
      assert.deepEqual(seenRequest, frame(Buffer.from('subscribe')));
      assert.equal(lastHeaders?.[':path'], '/test.Events/Subscribe');
      assert.equal(lastHeaders?.['content-type'], 'application/grpc');
      assert.equal(lastHeaders?.['te'], 'trailers');
      assert.equal(lastHeaders?.['grpc-timeout'], undefined, 'a stream has no deadline');
    } finally {
      ch.close();
    }
  });

  test('a non-OK status in the trailers ends it with that status and the percent-decoded message, after its messages', async () => {
    behaviour = (stream) => {
      respond(stream, String(GRPC_STATUS.FAILED_PRECONDITION), 'runtime%20is%20shutting%20down%3A%20100%25');
      stream.end(frame(Buffer.from('last event')));
    };
    const ch = channel();
    try {
      const outcome = await collect(ch).done;
      assert.deepEqual(outcome.messages, ['last event']);
      assert.equal(outcome.end.kind, 'error');
      if (outcome.end.kind !== 'error') return;
      assert.ok(outcome.end.err instanceof GrpcCallError);
      assert.equal(outcome.end.err.code, 'FAILED_PRECONDITION');
      assert.equal(outcome.end.err.details, 'runtime is shutting down: 100%');
    } finally {
      ch.close();
    }
  });

  test('a trailers-only answer (an unknown method, as containerd 1.6 answers GetContainerEvents) is its status', async () => {
    behaviour = (stream) => {
      stream.respond(
        { ':status': 200, 'content-type': 'application/grpc', 'grpc-status': '12', 'grpc-message': 'unknown method' },
        { endStream: true },
      );
    };
    const ch = channel();
    try {
      const outcome = await collect(ch).done;
      assert.deepEqual(outcome.messages, []);
      assert.equal(outcome.end.kind === 'error' && outcome.end.err.code, 'UNIMPLEMENTED');
      assert.equal(outcome.end.kind === 'error' && outcome.end.err.details, 'unknown method');
    } finally {
      ch.close();
    }
  });

  test('a reset in the middle of the stream ends it with the status the reset code stands for', async () => {
    for (const [code, name] of [
      [constants.NGHTTP2_INTERNAL_ERROR, 'INTERNAL'],
      [constants.NGHTTP2_CANCEL, 'CANCELLED'],
      [constants.NGHTTP2_REFUSED_STREAM, 'UNAVAILABLE'],
    ] as const) {
      behaviour = (stream) => {
        respond(stream, '0');
        stream.write(frame(Buffer.from('before the reset')));
        // Half a message, then the reset.
        stream.write(frame(Buffer.from('never whole')).subarray(0, 7), () => stream.close(code));
      };
      const ch = channel();
      try {
        const outcome = await collect(ch).done;
        assert.deepEqual(outcome.messages, ['before the reset']);
        assert.equal(outcome.end.kind === 'error' && outcome.end.err.code, name, `reset code ${code}`);
      } finally {
        ch.close();
      }
    }
  });

  test('OK trailers in the middle of a message are not a clean end', async () => {
    behaviour = (stream) => {
      respond(stream, '0');
      stream.end(frame(Buffer.from('cut short')).subarray(0, 8));
    };
    const ch = channel();
    try {
      const outcome = await collect(ch).done;
      assert.equal(outcome.end.kind === 'error' && outcome.end.err.code, 'INTERNAL');
    } finally {
      ch.close();
    }
  });

  test('cancelling resets the HTTP/2 stream, and nothing more is delivered', async () => {
    let serverStream: ServerHttp2Stream | undefined;
    behaviour = (stream) => {
      serverStream = stream;
      respond(stream, '0');
      stream.write(frame(Buffer.from('first')));
    };
    const ch = channel();
    try {
      const before = closedWith.length;
      const s = collect(ch);
      let ended = false;
      void s.done.then(() => (ended = true));
      await until('the first message', () => s.messages.length === 1);
      s.cancel();
      await until('the server sees the stream closed', () => closedWith.length > before);
      assert.equal(closedWith.at(-1), constants.NGHTTP2_CANCEL);
      assert.ok(serverStream?.closed);
      // The handlers heard neither an error nor an end, and no more messages.
      await new Promise((r) => setTimeout(r, 50));
      assert.deepEqual(s.messages, ['first']);
      assert.equal(ended, false);
    } finally {
      ch.close();
    }
  });

  test('a message over the limit fails RESOURCE_EXHAUSTED from its prefix, and resets the stream', async () => {
    behaviour = (stream) => {
      respond(stream, '0');
      // Only the prefix of a 1 MiB message: the channel must not wait for (or keep) the rest.
      const prefix = Buffer.alloc(5);
      prefix.writeUInt32BE(1024 * 1024, 1);
      stream.write(prefix);
    };
    const ch = channel(1024);
    try {
      const before = closedWith.length;
      const outcome = await collect(ch).done;
      assert.equal(outcome.end.kind === 'error' && outcome.end.err.code, 'RESOURCE_EXHAUSTED');
      await until('the server sees the stream reset', () => closedWith.length > before);
      assert.equal(closedWith.at(-1), constants.NGHTTP2_CANCEL);
    } finally {
      ch.close();
    }
  });

  test('a compressed message is refused INTERNAL', async () => {
    behaviour = (stream) => {
      respond(stream, '0');
      const m = frame(Buffer.from('zipped'));
      m[0] = 1;
      stream.end(m);
    };
    const ch = channel();
    try {
      const outcome = await collect(ch).done;
      assert.equal(outcome.end.kind === 'error' && outcome.end.err.code, 'INTERNAL');
      assert.match(outcome.end.kind === 'error' ? outcome.end.err.details : '', /compressed/);
    } finally {
      ch.close();
    }
  });

  test('the connection closing under the stream (the runtime going away) is UNAVAILABLE', async () => {
    behaviour = (stream, _request, session) => {
      respond(stream, '0');
      stream.write(frame(Buffer.from('still here')), () => session.destroy());
    };
    const ch = channel();
    try {
      const outcome = await collect(ch).done;
      assert.deepEqual(outcome.messages, ['still here']);
      assert.equal(outcome.end.kind === 'error' && outcome.end.err.code, 'UNAVAILABLE');
    } finally {
      ch.close();
    }
  });

  test('a GOAWAY that refuses the stream is UNAVAILABLE', async () => {
    behaviour = (stream, _request, session) => {
      // The server takes no stream: the last one it will process is the one before ours.
      session.goaway(constants.NGHTTP2_NO_ERROR, (stream.id ?? 1) - 2);
      stream.close(constants.NGHTTP2_REFUSED_STREAM);
    };
    const ch = channel();
    try {
      const outcome = await collect(ch).done;
      assert.equal(outcome.end.kind === 'error' && outcome.end.err.code, 'UNAVAILABLE');
    } finally {
      ch.close();
    }
  });

  test('closing the channel ends an open stream CANCELLED; a stream asked of a closed channel fails CANCELLED', async () => {
    behaviour = (stream) => {
      respond(stream, '0');
      stream.write(frame(Buffer.from('open')));
    };
    const ch = channel();
    const s = collect(ch);
    await until('the first message', () => s.messages.length === 1);
    ch.close();
    const outcome = await s.done;
    assert.equal(outcome.end.kind === 'error' && outcome.end.err.code, 'CANCELLED');
    const late = await collect(ch).done;
    assert.equal(late.end.kind === 'error' && late.end.err.code, 'CANCELLED');
  });

  test('no server at the socket is UNAVAILABLE', async () => {
    const ch = createGrpcChannel(join(dir, 'nobody.sock'), { maxReceiveBytes: 1024 });
    try {
      const outcome = await collect(ch).done;
      assert.equal(outcome.end.kind === 'error' && outcome.end.err.code, 'UNAVAILABLE');
    } finally {
      ch.close();
    }
  });
});

describe('the message reader', () => {
  test('any cut of a run of messages gives back the same messages', () => {
    const messages = ['a', '', 'some longer message', '', 'z'.repeat(300)];
    const wire = Buffer.concat(messages.map((m) => frame(Buffer.from(m))));
    for (let cut1 = 0; cut1 <= wire.length; cut1++) {
      for (const cut2 of [cut1, Math.min(wire.length, cut1 + 1), Math.min(wire.length, cut1 + 7), wire.length]) {
        const reader = new MessageReader(1024);
        const got: string[] = [];
        for (const chunk of [wire.subarray(0, cut1), wire.subarray(cut1, cut2), wire.subarray(cut2)])
          reader.push(chunk, (m) => got.push(m.toString()));
        assert.deepEqual(got, messages, `cut at ${cut1} and ${cut2}`);
        assert.equal(reader.midMessage, false);
      }
    }
  });

  test('a byte at a time, and a stream that stops inside a message says so', () => {
    const reader = new MessageReader(16);
    const got: string[] = [];
    const wire = Buffer.concat([frame(Buffer.from('x1')), frame(Buffer.from('y2'))]);
    for (let i = 0; i < wire.length - 1; i++) reader.push(wire.subarray(i, i + 1), (m) => got.push(m.toString()));
    assert.deepEqual(got, ['x1']);
    assert.equal(reader.midMessage, true);
  });
});

test('our status table has the names and codes grpc-js has', () => {
  for (let code = 0; code <= 16; code++) {
    assert.equal(grpcStatusName(code), grpc.status[code], `code ${code}`);
    assert.equal(GRPC_STATUS[grpcStatusName(code)], code);
  }
  assert.equal(grpcStatusName(17), 'UNKNOWN');
  assert.equal(grpcStatusName(-1), 'UNKNOWN');
  assert.equal(grpcStatusName(Number.NaN), 'UNKNOWN');
});

describe('the CRI event stream against a grpc-js server', () => {
  const socket = join(dir, 'cri.sock');
  let server: grpc.Server;
  let events: (call: grpc.ServerWritableStream<unknown, unknown>) => void = () => undefined;

  before(async () => {
    const pkg = criPackageDefinition();
    server = new grpc.Server();
    server.addService(pkg['runtime.v1.RuntimeService'] as grpc.ServiceDefinition, {
      GetContainerEvents: (call: grpc.ServerWritableStream<unknown, unknown>) => events(call),
    });
    await new Promise<void>((resolve, reject) =>
      server.bindAsync(`unix://${socket}`, grpc.ServerCredentials.createInsecure(), (err) =>
        err ? reject(err) : resolve(),
      ),
    );
  });
  after(() => server.forceShutdown());

  const subscribe = (types?: ReadonlySet<ContainerEvent['eventType']>) => {
    const cri = createCriRuntime(`unix://${socket}`);
    const got: ContainerEvent[] = [];
    const done = new Promise<CriError | 'complete'>((resolve) => {
      cri.containerEvents(types).subscribe({
        next: (e) => got.push(e),
        error: (err) => resolve(err),
        complete: () => resolve('complete'),
      });
    });
    return { cri, got, done };
  };

  test('events decode through the proto, and the server ending the stream completes it', async () => {
    events = (call) => {
      for (let i = 0; i < 50; i++)
        call.write({
          containerId: `c${i}`,
          containerEventType: i % 2 ? 'CONTAINER_STOPPED_EVENT' : 'CONTAINER_STARTED_EVENT',
          createdAt: String(1_700_000_000_000_000_000n + BigInt(i)),
          podSandboxStatus: { id: 'sandbox-1' },
          containersStatuses: [{ id: `c${i}`, state: 'CONTAINER_EXITED', exitCode: i }],
        });
      call.end();
    };
    const { cri, got, done } = subscribe();
    try {
      assert.equal(await done, 'complete');
      assert.equal(got.length, 50);
      assert.equal(got[7]?.containerId, 'c7');
      assert.equal(got[7]?.eventType, 'CONTAINER_STOPPED_EVENT');
      assert.equal(got[7]?.podSandboxId, 'sandbox-1');
      assert.equal(got[7]?.containersStatuses[0]?.exitCode, 7);
    } finally {
      cri.close();
    }
  });

  test('asked for some types, the stream passes those only, in order', async () => {
    const types = [
      'CONTAINER_CREATED_EVENT',
      'CONTAINER_STARTED_EVENT',
      'CONTAINER_STOPPED_EVENT',
      'CONTAINER_DELETED_EVENT',
    ] as const;
    events = (call) => {
      for (let i = 0; i < 40; i++)
        call.write({
          containerId: `c${i}`,
          containerEventType: types[i % 4],
          createdAt: String(1_700_000_000_000_000_000n + BigInt(i)),
          podSandboxStatus: { id: 'sandbox-1', metadata: { name: 'p', namespace: 'default', uid: 'u' } },
          containersStatuses: [{ id: `c${i}`, state: 'CONTAINER_RUNNING', labels: { a: 'b' } }],
        });
      call.end();
    };
    const { cri, got, done } = subscribe(new Set(['CONTAINER_STOPPED_EVENT', 'CONTAINER_DELETED_EVENT']));
    try {
      assert.equal(await done, 'complete');
      assert.deepEqual(
        got.map((e) => `${e.containerId} ${e.eventType}`),
        Array.from({ length: 40 }, (_, i) => i)
          .filter((i) => i % 4 >= 2)
          .map((i) => `c${i} ${types[i % 4]}`),
      );
      assert.equal(got[0]?.podSandboxId, 'sandbox-1');
    } finally {
      cri.close();
    }
  });

  test("the server's error status comes back as a CriError of that name", async () => {
    events = (call) => call.emit('error', { code: grpc.status.UNIMPLEMENTED, details: 'no events here' });
    const { cri, done } = subscribe();
    try {
      const end = await done;
      assert.ok(end instanceof CriError, String(end));
      assert.equal(end.code, 'UNIMPLEMENTED');
    } finally {
      cri.close();
    }
  });

  test('closing the client ends an open stream CANCELLED', async () => {
    events = (call) => call.write({ containerId: 'c', containerEventType: 'CONTAINER_CREATED_EVENT' });
    const { cri, got, done } = subscribe();
    await until('the first event', () => got.length === 1);
    cri.close();
    const end = await done;
    assert.ok(end instanceof CriError, String(end));
    assert.equal(end.code, 'CANCELLED');
  });
});
