// Each pods watch asks the API server for its own timeout, spread like the kubelet's reflectors'.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { watchTimeoutFor } from '../../src/runtime/kube/pod-watch.js';

test('a watch timeout lies between the shortest and twice it', () => {
  assert.equal(watchTimeoutFor(300, 0), 300);
  assert.equal(watchTimeoutFor(300, 0.5), 450);
  assert.equal(watchTimeoutFor(300, 0.999999), 599);
  for (let i = 0; i < 1000; i++) {
    const t = watchTimeoutFor(300, Math.random());
    assert.ok(Number.isInteger(t) && t >= 300 && t < 600, `${t}`);
  }
});
