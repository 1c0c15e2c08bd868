// The pods' log directory's filesystem full: --pod-logs-dir is a small tmpfs, filled to the last
// block while chatty pods run. While it is full a container is killed (its restart opens a new log
// file), a pod is added and one removed: the agent and the pods must keep running and converge.
// Then the space is freed and the node must still be converged.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, rmdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { busyboxPod, sleep } from '../lib/env.js';
import { converge, expect, type CheckContext } from './check.js';
import { injection, withCleanup, type FaultResult, type RunParams } from './report.js';
import { Agent, Crictl, freshRuntime, log, teardown, type PodFile } from './world.js';
import type { Runtime } from '../lib/env.js';

const execFileP = promisify(execFile);
const SIZE = '4m';

function chattyPods(prefix: string, n: number): PodFile[] {
  return Array.from({ length: n }, (_, i) => {
    const name = `${prefix}${i}`;
    const script = 'while true; do echo "log line $(date) of a chatty pod"; sleep 0.2; done';
    return { name, file: `${name}.yaml`, text: busyboxPod(name, { script }) };
  });
}

/** Fills the filesystem to the last block; ENOSPC is what ends dd. */
async function fill(dir: string): Promise<void> {
  await execFileP('dd', ['if=/dev/zero', `of=${join(dir, 'filler')}`, 'bs=64k'], { timeout: 60_000 }).catch(
    () => undefined,
  );
}

async function freeBytes(dir: string): Promise<number> {
  const { stdout } = await execFileP('df', ['-B1', '--output=avail', dir]);
  return Number(stdout.trim().split('\n').pop());
}

export async function logDiskFaults(p: RunParams): Promise<FaultResult[]> {
  if (!p.wanted('log-disk-full')) return [];
  const result: FaultResult = {
    fault: 'log-disk-full',
    family: 'log-disk',
    what: `--pod-logs-dir on a full ${SIZE} tmpfs: a container killed, a pod added and one removed`,
    injections: [],
  };
  const mnt = await mkdtemp(join(tmpdir(), 'staticlet-faults-logs-'));
  let runtime: Runtime | undefined;
  let agent: Agent | undefined;
  try {
    await execFileP('mount', ['-t', 'tmpfs', '-o', `size=${SIZE},mode=0755`, 'tmpfs', mnt]);
    runtime = await freshRuntime();
    agent = await Agent.create(runtime, { nodeName: 'faults-logs', logsDir: mnt });
    await agent.start();
    const ctx: CheckContext = { crictl: await Crictl.for(runtime), agent };
    let pods = chattyPods('ld', p.pods);
    await agent.write(pods);
    const setup = await converge(ctx, expect(agent, pods), p.timeoutMs);
    if (!setup.converged) throw new Error(`${p.pods} chatty pods did not start: ${setup.problems.join('; ')}`);
    for (let rep = 0; rep < p.reps; rep++) {
      await fill(mnt);
      await sleep(1_000);
      const free = await freeBytes(mnt);
      // While full: kill one pod's container, add a pod, remove another.
      const victim = agent.full(pods[0]!.name);
      const container = (await ctx.crictl.containers()).find(
        (c) => c.state === 'CONTAINER_RUNNING' && c.labels?.['io.kubernetes.pod.name'] === victim,
      );
      if (container) await ctx.crictl.run('stop', '--timeout', '0', container.id);
      const added = chattyPods(`ld-new${rep}x`, 1);
      const removed = pods[pods.length - 1]!;
      await agent.remove([removed.file]);
      await agent.write(added);
      pods = [...pods.slice(0, -1), ...added];
      const c = await converge(ctx, expect(agent, pods), p.timeoutMs);
      const notes = [`${free} bytes free after the fill; killed ${container ? victim : 'nothing (not found)'}`];
      let i = injection(rep, c, [], notes);
      if (!agent.alive) i.violations.push(`the agent exited: ${agent.stderr.slice(-500)}`);
      await rm(join(mnt, 'filler'), { force: true });
      // Space again: still converged.
      i = withCleanup(i, await converge(ctx, expect(agent, pods), p.timeoutMs));
      result.injections.push(i);
      log(
        `log-disk-full #${rep + 1}: ${i.converged ? `converged in ${i.ms} ms` : `NOT converged: ${i.violations.slice(0, 3).join('; ')}`}`,
      );
    }
    await agent.remove(pods.map((x) => x.file));
    const cleanup = await converge(ctx, new Map(), p.timeoutMs);
    const last = result.injections.pop();
    if (last) result.injections.push(withCleanup(last, cleanup));
  } finally {
    await teardown(agent, runtime);
    await execFileP('umount', [mnt]).catch(() => execFileP('umount', ['-l', mnt]).catch(() => undefined));
    await rmdir(mnt).catch(() => undefined);
  }
  return [result];
}
