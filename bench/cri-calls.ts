// `npm run bench:calls`: what one CRI call costs the caller, by unary transport (our HTTP/2
// channel, grpc-js), on a private containerd holding 100 running containers. CPU is this
// process's own (process.cpuUsage), so it is the client's cost alone, the part an agent takes
// from the cores the runtime needs; latency is per call, wall clock.
//   npm run bench:calls                  100 containers, 2000 calls per measurement
//   npm run bench:calls -- --quick       a smoke run
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { createCriRuntime, type UnaryTransport } from '../src/runtime/cri/client.js';
import type { CriRuntime } from '../src/cri-api/runtime-service.js';
import { REPO } from '../test/support/harness.js';
import { Runtime } from './lib/env.js';
import { summarize } from './lib/stats.js';
import { floorPod, floorStart } from './scenarios.js';

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    out: { type: 'string', default: join(REPO, 'bench/results') },
  },
});
const quick = values.quick!;
const PODS = quick ? 5 : 100;
const CALLS = quick ? 100 : 2000;
/** Each measurement is repeated, transports taking turns, so drift falls on both alike. */
const ROUNDS = quick ? 1 : 5;
const TRANSPORTS: UnaryTransport[] = ['http2', 'grpc-js'];

interface Measurement {
  readonly what: string;
  /** Calls it makes (a parallel batch counts each call). */
  readonly calls: number;
  run(cri: CriRuntime): Promise<number[]>;
}

/** Latency of each call, ms. */
async function timed(call: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await call();
  return performance.now() - t;
}

/** Latencies of `n` calls made one after another. */
async function oneAfterAnother(n: number, call: (i: number) => Promise<unknown>): Promise<number[]> {
  const lat: number[] = [];
  for (let i = 0; i < n; i++) lat.push(await timed(() => call(i)));
  return lat;
}

function measurements(containerIds: readonly string[]): Measurement[] {
  const batches = Math.max(1, Math.floor(CALLS / containerIds.length));
  const listings = Math.max(20, Math.floor(CALLS / 20));
  return [
    {
      what: 'Version, one after another',
      calls: CALLS,
      run: (cri) => oneAfterAnother(CALLS, () => cri.version()),
    },
    {
      what: 'ContainerStatus, one after another',
      calls: CALLS,
      run: (cri) => oneAfterAnother(CALLS, (i) => cri.containerStatus(containerIds[i % containerIds.length]!)),
    },
    {
      what: `ContainerStatus, ${containerIds.length} at once`,
      calls: batches * containerIds.length,
      run: async (cri) => {
        const lat: number[] = [];
        for (let b = 0; b < batches; b++)
          lat.push(...(await Promise.all(containerIds.map((id) => timed(() => cri.containerStatus(id))))));
        return lat;
      },
    },
    {
      what: `ListContainers (${containerIds.length} containers)`,
      calls: listings,
      run: (cri) => oneAfterAnother(listings, () => cri.listContainers()),
    },
  ];
}

async function main(): Promise<void> {
  const runtime = await new Runtime().start();
  try {
    process.stderr.write(`starting ${PODS} pods\n`);
    const started = await Promise.all(
      Array.from({ length: PODS }, (_, i) => floorStart(runtime, floorPod(`calls${i}`))),
    );
    const ids = started.map((s) => s.containerId);
    const clients = new Map(TRANSPORTS.map((t) => [t, createCriRuntime(runtime.endpoint, { unaryTransport: t })]));
    // Warm-up: connections made, V8 has compiled both paths.
    for (const cri of clients.values()) for (const m of measurements(ids)) await m.run(cri);
    const cpuMs = new Map<string, number[]>();
    const latencies = new Map<string, number[]>();
    for (let round = 0; round < ROUNDS; round++) {
      for (const m of measurements(ids)) {
        const order = round % 2 === 0 ? TRANSPORTS : [...TRANSPORTS].reverse();
        for (const t of order) {
          const before = process.cpuUsage();
          const lat = await m.run(clients.get(t)!);
          const used = process.cpuUsage(before);
          const key = `${m.what}|${t}`;
          cpuMs.set(key, [...(cpuMs.get(key) ?? []), (used.user + used.system) / 1000 / m.calls]);
          latencies.set(key, [...(latencies.get(key) ?? []), ...lat]);
        }
      }
    }
    for (const cri of clients.values()) cri.close();

    const date = new Date().toISOString();
    const lines = [
      `# CRI call cost by unary transport, ${date}`,
      '',
      `Containerd with ${PODS} running containers; ${ROUNDS} rounds, the transports taking turns. CPU is the calling process's (user + system) per call, the median of the rounds; latency is per call over all rounds.`,
      '',
      '| calls | transport | CPU per call, ms (median of rounds; min–max) | latency median ms | latency p90 ms | CPU ÷ grpc-js |',
      '|---|---|---|---|---|---|',
    ];
    for (const m of measurements(ids)) {
      const base = summarize(cpuMs.get(`${m.what}|grpc-js`)!).median;
      for (const t of TRANSPORTS) {
        const cpu = summarize(cpuMs.get(`${m.what}|${t}`)!);
        const lat = summarize(latencies.get(`${m.what}|${t}`)!);
        lines.push(
          `| ${m.what} | ${t} | ${cpu.median.toFixed(3)} (${cpu.min.toFixed(3)}–${cpu.max.toFixed(3)}) | ${lat.median.toFixed(2)} | ${lat.p90.toFixed(2)} | ${(cpu.median / base).toFixed(2)} |`,
        );
      }
    }
    const report = lines.join('\n') + '\n';
    process.stdout.write(report);
    if (!quick) {
      await mkdir(values.out!, { recursive: true });
      const file = join(values.out!, `cri-calls-${date.replace(/[:.]/g, '-')}.md`);
      await writeFile(file, report);
      process.stderr.write(`written: ${file}\n`);
    }
  } finally {
    await runtime.wipe().catch(() => undefined);
    await runtime.stop();
  }
}

await main();
