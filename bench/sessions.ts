// One agent's session on a fresh private runtime, and its warm-up: how every scenario that takes
// turns (bench/run.ts, bench/start-steps.ts) gives an agent its turn.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { floorLifecycleRun, lifecycleRun, type AgentName } from './scenarios.js';
import { launcherCommand, Runtime, startKubelet, startStaticlet, type AgentUnderTest } from './lib/env.js';
import type { RuntimeKind } from './lib/runtimes.js';

export interface SessionOptions {
  /** staticlet's own flags, after the benchmark's. */
  readonly staticletArgs?: readonly string[];
  /** Node's flags for staticlet, after its launcher's. */
  readonly nodeArgs?: readonly string[];
  /** The checkout, built, whose staticlet runs as the agent `baseline`. */
  readonly baseline?: string;
}

/** The options from a command's `--staticlet-args` and `--node-args` (each a space-separated list)
 * and `--baseline` (a path). */
export function sessionOptionsFrom(flags: {
  readonly 'staticlet-args'?: string;
  readonly 'node-args'?: string;
  readonly baseline?: string;
}): SessionOptions {
  const words = (text = '') => text.split(' ').filter(Boolean);
  const baseline = flags.baseline ? resolve(flags.baseline) : undefined;
  const main = baseline === undefined ? undefined : launcherCommand(baseline).main;
  if (main && !existsSync(main))
    throw new Error(`--baseline ${baseline}: ${main} is missing (run npm run build there)`);
  return { staticletArgs: words(flags['staticlet-args']), nodeArgs: words(flags['node-args']), baseline };
}

/** The agents to run: with `--baseline`, `baseline` too (after staticlet) when the list lacks it. */
export function withBaseline(agents: AgentName[], options: SessionOptions): AgentName[] {
  if (!options.baseline || agents.includes('baseline')) return agents;
  const at = agents.indexOf('staticlet') + 1;
  return [...agents.slice(0, at), 'baseline', ...agents.slice(at)];
}

/** Starts a fresh runtime of `kind` and the agent `name` on it (none for the floor), runs `fn`,
 * then stops both and wipes the runtime's sandboxes whatever happened. */
export async function agentSession<T>(
  kind: RuntimeKind,
  name: AgentName,
  options: SessionOptions,
  fn: (runtime: Runtime, agent: AgentUnderTest | undefined) => Promise<T>,
): Promise<T> {
  const runtime = await new Runtime(kind).start();
  let agent: AgentUnderTest | undefined;
  try {
    if (name === 'staticlet' || name === 'baseline') {
      if (name === 'baseline' && !options.baseline) throw new Error('the agent baseline needs --baseline <checkout>');
      agent = await startStaticlet(
        runtime,
        'bench-node',
        [...(options.staticletArgs ?? [])],
        [...(options.nodeArgs ?? [])],
        name === 'baseline' ? options.baseline : undefined,
      );
    }
    if (name === 'kubelet') agent = await startKubelet(runtime, 'bench-node');
    return await fn(runtime, agent);
  } finally {
    await agent?.stop().catch(() => undefined);
    await runtime.wipe().catch(() => undefined);
    await runtime.stop();
  }
}

/**
 * Unrecorded cycles of start, restart and removal first, for every agent alike: a node agent runs
 * for days, so what counts is how it reacts once warm, not its first pods. Before the lifecycle
 * runs, one cycle is not enough for staticlet: V8 compiles a function for speed only after it has
 * run a few times, and the first recorded start after a single warm-up cycle still read and
 * parsed its manifest three to eight times slower than the ones after it (timing marks,
 * 2026-11-29). A bulk round warms itself up within its first pods.
 */
export async function warmUp(
  runtime: Runtime,
  agent: AgentUnderTest | undefined,
  session: number,
  cycles: number,
): Promise<void> {
  for (let k = 0; k < cycles; k++) {
    const i = WARM_UP_BASE + session * WARM_UP_CYCLES + k;
    await (agent ? lifecycleRun(runtime, agent, i) : floorLifecycleRun(runtime, i));
  }
}
export const WARM_UP_CYCLES = 3;
/** Warm-up run numbers: past any real run, so never among the runs that wait for deletion. */
const WARM_UP_BASE = 1_000;
