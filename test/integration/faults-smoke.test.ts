// The fault and soak commands keep working: `npm run faults` with one fault at the smallest size
// and `npm run soak` for a minute must finish and write their reports. No outcome is judged here
// (exit 1, a fault that did not converge, is a finding of the run, not a broken command; exit 2,
// the harness failing, is); the findings live in the reports.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { REPO } from '../support/harness.js';

/** Runs a bench script; resolves with its exit code (0 or 1), rejects on anything else. */
function run(script: string, args: string[], timeoutMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', join(REPO, script), ...args],
      { cwd: REPO, timeout: timeoutMs, maxBuffer: 16 << 20 },
      (err, _stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
        if (code === 0 || code === 1) resolve(code);
        else reject(new Error(`${script} exited ${code}: ${stderr.slice(-2000)}`));
      },
    );
  });
}

async function reportOf(dir: string, prefix: string): Promise<{ md: string; json: Record<string, unknown> }> {
  const files = await readdir(dir);
  const md = files.find((f) => f.startsWith(prefix) && f.endsWith('-quick.md'));
  const json = files.find((f) => f.startsWith(prefix) && f.endsWith('-quick.json'));
  assert.ok(md && json, `report files: ${files.join(', ')}`);
  return {
    md: await readFile(join(dir, md), 'utf8'),
    json: JSON.parse(await readFile(join(dir, json), 'utf8')) as Record<string, unknown>,
  };
}

describe('npm run faults and npm run soak (smoke)', () => {
  it('faults: one URL fault, 2 pods, once; writes the report', { timeout: 240_000 }, async () => {
    const out = await mkdtemp(join(tmpdir(), 'staticlet-faults-smoke-'));
    try {
      const code = await run(
        'bench/faults.ts',
        ['--quick', '--faults', 'url-500', '--pods', '2', '--reps', '1', '--timeout', '60', '--out', out],
        240_000,
      );
      const { md, json } = await reportOf(out, 'faults-');
      assert.match(md, /\| url-500 \| the manifest URL answers 500 \| 1 \| \**[01]\**? \|/);
      assert.equal(json.ok, code === 0);
      const results = json.results as { fault: string; injections: unknown[] }[];
      assert.deepEqual(
        results.map((r) => [r.fault, r.injections.length]),
        [['url-500', 1]],
      );
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  });

  it('soak: 4 pods for a minute; writes the report with every metric', { timeout: 300_000 }, async () => {
    const out = await mkdtemp(join(tmpdir(), 'staticlet-soak-smoke-'));
    try {
      const code = await run('bench/soak.ts', ['--quick', '--minutes', '1', '--pods', '4', '--out', out], 300_000);
      const { md, json } = await reportOf(out, 'soak-');
      for (const metric of ['RSS', 'V8 heap used', 'open file descriptors', 'inotify watches', 'event log size'])
        assert.match(md, new RegExp(`\\| ${metric}`), metric);
      assert.equal(json.ok, code === 0);
      assert.ok((json.samples as unknown[]).length >= 8, 'a sample every 5 s');
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  });
});
