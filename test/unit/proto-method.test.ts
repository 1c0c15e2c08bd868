// A method of one of our protos through protobufjs: its path, a request that goes out and comes back
// field for field, and errors that name the file and what is missing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { loadProto, protoMethod, shippedProtoPath } from '../../src/runtime/grpc/proto-method.js';

const eventsProto = shippedProtoPath(import.meta.url, join('src', 'runtime', 'containerd', 'proto', 'events.proto'));

test("a method's path and serialisers, its imports (google/protobuf/*) resolved", () => {
  const root = loadProto(eventsProto);
  const subscribe = protoMethod(root, 'containerd.services.events.v1.Events', 'Subscribe', {
    longs: Number,
    defaults: false,
  });
  assert.equal(subscribe.path, '/containerd.services.events.v1.Events/Subscribe');
  const wire = subscribe.requestSerialize({ filters: ['topic=="/tasks/exit"', 'namespace==k8s.io'] });
  assert.ok(Buffer.isBuffer(wire), 'a Buffer, as the channel frames it');
  const request = root.lookupType('containerd.services.events.v1.SubscribeRequest');
  assert.deepEqual(request.toObject(request.decode(wire)), { filters: ['topic=="/tasks/exit"', 'namespace==k8s.io'] });

  const envelope = root.lookupType('containerd.services.events.v1.Envelope');
  const sent = envelope.encode(
    envelope.fromObject({
      topic: '/tasks/exit',
      event: { typeUrl: 'containerd.events.TaskExit', value: { containerId: 'c1', exitStatus: 137 } },
      timestamp: { seconds: 1_700_000_000, nanos: 5 },
    }),
  );
  assert.deepEqual(subscribe.responseDeserialize(Buffer.from(sent.finish())), {
    topic: '/tasks/exit',
    event: { typeUrl: 'containerd.events.TaskExit', value: { containerId: 'c1', exitStatus: 137 } },
    timestamp: { seconds: 1_700_000_000, nanos: 5 },
  });
});

test('a service or method the proto lacks: an error naming the file and what is missing', () => {
  const root = loadProto(eventsProto);
  const options = { longs: Number, defaults: false };
  assert.throws(
    () => protoMethod(root, 'containerd.services.events.v1.Nope', 'Subscribe', options),
    (err: Error) =>
      err.message.includes('events.proto') && err.message.includes('no service containerd.services.events.v1.Nope'),
  );
  assert.throws(
    () => protoMethod(root, 'containerd.services.events.v1.Events', 'Publish', options),
    /events\.proto: no method containerd\.services\.events\.v1\.Events\.Publish/,
  );
  assert.throws(
    () => protoMethod(root, 'containerd.services.events.v1.Envelope', 'Subscribe', options),
    /no service containerd\.services\.events\.v1\.Envelope/,
  );
});

test('a shipped proto is found from the package root above the module, and its absence named', () => {
  const dir = mkdtempSync(join(tmpdir(), 'proto-path-'));
  try {
    mkdirSync(join(dir, 'pkg', 'dist', 'agent'), { recursive: true });
    mkdirSync(join(dir, 'pkg', 'protos'));
    writeFileSync(join(dir, 'pkg', 'package.json'), '{}');
    writeFileSync(join(dir, 'pkg', 'protos', 'a.proto'), 'syntax = "proto3";');
    const from = pathToFileURL(join(dir, 'pkg', 'dist', 'agent', 'main.js')).href;
    assert.equal(shippedProtoPath(from, join('protos', 'a.proto')), join(dir, 'pkg', 'protos', 'a.proto'));
    assert.throws(
      () => shippedProtoPath(from, join('protos', 'b.proto')),
      /proto not found at .*protos\/b\.proto \(package root .*pkg\)/,
    );
    const outside = pathToFileURL(join(dir, 'main.js')).href;
    assert.throws(() => shippedProtoPath(outside, 'a.proto'), /no package\.json above .*: cannot locate a\.proto/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
