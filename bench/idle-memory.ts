// Probe (issue 25): staticlet on N pods, after settle: RSS, VmHWM, smaps_rollup and the heap probe's
// process.memoryUsage(), sampled through an idle window. node --import tsx bench/idle-memory.ts containerd2 [pods] [settle] [window] [node-args...]
import { readFile, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { REPO } from '../test/support/harness.js';
import { procStats, Runtime, runBusyboxPods, sleep, startStaticlet } from './lib/env.js';
import type { RuntimeKind } from './lib/runtimes.js';

const [kind = 'containerd2', podsArg = '50', settleArg = '30', windowArg = '60', ...nodeExtra] = process.argv.slice(2);
const n = Number(podsArg);
const mib = (b: number) => (b / 2 ** 20).toFixed(1);
const dir = await mkdtemp(join(tmpdir(), 'idle-rss-'));
const heapFile = join(dir, 'heap.json');
process.env['STATICLET_SOAK_HEAP_FILE'] = heapFile;
const runtime = await new Runtime(kind as RuntimeKind).start();
const staticletArgs = (process.env['IDLE_STATICLET_ARGS'] ?? '').split(' ').filter(Boolean);
const agent = await startStaticlet(runtime, 'idle-node', staticletArgs, [
  '--import',
  pathToFileURL(join(REPO, 'dist/bench/soak/heap-probe.js')).href,
  ...nodeExtra,
]);
const smaps = async () => {
  const t = await readFile(`/proc/${agent.pid}/smaps_rollup`, 'utf8');
  const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(t)?.[1] ?? 0) * 1024;
  return `anon ${mib(kb('Anonymous'))} file ${mib(kb('Rss') - kb('Anonymous'))}`;
};
const heap = async () => {
  const h = JSON.parse(await readFile(heapFile, 'utf8'));
  return `heapUsed ${mib(h.heapUsed)} heapTotal ${mib(h.heapTotal)} code ${mib(h.codeUsed)} external ${mib(h.external)} ab ${mib(h.arrayBuffers)}`;
};
try {
  const t0 = performance.now();
  await runBusyboxPods(runtime, agent, 'idle', n);
  let s = await procStats(agent.pid);
  console.log(
    `${kind} ${runtime.version}: running after ${((performance.now() - t0) / 1000).toFixed(1)} s: RSS ${mib(s.rssBytes)} HWM ${mib(s.peakRssBytes)} | ${await smaps()} | ${await heap()}`,
  );
  for (let i = 0; i < Number(settleArg) / 10; i++) {
    await sleep(10_000);
    s = await procStats(agent.pid);
    console.log(
      `settle +${(i + 1) * 10}s: RSS ${mib(s.rssBytes)} HWM ${mib(s.peakRssBytes)} | ${await smaps()} | ${await heap()}`,
    );
  }
  let peak = 0;
  const end = performance.now() + Number(windowArg) * 1000;
  let next = performance.now() + 10_000;
  while (performance.now() < end) {
    await sleep(100);
    s = await procStats(agent.pid);
    peak = Math.max(peak, s.rssBytes);
    if (performance.now() >= next) {
      next += 10_000;
      console.log(
        `window: RSS ${mib(s.rssBytes)} peak ${mib(peak)} HWM ${mib(s.peakRssBytes)} | ${await smaps()} | ${await heap()}`,
      );
    }
  }
  const { execFileSync } = await import('node:child_process');
  const sock = join(agent.manifests, '..', 'healthz.sock');
  const metrics = execFileSync('curl', ['-s', '--unix-socket', sock, 'http://localhost/metrics'], { encoding: 'utf8' });
  console.log(
    metrics
      .split('\n')
      .filter((l) =>
        /^(kubelet_runtime_operations_total|staticlet_loop_steps_total|kubelet_pleg_relist_duration_seconds_count)/.test(
          l,
        ),
      )
      .join('\n'),
  );
  console.log(`RESULT ${kind} window peak ${mib(peak)} MiB, VmHWM ${mib(s.peakRssBytes)} MiB`);
} finally {
  await agent.stop().catch(() => undefined);
  await runtime.wipe().catch(() => undefined);
  await runtime.stop();
}
