// One rule decides which runtime events ask for a look (a relist), on either stream: the CRI's
// events (containerd 2.x, CRI-O) and containerd 1.6's task events are told apart into the same
// changes, and stops, OOM kills and removals ask while creations, starts and exec ends do not.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { changeAsksForLook, type RuntimeChange } from '../../src/core/runtime-change.js';
import type { ContainerEvent } from '../../src/cri-api/messages.js';
import type { TaskEvent } from '../../src/runtime/containerd/events.js';
import { criEventAsksForLook, taskEventAsksForLook } from '../../src/streams/runtime-events.js';

const cri = (eventType: ContainerEvent['eventType']): ContainerEvent => ({
  containerId: 'c1',
  eventType,
  createdAt: '5',
  podSandboxId: 'sb',
  containersStatuses: [],
});

const task = (topic: string, exit?: TaskEvent['exit']): TaskEvent => ({
  topic,
  namespace: 'k8s.io',
  containerId: 'c1',
  ...(exit ? { exit } : {}),
});

describe('which runtime events ask for a look', () => {
  it('the rule: stops, OOM kills and removals do; creations, starts and exec ends do not', () => {
    const changes: RuntimeChange[] = ['created', 'started', 'stopped', 'oom-killed', 'deleted', 'exec-exited'];
    assert.deepEqual(
      changes.filter((c) => changeAsksForLook(c)),
      ['stopped', 'oom-killed', 'deleted'],
    );
  });

  it('CRI events follow it', () => {
    const types: ContainerEvent['eventType'][] = [
      'CONTAINER_CREATED_EVENT',
      'CONTAINER_STARTED_EVENT',
      'CONTAINER_STOPPED_EVENT',
      'CONTAINER_DELETED_EVENT',
    ];
    assert.deepEqual(
      types.map((t) => criEventAsksForLook(cri(t))),
      [false, false, true, true],
    );
  });

  it("containerd task events follow it: a main process's exit, an OOM kill, a removal; not an exec's exit", () => {
    assert.deepEqual(
      [
        task('/tasks/exit', { mainProcess: true, exitCode: 1, exitedAt: 1000 }),
        task('/tasks/oom'),
        task('/containers/delete'),
        task('/tasks/exit', { mainProcess: false, exitCode: 3 }),
      ].map(taskEventAsksForLook),
      [true, true, true, false],
    );
  });
});
