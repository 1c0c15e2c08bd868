// Faults of the agent itself: SIGKILLed at a random point of a burst of new pods and of a removal
// of every pod, then started again on the same directories (it must adopt what runs and finish
// what it had begun, never run a pod twice or leave one behind).
import { sleep } from '../lib/env.js';
import { converge, expect, type CheckContext } from './check.js';
import { injection, withCleanup, type FaultResult, type RunParams } from './report.js';
import { Agent, Crictl, freshRuntime, log, podSet, randomInt, teardown } from './world.js';
import type { Runtime } from '../lib/env.js';

export async function agentFaults(p: RunParams): Promise<FaultResult[]> {
  const out: FaultResult[] = [];
  let runtime: Runtime | undefined;
  let agent: Agent | undefined;
  try {
    runtime = await freshRuntime();
    agent = await Agent.create(runtime, { nodeName: 'faults-agent' });
    await agent.start();
    const ctx: CheckContext = { crictl: await Crictl.for(runtime), agent };
    if (p.wanted('agent-kill-burst')) out.push(await killInBurst(p, ctx));
    if (p.wanted('agent-kill-removal')) out.push(await killInRemoval(p, ctx));
  } finally {
    await teardown(agent, runtime);
  }
  return out;
}

/** SIGKILL now, start again at once; the ms that took. */
async function bounce(agent: Agent): Promise<number> {
  const t0 = Date.now();
  await agent.kill();
  await agent.start(0);
  return Date.now() - t0;
}

async function killInBurst(p: RunParams, ctx: CheckContext): Promise<FaultResult> {
  const result: FaultResult = {
    fault: 'agent-kill-burst',
    family: 'agent',
    what: `the agent SIGKILLed at a random point of a ${p.pods}-pod burst, then restarted`,
    injections: [],
  };
  for (let rep = 0; rep < p.reps; rep++) {
    const pods = podSet(`ab${rep}x`, p.pods);
    await ctx.agent.write(pods);
    const delay = randomInt(0, Math.max(500, p.pods * 100));
    await sleep(delay);
    const running = (await ctx.crictl.containers()).filter((c) => c.state === 'CONTAINER_RUNNING').length;
    await bounce(ctx.agent);
    log(`agent-kill-burst #${rep + 1}: killed ${delay} ms into the burst (${running} of ${p.pods} running)`);
    const c = await converge(ctx, expect(ctx.agent, pods), p.timeoutMs);
    let i = injection(rep, c, [], [`killed ${delay} ms into the burst, ${running} of ${p.pods} running`]);
    await ctx.agent.remove(pods.map((x) => x.file));
    i = withCleanup(i, await converge(ctx, new Map(), p.timeoutMs));
    result.injections.push(i);
    log(`  → ${i.converged ? `converged in ${i.ms} ms` : `NOT converged: ${i.violations.slice(0, 3).join('; ')}`}`);
  }
  return result;
}

async function killInRemoval(p: RunParams, ctx: CheckContext): Promise<FaultResult> {
  const result: FaultResult = {
    fault: 'agent-kill-removal',
    family: 'agent',
    what: `the agent SIGKILLed at a random point of removing ${p.pods} pods, then restarted`,
    injections: [],
  };
  for (let rep = 0; rep < p.reps; rep++) {
    const pods = podSet(`ar${rep}x`, p.pods);
    await ctx.agent.write(pods);
    const setup = await converge(ctx, expect(ctx.agent, pods), p.timeoutMs);
    await ctx.agent.remove(pods.map((x) => x.file));
    const delay = randomInt(0, Math.max(300, p.pods * 50));
    await sleep(delay);
    const left = (await ctx.crictl.pods()).filter((s) => s.state === 'SANDBOX_READY').length;
    await bounce(ctx.agent);
    log(`agent-kill-removal #${rep + 1}: killed ${delay} ms into the removal (${left} of ${p.pods} sandboxes ready)`);
    const c = await converge(ctx, new Map(), p.timeoutMs);
    const extra = setup.converged
      ? []
      : [`the ${p.pods} pods had not converged before the removal:`, ...setup.problems];
    const i = injection(rep, c, extra, [`killed ${delay} ms into the removal, ${left} sandboxes still ready`]);
    result.injections.push(i);
    log(`  → ${i.converged ? `converged in ${i.ms} ms` : `NOT converged: ${i.violations.slice(0, 3).join('; ')}`}`);
  }
  return result;
}
