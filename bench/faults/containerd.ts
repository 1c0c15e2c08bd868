// Faults of the runtime: containerd SIGKILLed (its shims and containers live on) and started
// again on the same directory, in the middle of a burst of pods and while pods run steadily.
import { converge, expect, type CheckContext } from './check.js';
import { injection, withCleanup, type FaultResult, type Injection, type RunParams } from './report.js';
import {
  Agent,
  Crictl,
  freshRuntime,
  killContainerd,
  log,
  podSet,
  randomInt,
  restartContainerd,
  teardown,
} from './world.js';
import { sleep } from '../lib/env.js';
import type { Runtime } from '../lib/env.js';

export async function containerdFaults(p: RunParams): Promise<FaultResult[]> {
  const out: FaultResult[] = [];
  if (p.wanted('containerd-kill-burst')) out.push(await killInBurst(p));
  if (p.wanted('containerd-kill-steady')) out.push(await killWhileSteady(p));
  return out;
}

async function world(): Promise<{ runtime: Runtime; agent: Agent; ctx: CheckContext }> {
  const runtime = await freshRuntime();
  const agent = await Agent.create(runtime, { nodeName: 'faults-ctd' });
  await agent.start();
  return { runtime, agent, ctx: { crictl: await Crictl.for(runtime), agent } };
}

/** Kill and restart containerd; the ms it was away. */
async function bounce(runtime: Runtime): Promise<number> {
  const t0 = Date.now();
  await killContainerd(runtime);
  await restartContainerd(runtime);
  return Date.now() - t0;
}

async function killInBurst(p: RunParams): Promise<FaultResult> {
  const result: FaultResult = {
    fault: 'containerd-kill-burst',
    family: 'containerd',
    what: `containerd SIGKILLed and restarted during a ${p.pods}-pod burst`,
    injections: [],
  };
  let w: Awaited<ReturnType<typeof world>> | undefined;
  try {
    w = await world();
    for (let rep = 0; rep < p.reps; rep++) {
      const pods = podSet(`cb${rep}x`, p.pods);
      await w.agent.write(pods);
      const delay = randomInt(200, Math.max(600, p.pods * 80));
      await sleep(delay);
      const away = await bounce(w.runtime);
      log(`containerd-kill-burst #${rep + 1}: killed ${delay} ms into the burst, back after ${away} ms`);
      const c = await converge(w.ctx, expect(w.agent, pods), p.timeoutMs);
      let i: Injection = injection(rep, c, [], [`killed ${delay} ms into the burst; away ${away} ms`]);
      await w.agent.remove(pods.map((x) => x.file));
      i = withCleanup(i, await converge(w.ctx, new Map(), p.timeoutMs));
      if (!w.agent.alive) i.violations.push(`the agent exited: ${w.agent.stderr.slice(-500)}`);
      result.injections.push(i);
      log(`  → ${i.converged ? `converged in ${i.ms} ms` : `NOT converged: ${i.violations.slice(0, 3).join('; ')}`}`);
    }
  } finally {
    await teardown(w?.agent, w?.runtime);
  }
  return result;
}

async function killWhileSteady(p: RunParams): Promise<FaultResult> {
  const result: FaultResult = {
    fault: 'containerd-kill-steady',
    family: 'containerd',
    what: `containerd SIGKILLed and restarted while ${p.pods} pods run`,
    injections: [],
  };
  let w: Awaited<ReturnType<typeof world>> | undefined;
  try {
    w = await world();
    const pods = podSet('cs', p.pods);
    const expected = expect(w.agent, pods);
    await w.agent.write(pods);
    const setup = await converge(w.ctx, expected, p.timeoutMs);
    if (!setup.converged) throw new Error(`${p.pods} pods did not start before the fault: ${setup.problems[0]}`);
    for (let rep = 0; rep < p.reps; rep++) {
      await sleep(randomInt(500, 2_000));
      const before = new Set(
        (await w.ctx.crictl.containers()).filter((c) => c.state === 'CONTAINER_RUNNING').map((c) => c.id),
      );
      const away = await bounce(w.runtime);
      const c = await converge(w.ctx, expected, p.timeoutMs);
      const after = (await w.ctx.crictl.containers()).filter((x) => x.state === 'CONTAINER_RUNNING');
      const replaced = after.filter((x) => !before.has(x.id)).length;
      const notes = [`away ${away} ms; ${replaced} of ${after.length} running containers are new (restarted)`];
      const i = injection(rep, c, [], notes);
      if (!w.agent.alive) i.violations.push(`the agent exited: ${w.agent.stderr.slice(-500)}`);
      result.injections.push(i);
      log(
        `containerd-kill-steady #${rep + 1}: ${i.converged ? `converged in ${i.ms} ms` : 'NOT converged'}; ${notes[0]}`,
      );
    }
    await w.agent.remove(pods.map((x) => x.file));
    const cleanup = await converge(w.ctx, new Map(), p.timeoutMs);
    const last = result.injections.pop();
    if (last) result.injections.push(withCleanup(last, cleanup));
  } finally {
    await teardown(w?.agent, w?.runtime);
  }
  return result;
}
