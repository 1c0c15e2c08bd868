// `npm run soak`: bin/staticlet on a private containerd with 100 pods and churn (edits, deletes
// and re-adds, containers stopped with crictl, crash-looping pods, invalid edits) for 30 minutes,
// sampling its RSS, V8 heap, open descriptors, inotify watches and event log size every 5 s; the
// report gives each one's slope per hour with a 95 % bound, then the no-orphan checks once the
// churn stops and once every pod is removed. Writes bench/results/soak-<date>[-quick].md/.json;
// exits 1 if the agent died or a check failed.
//   npm run soak                      30 minutes, 100 pods
//   npm run soak -- --minutes 5       shorter; --pods N; --quick: 1 minute, 10 pods
//   npm run soak -- --heap-snapshots DIR   also V8 heap snapshots into DIR after the warm-up and
//                                     at the end of the churn (compare them in Chrome DevTools)
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { REPO } from '../test/support/harness.js';
import { sh, sleep } from './lib/env.js';
import { converge, expect, type CheckContext, type Convergence } from './faults/check.js';
import { Agent, Crictl, freshRuntime, log, teardown } from './faults/world.js';
import { Churn } from './soak/churn.js';
import { METRICS, sample, trend, type Sample, type Trend } from './soak/sample.js';
import type { Runtime } from './lib/env.js';

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    minutes: { type: 'string' },
    pods: { type: 'string' },
    'sample-seconds': { type: 'string', default: '5' },
    'churn-seconds': { type: 'string', default: '3' },
    out: { type: 'string', default: join(REPO, 'bench/results') },
    'heap-snapshots': { type: 'string' },
  },
});
const quick = values.quick!;
const minutes = Number(values.minutes ?? (quick ? 1 : 30));
const pods = Number(values.pods ?? (quick ? 10 : 100));
const sampleMs = Number(values['sample-seconds']) * 1000;
const churnMs = Number(values['churn-seconds']) * 1000;
/** Samples before this are kept but not fitted: the first pods' start and V8's warm-up. */
const warmUpMs = Math.min(5 * 60_000, minutes * 60_000 * 0.2);
/** How long the node may take to converge once the churn stops, and once every pod is removed. */
const checkMs = quick ? 60_000 : 180_000;
const snapshotDir = values['heap-snapshots'];

async function main(): Promise<number> {
  for (const [name, v] of Object.entries({ minutes, pods, sampleMs, churnMs }))
    if (!Number.isFinite(v) || v <= 0) throw new Error(`--${name}: a positive number, got ${v}`);
  await sh('scripts/tools.sh', 'crictl');
  const started = new Date();
  let runtime: Runtime | undefined;
  let agent: Agent | undefined;
  const samples: Sample[] = [];
  const checks: { what: string; c: Convergence }[] = [];
  let churn: Churn | undefined;
  let died = '';
  try {
    runtime = await freshRuntime();
    const heapFile = join(runtime.dir, 'soak-heap.json');
    if (snapshotDir) await mkdir(snapshotDir, { recursive: true });
    const eventLog = join(runtime.dir, 'soak-events.jsonl');
    agent = await Agent.create(runtime, {
      nodeName: 'soak',
      extra: [`--event-log=${eventLog}`],
      nodeArgs: [
        '--import',
        pathToFileURL(join(REPO, 'dist/bench/soak/heap-probe.js')).href,
        ...(snapshotDir ? ['--heapsnapshot-signal=SIGUSR2', `--diagnostic-dir=${snapshotDir}`] : []),
      ],
      env: { STATICLET_SOAK_HEAP_FILE: heapFile },
    });
    await agent.start();
    const crictl = await Crictl.for(runtime);
    const ctx: CheckContext = { crictl, agent };
    churn = new Churn(agent, crictl, pods);
    await churn.writeAll();
    const t0 = Date.now();
    const endAt = t0 + minutes * 60_000;
    let nextSample = t0;
    let snapshotted = false;
    log(`soak: ${pods} pods, ${minutes} min, a change every ${churnMs / 1000} s, a sample every ${sampleMs / 1000} s`);
    while (Date.now() < endAt) {
      if (!agent.alive) {
        died = `the agent exited during the soak: ${agent.stderr.slice(-1000)}`;
        break;
      }
      if (Date.now() >= nextSample) {
        samples.push(await sample(agent.pid, Date.now() - t0, eventLog, heapFile));
        nextSample += sampleMs;
        if (samples.length % 12 === 0)
          log(`soak: ${Math.round((Date.now() - t0) / 60_000)} min, ${line(samples.at(-1)!)}`);
      }
      if (snapshotDir && !snapshotted && Date.now() - t0 >= warmUpMs) {
        snapshotted = true;
        log(`soak: heap snapshot ${await agent.heapSnapshot(snapshotDir)}`);
      }
      // The first minute (or warm-up) without churn: every pod starts first.
      if (Date.now() - t0 > Math.min(60_000, warmUpMs)) await churn.step(Date.now());
      await sleep(churnMs);
    }
    if (!died) {
      if (snapshotDir) log(`soak: heap snapshot ${await agent.heapSnapshot(snapshotDir)}`);
      log('soak: churn over; every manifest valid and present again');
      await churn.settle();
      checks.push({
        what: `all ${pods} pods, after the churn`,
        c: await converge(ctx, expect(agent, churn.files), checkMs),
      });
      await agent.remove(churn.files.map((f) => f.file));
      checks.push({ what: 'every pod removed', c: await converge(ctx, new Map(), checkMs) });
      if (!agent.alive) died = `the agent exited: ${agent.stderr.slice(-1000)}`;
    }
  } finally {
    await teardown(agent, runtime);
  }
  const ok = !died && checks.length === 2 && checks.every((x) => x.c.converged);
  await report(started, samples, churn, checks, died, ok);
  return ok ? 0 : 1;
}

const line = (s: Sample) =>
  `RSS ${mib(s.rssBytes)} MiB (malloc ${mib(s.mallocHeapBytes)}), heap ${mib(s.heapUsedBytes)}/${mib(s.heapTotalBytes)} MiB, external ${mib(s.externalBytes)} MiB, ` +
  `${s.activeHandles} handles, ${s.activeTimers} timers, ${s.fds} fds, ${s.inotifyWatches} inotify watches, ` +
  `event log ${mib(s.eventLogBytes)} MiB`;
const mib = (bytes: number) => (bytes / 2 ** 20).toFixed(1);

async function report(
  started: Date,
  samples: Sample[],
  churn: Churn | undefined,
  checks: { what: string; c: Convergence }[],
  died: string,
  ok: boolean,
): Promise<void> {
  const trends: Record<string, Trend> = {};
  for (const m of METRICS) trends[m.key] = trend(samples, m.key, warmUpMs);
  const lines = [`# staticlet soak, ${started.toISOString()}`, ''];
  lines.push(
    `Machine: ${cpus().length} × ${cpus()[0]?.model ?? '?'}, ${Math.round(totalmem() / 2 ** 30)} GiB; Node.js ${process.version}. ` +
      `Mode: ${quick ? 'quick (smoke)' : 'full'}; ${pods} pods for ${minutes} min, a change every ${churnMs / 1000} s, ` +
      `a sample every ${sampleMs / 1000} s (${samples.length} samples).`,
    '',
    `Slope: least squares over the samples after a warm-up of ${Math.round(warmUpMs / 1000)} s, fitted on means of ` +
      'consecutive batches (about 30), per hour; ± is its 95 % confidence bound (Student t). Flat: the bound holds ' +
      'zero. The event log grows by design (every event is a line): its slope is its growth rate. Heap, external, ' +
      'handles and timers: process.memoryUsage() and process.getActiveResourcesInfo(), written by a probe loaded ' +
      'with node --import (bench/soak/heap-probe.ts).',
    '',
    '| metric | first | last | min | max | slope per hour | 95 % bound | verdict |',
    '|---|---|---|---|---|---|---|---|',
  );
  for (const m of METRICS) {
    const t = trends[m.key]!;
    const f = (v: number) => (Number.isFinite(v) ? (v * m.scale).toFixed(m.unit ? 1 : 0) : '–');
    const fs = (v: number) => (Number.isFinite(v) ? (v * m.scale).toFixed(2) : '–');
    const u = m.unit ? ` ${m.unit}` : '';
    lines.push(
      `| ${m.label}${u ? ` (${m.unit})` : ''} | ${f(t.first)} | ${f(t.last)} | ${f(t.min)} | ${f(t.max)} | ${fs(t.slopePerHour)} | ±${fs(t.bound)} | ${t.verdict} |`,
    );
  }
  lines.push('', '## Churn', '', '| change | times |', '|---|---|');
  for (const [kind, n] of churn?.counts ?? []) lines.push(`| ${kind} | ${n} |`);
  lines.push('', '## Checks at the end', '');
  if (died) lines.push(`- **${died}**`);
  for (const { what, c } of checks) {
    lines.push(`- ${what}: ${c.converged ? `converged in ${c.ms} ms` : '**did not converge**'}`);
    for (const p of [...c.problems.slice(0, 25), ...c.transient]) lines.push(`  - ${p}`);
  }
  lines.push('', `Result: ${ok ? 'the agent lived and every check passed' : '**a check failed**'}.`, '');
  const md = lines.join('\n');
  await mkdir(values.out!, { recursive: true });
  const stamp = `soak-${started.toISOString().replace(/[:.]/g, '-')}${quick ? '-quick' : ''}`;
  await writeFile(join(values.out!, `${stamp}.md`), md);
  const params = { quick, minutes, pods, sampleMs, churnMs, warmUpMs };
  const churnCounts = Object.fromEntries(churn?.counts ?? []);
  await writeFile(
    join(values.out!, `${stamp}.json`),
    JSON.stringify(
      { date: started.toISOString(), params, ok, died, trends, churn: churnCounts, checks, samples },
      null,
      2,
    ),
  );
  process.stdout.write(md + '\n');
  log(`report: ${join(values.out!, `${stamp}.md`)}`);
}

main().then(
  (code) => (process.exitCode = code),
  (err: unknown) => {
    process.stderr.write(`soak failed: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exitCode = 2;
  },
);
