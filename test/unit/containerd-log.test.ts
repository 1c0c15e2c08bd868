// Reading containerd's log of a pod's start back into its steps (bench/start-steps.ts).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { callTimes, logTime, startSteps } from '../../bench/lib/containerd-log.js';

const SB = 'a1'.repeat(32);
const CT = 'b2'.repeat(32);
const OTHER = 'c3'.repeat(32);
const line = (time: string, msg: string, level = 'info') =>
  `time="2026-12-05T19:30:${time}Z" level=${level} msg="${msg.replace(/"/g, '\\"')}"`;

// The lines as containerd logs them (1.6 and 2.x alike), with others in between: a second pod's
// calls, a restart's (attempt 1), a debug line and one that is not logrus text at all.
const LOG = [
  line('00.000000000', 'RunPodSandbox for &PodSandboxMetadata{Name:lc0-floor,Uid:u0,Namespace:default,Attempt:0,}'),
  line('00.001500000', 'RunPodSandbox for &PodSandboxMetadata{Name:lc1-floor,Uid:u1,Namespace:default,Attempt:0,}'),
  line('00.002000000', 'ImageStatus for "staticlet.local/busybox:1"', 'debug'),
  'some line from a shim',
  line(
    '00.100250000',
    `RunPodSandbox for &PodSandboxMetadata{Name:lc0-floor,Uid:u0,Namespace:default,Attempt:0,} returns sandbox id "${SB}"`,
  ),
  line('00.101000000', `CreateContainer within sandbox "${SB}" for container &ContainerMetadata{Name:main,Attempt:0,}`),
  line(
    '00.150000000',
    `CreateContainer within sandbox "${SB}" for &ContainerMetadata{Name:main,Attempt:0,} returns container id "${CT}"`,
  ),
  line('00.150500000', `StartContainer for "${CT}"`),
  line('00.200000000', `StartContainer for "${CT}" returns successfully`),
  line('01.000000000', `CreateContainer within sandbox "${SB}" for container &ContainerMetadata{Name:main,Attempt:1,}`),
  line(
    '01.050000000',
    `CreateContainer within sandbox "${SB}" for &ContainerMetadata{Name:main,Attempt:1,} returns container id "${OTHER}"`,
  ),
].join('\n');

describe("containerd's log of a start", () => {
  it('reads times to the microsecond, with an offset or Z', () => {
    assert.equal(logTime('2026-12-05T19:30:00.123456789Z'), Date.UTC(2026, 11, 5, 19, 30, 0) + 123.456789);
    assert.equal(logTime('2026-12-05T20:30:00.5+01:00'), Date.UTC(2026, 11, 5, 19, 30, 0) + 500);
    assert.equal(logTime('2026-12-05T19:30:00Z'), Date.UTC(2026, 11, 5, 19, 30, 0));
    assert.ok(Number.isNaN(logTime('yesterday')));
  });

  it('finds the calls, received and answered, and skips every other line', () => {
    const calls = callTimes(LOG);
    assert.deepEqual(
      calls.map((c) => `${c.call} ${c.phase}`),
      [
        'RunPodSandbox received',
        'RunPodSandbox received',
        'RunPodSandbox answered',
        'CreateContainer received',
        'CreateContainer answered',
        'StartContainer received',
        'StartContainer answered',
      ],
    );
    assert.deepEqual(calls[2], {
      call: 'RunPodSandbox',
      phase: 'answered',
      pod: 'lc0-floor',
      sandboxId: SB,
      at: Date.UTC(2026, 11, 5, 19, 30, 0) + 100.25,
    });
  });

  it("splits the first start of a pod into steps that add up to the run's total", () => {
    const t = Date.UTC(2026, 11, 5, 19, 30, 0);
    const steps = startSteps(callTimes(LOG), 'lc0-floor', { writtenAt: t - 3, start: 260, sandboxCreated: 60 });
    assert.ok(steps);
    const close = (a: number, b: number) => assert.ok(Math.abs(a - b) < 1e-6, `${a} vs ${b}`);
    close(steps.toSandboxCall, 3);
    close(steps.sandboxCall, 100.25);
    close(steps.sandboxCallToCreatedAt, 57);
    close(steps.toCreateCall, 0.75);
    close(steps.createCall, 49);
    close(steps.toStartCall, 0.5);
    close(steps.startCallToRunning, 260 - 3 - 150.5);
    close(
      steps.toSandboxCall +
        steps.sandboxCall +
        steps.toCreateCall +
        steps.createCall +
        steps.toStartCall +
        steps.startCallToRunning,
      steps.total,
    );
  });

  it('reads 2.x, which prints the metadata as protobuf text and leaves a zero attempt out', () => {
    const v2 = [
      line('00.000000000', 'RunPodSandbox for name:"lc0-bench-node"  uid:"u0"  namespace:"default"'),
      line(
        '00.080000000',
        `RunPodSandbox for name:"lc0-bench-node"  uid:"u0"  namespace:"default" returns sandbox id "${SB}"`,
      ),
      line('00.081000000', `CreateContainer within sandbox "${SB}" for container name:"main"`),
      line('00.090000000', `CreateContainer within sandbox "${SB}" for name:"main" returns container id "${CT}"`),
      line('00.091000000', `StartContainer for "${CT}"`),
      line('00.200000000', `CreateContainer within sandbox "${SB}" for container name:"main"  attempt:1`),
      line(
        '00.210000000',
        `CreateContainer within sandbox "${SB}" for name:"main"  attempt:1 returns container id "${OTHER}"`,
      ),
      line('00.300000000', 'RunPodSandbox for name:"lc0-bench-node"  uid:"u0"  namespace:"default"  attempt:1'),
    ].join('\n');
    const calls = callTimes(v2);
    assert.deepEqual(
      calls.map((c) => `${c.call} ${c.phase}`),
      [
        'RunPodSandbox received',
        'RunPodSandbox answered',
        'CreateContainer received',
        'CreateContainer answered',
        'StartContainer received',
      ],
    );
    const t = Date.UTC(2026, 11, 5, 19, 30, 0);
    const steps = startSteps(calls, 'lc0-bench-node', { writtenAt: t - 5, start: 150, sandboxCreated: 20 });
    assert.ok(steps);
    assert.ok(Math.abs(steps.toCreateCall - 1) < 1e-6);
    assert.ok(Math.abs(steps.startCallToRunning - (150 - 5 - 91)) < 1e-6);
  });

  it('gives nothing for a pod whose start the log does not hold whole', () => {
    assert.equal(startSteps(callTimes(LOG), 'lc1-floor', { writtenAt: 0, start: 1, sandboxCreated: 1 }), undefined);
    assert.equal(startSteps(callTimes(LOG), 'lc9-floor', { writtenAt: 0, start: 1, sandboxCreated: 1 }), undefined);
  });
});
