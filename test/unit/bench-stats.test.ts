// The benchmark's arithmetic: medians, paired overheads and the order of turns.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  pairedMedianDifference,
  pooledPairedMedianDifference,
  pooledPairedMedianInterval,
  summarize,
} from '../../bench/lib/stats.js';
import { OVERHEAD_TARGETS, overheadMet } from '../../bench/lib/targets.js';
import { inTurn } from '../../bench/lib/turns.js';

describe('bench statistics', () => {
  it('summarizes finite samples and keeps all of them in order', () => {
    const s = summarize([30, NaN, 10, 20]);
    assert.equal(s.n, 3);
    assert.equal(s.median, 20);
    assert.equal(s.min, 10);
    assert.equal(s.max, 30);
    assert.deepEqual(s.samples, [30, NaN, 10, 20]);
  });

  it('pairs each run with its partner: drift shared by a pair drops out', () => {
    // The machine slows down turn by turn; the agent is always 100 ms behind the floor.
    const floor = [1000, 3000, 2000, 6000, 5000];
    const agent = [1100, 3100, 2100, 6100, 5100];
    assert.equal(pairedMedianDifference(agent, floor), 100);
    // One slow turn for the agent moves the difference of medians by seconds, the paired one not.
    const floorTurns = [5000, 9000, 7000];
    const agentTurns = [5300, 9300, 9000];
    assert.equal(summarize(agentTurns).median - summarize(floorTurns).median, 2000);
    assert.equal(pairedMedianDifference(agentTurns, floorTurns), 300);
    assert.equal(pairedMedianDifference([1200, 1300, 900], [1000, 1000, 1000]), 200);
  });

  it('bounds a pooled overhead by a bootstrap interval: narrow for steady pairs, wide for noisy ones, the same every time', () => {
    const floor = Array.from({ length: 40 }, (_, i) => 250 + ((i * 37) % 60));
    // Steady: the agent is 10 ms behind in every pair, give or take 1.
    const steady = floor.map((f, i) => f + 10 + (i % 3) - 1);
    const tight = pooledPairedMedianInterval([{ a: steady, b: floor }]);
    assert.ok(tight.low >= 9 && tight.high <= 11, JSON.stringify(tight));
    // Noisy: the same 10 ms, spread by ±40 as a runtime's start spreads.
    const noisy = floor.map((f, i) => f + 10 + (((i * 53) % 81) - 40));
    const wide = pooledPairedMedianInterval([{ a: noisy, b: floor }]);
    const median = pooledPairedMedianDifference([{ a: noisy, b: floor }]);
    assert.ok(wide.low <= median && median <= wide.high, JSON.stringify({ wide, median }));
    assert.ok(wide.high - wide.low > 10, `an interval as wide as the noise allows: ${JSON.stringify(wide)}`);
    assert.deepEqual(pooledPairedMedianInterval([{ a: noisy, b: floor }]), wide, 'seeded: the same interval again');
    // Constant differences leave nothing to resample; no pairs give no interval.
    assert.deepEqual(pooledPairedMedianInterval([{ a: [5, 6, 7], b: [1, 2, 3] }]), { low: 4, high: 4 });
    assert.deepEqual(pooledPairedMedianInterval([{ a: [NaN], b: [1] }]), { low: NaN, high: NaN });
  });

  it('pools runs: every pair in one median, each run paired only within itself', () => {
    // Run one is slow throughout, run two fast; the agent is 100 ms behind in one, 300 in the other.
    const pooled = pooledPairedMedianDifference([
      { a: [9100, 9100, 9100], b: [9000, 9000, 9000] },
      { a: [5300, 5300, 5300, 5300], b: [5000, 5000, 5000, 5000, 5000] },
    ]);
    assert.equal(pooled, 300);
    // The fifth floor sample of run two has no partner and is left out, not paired across runs.
    assert.equal(
      pooledPairedMedianDifference([
        { a: [100], b: [0, 50] },
        { a: [10, 20], b: [0, 0] },
      ]),
      20,
    );
    assert.ok(Number.isNaN(pooledPairedMedianDifference([])));
  });

  it("judges an overhead target: at most half the kubelet's (or none), within its cap", () => {
    const single = OVERHEAD_TARGETS.find((t) => t.capMs === 100)!;
    const bulk = OVERHEAD_TARGETS.find((t) => t.capMs === undefined)!;
    assert.equal(overheadMet(single, 5, 10), true);
    assert.equal(overheadMet(single, 6, 10), false);
    assert.equal(overheadMet(single, -3, -10), true);
    assert.equal(overheadMet(single, 120, 1000), false);
    assert.equal(overheadMet(bulk, 450, 900), true);
    assert.equal(overheadMet(bulk, 530, 400), false);
  });

  it('leaves out runs without a partner or a number', () => {
    assert.equal(pairedMedianDifference([10, NaN, 30, 40], [0, 5, 10]), 15);
    assert.ok(Number.isNaN(pairedMedianDifference([], [1])));
  });
});

describe('bench turns', () => {
  it('rotates who goes first, turn by turn', () => {
    const agents = ['floor', 'staticlet', 'kubelet'];
    assert.deepEqual(inTurn(agents, 0), ['floor', 'staticlet', 'kubelet']);
    assert.deepEqual(inTurn(agents, 1), ['staticlet', 'kubelet', 'floor']);
    assert.deepEqual(inTurn(agents, 2), ['kubelet', 'floor', 'staticlet']);
    assert.deepEqual(inTurn(agents, 3), agents);
    assert.deepEqual(inTurn([], 5), []);
  });
});
