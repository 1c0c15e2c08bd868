// The event type read from a GetContainerEvents message's bytes, against messages encoded by the
// proto (through grpc-js's serializer, an encoder independent of the peek).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { EVENT_TYPE_NUMBER, peekContainerEventType } from '../../src/runtime/cri/event-type-peek.js';
import { criPackageDefinition } from '../support/cri-proto-loader.js';

type Service = { service: Record<string, { responseSerialize: (value: unknown) => Buffer }> };
const pkg = grpc.loadPackageDefinition(criPackageDefinition());
const runtimeService = (pkg['runtime'] as unknown as { v1: Record<string, Service> }).v1['RuntimeService']!;
const encode = (event: object): Buffer => runtimeService.service['GetContainerEvents']!.responseSerialize(event);

/** An event as containerd 2.x sends one: the sandbox's status and every container's. */
const fullEvent = (type: keyof typeof EVENT_TYPE_NUMBER) => ({
  containerId: 'c'.repeat(64),
  containerEventType: type,
  createdAt: '1796485595890123456',
  podSandboxStatus: {
    id: 's'.repeat(64),
    metadata: { name: 'web', uid: 'u-1', namespace: 'default', attempt: 1 },
    state: 'SANDBOX_READY',
    createdAt: '1796485595890000000',
    network: { ip: '10.88.0.4' },
    labels: { 'io.kubernetes.pod.name': 'web' },
  },
  containersStatuses: [
    { id: 'c'.repeat(64), state: 'CONTAINER_EXITED', exitCode: 137, finishedAt: '1796485595990000000' },
    { id: 'd'.repeat(64), state: 'CONTAINER_RUNNING', labels: { a: 'b' } },
  ],
});

test('every event type reads as its number on the wire, with all the fields around it', () => {
  for (const [name, number] of Object.entries(EVENT_TYPE_NUMBER)) {
    const type = name as keyof typeof EVENT_TYPE_NUMBER;
    assert.equal(peekContainerEventType(encode(fullEvent(type))), number, name);
    assert.equal(peekContainerEventType(encode({ containerEventType: type })), number, `${name}, alone`);
  }
});

test('an absent type is a creation (0, the default proto3 leaves out)', () => {
  assert.equal(peekContainerEventType(encode({ containerId: 'c1' })), 0);
  assert.equal(peekContainerEventType(new Uint8Array()), 0);
});

test('where the field comes twice, the last one counts, as in a decode', () => {
  const twice = Buffer.concat([
    encode(fullEvent('CONTAINER_STOPPED_EVENT')),
    encode({ containerEventType: 'CONTAINER_DELETED_EVENT' }),
  ]);
  assert.equal(peekContainerEventType(twice), EVENT_TYPE_NUMBER.CONTAINER_DELETED_EVENT);
});

test('bytes that are not a well-formed message give no type: the full decode reports them', () => {
  const whole = encode(fullEvent('CONTAINER_STARTED_EVENT'));
  for (const cut of [1, 10, 40, whole.length - 1])
    assert.equal(peekContainerEventType(whole.subarray(0, cut)), undefined, `cut at ${cut}`);
  assert.equal(peekContainerEventType(Buffer.from([0x10])), undefined, 'a varint field without its value');
  assert.equal(peekContainerEventType(Buffer.from([0x0b])), undefined, 'a group (wire type 3)');
  assert.equal(peekContainerEventType(Buffer.from(Array(11).fill(0xff))), undefined, 'a varint longer than ten bytes');
});
