// The benchmark commands keep working: a smoke run of `npm run bench` (all three agents, the
// smallest sizes, the steady state with a few pods, the API server's load with one staticlet and
// one kubelet on a real kube-apiserver) must finish and write a report with every agent's rows
// and the targets, and
// one of `npm run bench:calls` must print a row for each transport, and one of `npm run
// bench:steps` a figure for every step of every start, with `--baseline` too. No
// figure is judged here; the figures live in the committed reports (bench/results).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { REPO } from '../support/harness.js';

const execFileP = promisify(execFile);

/** A figure of a steps report: a median or a paired difference, in ms to a tenth. */
const FIGURE = String.raw`-?\d+(\.\d)?`;

/** `npm run bench:steps` with `args`, writing into a directory of its own: what it printed, its
 * table's step rows and the files it wrote. */
async function stepsReport(args: string[]): Promise<{ stdout: string; rows: string[]; files: string[] }> {
  const out = await mkdtemp(join(tmpdir(), 'staticlet-bench-steps-'));
  try {
    const { stdout } = await execFileP(
      process.execPath,
      ['--import', 'tsx', join(REPO, 'bench/start-steps.ts'), ...args, '--out', out],
      { cwd: REPO, timeout: 300_000, maxBuffer: 16 << 20 },
    );
    const rows = stdout.split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| step'));
    return { stdout, rows, files: await readdir(out) };
  } finally {
    await rm(out, { recursive: true, force: true });
  }
}

describe('npm run bench (smoke)', () => {
  it('runs floor, staticlet and the kubelet and writes the report', { timeout: 1_200_000 }, async () => {
    const out = await mkdtemp(join(tmpdir(), 'staticlet-bench-smoke-'));
    try {
      await execFileP(
        process.execPath,
        [
          '--import',
          'tsx',
          join(REPO, 'bench/run.ts'),
          '--quick',
          '--agents',
          'floor,staticlet,kubelet',
          '--scenarios',
          'lifecycle,bulk,steady,apiserver',
          '--runtime',
          'containerd1',
          '--runs',
          '1',
          '--bulk-sizes',
          '1',
          '--steady-pods',
          '3',
          '--steady-seconds',
          '3',
          '--apiserver-nodes',
          '1',
          '--apiserver-pods',
          '2',
          // Longer than the 10 s at which both agents renew their node's Lease.
          '--apiserver-seconds',
          '25',
          '--out',
          out,
        ],
        { cwd: REPO, timeout: 1_200_000, maxBuffer: 16 << 20 },
      );
      const files = await readdir(out);
      const md = files.find((f) => f.endsWith('-quick.md'));
      const json = files.find((f) => f.endsWith('-quick.json'));
      assert.ok(md && json, `report files: ${files.join(', ')}`);
      const report = await readFile(join(out, md), 'utf8');
      for (const agent of ['floor', 'staticlet', 'kubelet']) {
        assert.match(
          report,
          new RegExp(`\\| 1\\. manifest written → container running \\| ${agent} \\| 1 \\| \\d+`),
          `a scenario 1 row for ${agent}`,
        );
      }
      assert.match(report, /## containerd v?1\.6\.\S+ \(`--runtime containerd1`\)/);
      assert.match(report, /### 5\. Steady state: 3 pods, idle window of 3 s/);
      assert.match(report, /### Targets \(this run, containerd v?1\.6/);
      assert.match(
        report,
        /\| 5\. idle CPU with 3 pods ≤ ¼ kubelet's \(1 pair\) \| [\d.]+ CPU-s\/min vs [\d.]+ CPU-s\/min/,
      );
      assert.match(report, /\| 5\. peak RSS in the window ≤ ¾ kubelet's \(1 pair\) \| [\d.]+ MiB vs [\d.]+ MiB/);
      assert.match(report, /## 7\. API server load per node/);
      const data = JSON.parse(await readFile(join(out, json), 'utf8')) as {
        rows: { summary: { n: number; samples: number[] } }[];
        steady: { agent: string; sample: { pods: number; cpuSeconds: number; windowPeakRssBytes: number } }[];
        runtimes: { kind: string; version: string }[];
        apiserverLoad: {
          agents: { node: string; agent: string; userAgents: string[]; byKind: Record<string, number> }[];
        };
      };
      assert.ok(data.rows.length >= 3 * 6 && data.steady.length === 2);
      assert.deepEqual(
        data.runtimes.map((r) => r.kind),
        ['containerd1'],
      );
      for (const { sample } of data.steady) {
        assert.equal(sample.pods, 3);
        assert.ok(sample.windowPeakRssBytes > 0 && sample.cpuSeconds >= 0);
      }
      // Each agent's node is counted apart, by its own user, and renewed its Lease in the window.
      assert.deepEqual(
        data.apiserverLoad.agents.map((a) => `${a.agent} ${a.node}`),
        ['staticlet node-a', 'kubelet node-b'],
      );
      for (const a of data.apiserverLoad.agents)
        assert.ok((a.byKind['update leases'] ?? 0) >= 1, `${a.node}'s requests: ${JSON.stringify(a.byKind)}`);
      // Each names itself to the API server.
      assert.deepEqual(
        data.apiserverLoad.agents.map((a) => a.userAgents.map((u) => u.split(' ')[0]!.replace(/\/.*/, ''))),
        [['staticlet'], ['kubelet']],
      );
      // Every sample is kept, so a report can be rechecked and paired later.
      for (const row of data.rows) assert.ok(row.summary.samples.length >= row.summary.n);
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  });

  for (const runtime of ['containerd1', 'containerd2']) {
    it(`npm run bench:steps takes each start apart by the log of ${runtime}`, { timeout: 300_000 }, async () => {
      const { rows, files } = await stepsReport([
        ...['--runtime', runtime, '--agents', 'floor,staticlet', '--blocks', '1', '--per-block', '2'],
      ]);
      // Every step found in the log for both starts of each agent: "median (n)" with n = 2.
      assert.equal(rows.length, 8, rows.join('\n'));
      for (const row of rows)
        assert.match(
          row,
          new RegExp(String.raw`^\| [^|]+ \| ${FIGURE} \(2\) \| ${FIGURE} \(2\) \| ${FIGURE} \|$`),
          row,
        );
      assert.equal(files.filter((f) => f.startsWith('start-steps-')).length, 1);
    });
  }

  it(
    '--baseline runs another build in turns with this one (here this checkout again) and pairs the two',
    { timeout: 300_000 },
    async () => {
      const { stdout, rows } = await stepsReport([
        ...['--runtime', 'containerd1', '--agents', 'floor,staticlet', '--blocks', '1', '--per-block', '1'],
        ...['--baseline', REPO],
      ]);
      assert.match(stdout, /--agents floor,staticlet,baseline .*--baseline /);
      assert.match(stdout, /\| staticlet − baseline, paired \|$/m);
      // floor, staticlet and baseline each with its start; over the floor (two); one build over the other.
      assert.equal(rows.length, 8, stdout);
      const started = String.raw`${FIGURE} \(1\)`;
      for (const row of rows)
        assert.match(
          row,
          new RegExp(
            String.raw`^\| [^|]+ \| ${started} \| ${started} \| ${started} \| ${FIGURE} \| ${FIGURE} \| ${FIGURE} \|$`,
          ),
          row,
        );
    },
  );

  it('npm run bench:calls measures both unary transports', { timeout: 300_000 }, async () => {
    const { stdout } = await execFileP(
      process.execPath,
      ['--import', 'tsx', join(REPO, 'bench/cri-calls.ts'), '--quick'],
      { cwd: REPO, timeout: 300_000, maxBuffer: 16 << 20 },
    );
    for (const transport of ['http2', 'grpc-js']) {
      assert.match(
        stdout,
        new RegExp(`\\| ContainerStatus, 5 at once \\| ${transport} \\| \\d+\\.\\d+`),
        `a row for ${transport}`,
      );
    }
  });
});
