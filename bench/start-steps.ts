// Where a single start's milliseconds go, by containerd's own log of the CRI calls (row 1 of
// `npm run bench` taken apart). Row 1's spread is the runtime's (a pair's difference has a standard
// deviation of tens of ms), so an agent's few milliseconds are lost in it; the log's time of each
// call received and answered splits a start into the agent's steps (from the manifest to the first
// call, and between the calls), which the runtime's noise does not reach, and the runtime's (each
// call's own time), which the agent touches only by what else it makes the CPUs do meanwhile.
//
//   npm run bench:steps -- [--runtime containerd2] [--agents floor,staticlet,kubelet] [--blocks 8] [--per-block 5]
//                          [--baseline /tmp/old-build]   (another build of staticlet, taking turns)
//
// The agents take turns in blocks of starts (five by default), each block on a fresh runtime after three warm-up
// cycles, as in `npm run bench`. Writes bench/results/start-steps-<date>.md.
import { readFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { REPO } from '../test/support/harness.js';
import { sh } from './lib/env.js';
import { parseRuntimeKinds } from './lib/runtimes.js';
import { agentSession, sessionOptionsFrom, warmUp, WARM_UP_CYCLES, withBaseline } from './sessions.js';
import { pairedMedianDifference, summarize } from './lib/stats.js';
import { inTurn } from './lib/turns.js';
import { floorLifecycleRun, lifecycleRun, type AgentName, type LifecycleSample } from './scenarios.js';
import { callTimes, startSteps, STEP_LABELS, type StartSteps } from './lib/containerd-log.js';

const { values } = parseArgs({
  options: {
    runtime: { type: 'string', default: 'containerd2' },
    agents: { type: 'string', default: 'floor,staticlet,kubelet' },
    blocks: { type: 'string', default: '8' },
    'per-block': { type: 'string', default: '5' },
    out: { type: 'string', default: join(REPO, 'bench/results') },
    'staticlet-args': { type: 'string', default: '' },
    'node-args': { type: 'string', default: '' },
    // Another checkout, built, whose staticlet takes turns with this one as the agent "baseline".
    baseline: { type: 'string' },
  },
});
const [kind] = parseRuntimeKinds(values.runtime!);
if (kind === undefined || kind === 'crio')
  throw new Error('--runtime: containerd1 or containerd2 (its log names the calls)');
const STEP_AGENTS: readonly AgentName[] = ['floor', 'staticlet', 'baseline', 'kubelet'];
const options = sessionOptionsFrom(values);
const agents = withBaseline(values.agents!.split(',') as AgentName[], options);
for (const a of agents)
  if (!STEP_AGENTS.includes(a)) throw new Error(`--agents: "${a}" is not one of ${STEP_AGENTS.join(', ')}`);
const blocks = Number(values.blocks);
const PER_BLOCK = Number(values['per-block']);
const log = (msg: string) => process.stderr.write(`[steps ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);

await sh('scripts/tools.sh', 'crictl');
if (agents.includes('kubelet')) await sh('scripts/kube/build.sh', 'kubelet');
const steps = new Map<AgentName, (StartSteps | undefined)[]>(agents.map((a) => [a, []]));
let version = '';
for (let b = 0; b < blocks; b++) {
  for (const name of inTurn(agents, b)) {
    log(`${name}: starts ${b * PER_BLOCK + 1}–${(b + 1) * PER_BLOCK} of ${blocks * PER_BLOCK}`);
    await agentSession(kind, name, options, async (runtime, agent) => {
      version ||= runtime.version;
      await warmUp(runtime, agent, b, WARM_UP_CYCLES);
      const runs: { i: number; sample: LifecycleSample }[] = [];
      for (let k = 0; k < PER_BLOCK; k++) {
        const i = b * PER_BLOCK + k;
        runs.push({ i, sample: agent ? await lifecycleRun(runtime, agent, i) : await floorLifecycleRun(runtime, i) });
      }
      const calls = callTimes(await readFile(join(runtime.dir, 'containerd.log'), 'utf8'));
      const node = agent ? agent.nodeName : 'floor';
      for (const { i, sample } of runs) steps.get(name)![i] = startSteps(calls, `lc${i}-${node}`, sample);
    });
  }
}

// A log whose lines the reader no longer knows (a new containerd's wording) must not pass for a run.
for (const [name, found] of steps)
  if (!found.some((s) => s !== undefined)) throw new Error(`${name}: containerd's log held none of its starts' calls`);

const fmt = (x: number) => (Number.isFinite(x) ? (Math.round(x * 10) / 10).toString() : '–');
const column = (name: AgentName, key: keyof StartSteps) => steps.get(name)!.map((s) => s?.[key] ?? NaN);
const others = agents.filter((a) => a !== 'floor');
// With a baseline, this build's steps minus the baseline's in the same turn: the two builds compared.
const builds = agents.includes('staticlet') && agents.includes('baseline');
const lines = [
  `# Where a single start's milliseconds go, ${new Date().toISOString()}`,
  '',
  `${version} (\`--runtime ${kind}\`), ${blocks * PER_BLOCK} starts per agent in blocks of ${PER_BLOCK}, each block on a fresh runtime after ${WARM_UP_CYCLES} warm-up cycles. Times from containerd's log (each CRI call received and answered) and from the container's \`startedAt\`; median ms, and for the agents the paired difference from the floor (median of run k's step minus the floor's run k).`,
  '',
  `    npm run bench:steps -- --runtime ${kind} --agents ${agents.join(',')} --blocks ${blocks} --per-block ${PER_BLOCK}${options.baseline ? ` --baseline ${options.baseline}` : ''}`,
  '',
  `| step | ${agents.map((a) => `${a} (n)`).join(' | ')} | ${others.map((a) => `${a} − floor, paired`).join(' | ')} |${builds ? ' staticlet − baseline, paired |' : ''}`,
  `|---|${agents.map(() => '---|').join('')}${others.map(() => '---|').join('')}${builds ? '---|' : ''}`,
  ...STEP_LABELS.map(({ key, label }) => {
    const medians = agents.map((a) => {
      const s = summarize(column(a, key));
      return `${fmt(s.median)} (${s.n})`;
    });
    const paired = agents.includes('floor')
      ? others.map((a) => fmt(pairedMedianDifference(column(a, key), column('floor', key))))
      : others.map(() => '–');
    const between = builds
      ? ` ${fmt(pairedMedianDifference(column('staticlet', key), column('baseline', key)))} |`
      : '';
    return `| ${label} | ${medians.join(' | ')} | ${paired.join(' | ')} |${between}`;
  }),
  '',
];
const text = lines.join('\n');
process.stdout.write(text);
await mkdir(values.out!, { recursive: true });
const file = join(values.out!, `start-steps-${new Date().toISOString().replace(/[:.]/g, '-')}.md`);
await writeFile(file, text);
log(`wrote ${file}`);
