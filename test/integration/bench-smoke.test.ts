// The benchmark commands keep working: a smoke run of `npm run bench` (all three agents, the
// smallest sizes) must finish and write a report with every agent's rows and the targets, and
// one of `npm run bench:calls` must print a row for each transport. No
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

describe('npm run bench (smoke)', () => {
  it('runs floor, staticlet and the kubelet and writes the report', { timeout: 900_000 }, async () => {
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
          'lifecycle,bulk,steady',
          '--runs',
          '1',
          '--bulk-sizes',
          '1',
          '--out',
          out,
        ],
        { cwd: REPO, timeout: 900_000, maxBuffer: 16 << 20 },
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
      assert.match(report, /## 5\. Steady state/);
      assert.match(report, /## Targets \(this run\)/);
      const data = JSON.parse(await readFile(join(out, json), 'utf8')) as {
        rows: { summary: { n: number; samples: number[] } }[];
        steady: unknown[];
      };
      assert.ok(data.rows.length >= 3 * 6 && data.steady.length === 2);
      // Every sample is kept, so a report can be rechecked and paired later.
      for (const row of data.rows) assert.ok(row.summary.samples.length >= row.summary.n);
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  });

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
