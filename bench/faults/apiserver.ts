// Faults of the API server: kube-apiserver SIGKILLed and started again while mirrors sync, and
// short outages (1–3 s) repeated, cut by a loopback TCP proxy between the agent and the API server
// (TLS passes through it untouched). Pods on the node change while the API server is away; the
// mirrors must catch up, and no pod may be touched by the outage.
import { readFile, writeFile } from 'node:fs/promises';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { ControlPlane } from '../../test/support/control-plane.js';
import { sleep, until } from '../lib/env.js';
import { converge, expect, type CheckContext } from './check.js';
import { injection, withCleanup, type FaultResult, type RunParams } from './report.js';
import { Agent, Crictl, freshRuntime, isAlive, log, podSet, randomInt, teardown, type PodFile } from './world.js';
import type { Runtime } from '../lib/env.js';

export async function apiServerFaults(p: RunParams): Promise<FaultResult[]> {
  const out: FaultResult[] = [];
  let runtime: Runtime | undefined;
  let agent: Agent | undefined;
  let proxy: Proxy | undefined;
  const cp = new ControlPlane();
  try {
    runtime = await freshRuntime();
    await cp.start();
    const nodeName = 'faults-api';
    const env = await readFile(join(cp.dir, 'control-plane.env'), 'utf8');
    const apiPort = Number(/^APISERVER_PORT=(\d+)$/m.exec(env)?.[1]);
    proxy = await Proxy.start(apiPort);
    const kubeconfig = await cp.nodeKubeconfig(nodeName);
    const proxied = join(cp.dir, `node-${nodeName}-proxied.kubeconfig`);
    const text = await readFile(kubeconfig, 'utf8');
    await writeFile(proxied, text.replace(`https://127.0.0.1:${apiPort}`, `https://127.0.0.1:${proxy.port}`));
    agent = await Agent.create(runtime, {
      nodeName,
      extra: [`--kubeconfig=${proxied}`, '--node-ip=127.0.0.1'],
    });
    await agent.start();
    const ctx: CheckContext = { crictl: await Crictl.for(runtime), agent, kubectl: (...a) => cp.kubectl(...a) };
    if (p.wanted('apiserver-kill-sync')) out.push(await killWhileSyncing(p, ctx, cp));
    if (p.wanted('apiserver-outages')) out.push(await shortOutages(p, ctx, proxy));
  } finally {
    proxy?.close();
    await teardown(agent, runtime);
    await cp.stop();
  }
  return out;
}

async function killApiserver(cp: ControlPlane): Promise<void> {
  const pid = Number((await readFile(join(cp.dir, 'kube-apiserver.pid'), 'utf8')).trim());
  process.kill(pid, 'SIGKILL');
  await until('kube-apiserver gone', async () => !isAlive(pid), 10_000, 20);
}

async function killWhileSyncing(p: RunParams, ctx: CheckContext, cp: ControlPlane): Promise<FaultResult> {
  const result: FaultResult = {
    fault: 'apiserver-kill-sync',
    family: 'apiserver',
    what: `kube-apiserver SIGKILLed while ${p.pods} new pods' mirrors sync, restarted`,
    injections: [],
  };
  for (let rep = 0; rep < p.reps; rep++) {
    const pods = podSet(`mk${rep}x`, p.pods);
    await ctx.agent.write(pods);
    const delay = randomInt(200, Math.max(600, p.pods * 60));
    await sleep(delay);
    const t0 = Date.now();
    await killApiserver(cp);
    await sleep(randomInt(500, 2_000));
    await cp.startApiserver();
    const away = Date.now() - t0;
    log(`apiserver-kill-sync #${rep + 1}: killed ${delay} ms after the pods were written, back after ${away} ms`);
    const c = await converge(ctx, expect(ctx.agent, pods), p.timeoutMs);
    let i = injection(rep, c, [], [`killed ${delay} ms into the burst; away ${away} ms`]);
    await ctx.agent.remove(pods.map((x) => x.file));
    i = withCleanup(i, await converge(ctx, new Map(), p.timeoutMs));
    result.injections.push(i);
    log(`  → ${i.converged ? `converged in ${i.ms} ms` : `NOT converged: ${i.violations.slice(0, 3).join('; ')}`}`);
  }
  return result;
}

/** Per repetition: three outages of 1–3 s, each with one pod removed and one added meanwhile. */
async function shortOutages(p: RunParams, ctx: CheckContext, proxy: Proxy): Promise<FaultResult> {
  const result: FaultResult = {
    fault: 'apiserver-outages',
    family: 'apiserver',
    what: `3 outages of 1–3 s in a row (API server unreachable), ${p.pods} pods, one removed and one added in each`,
    injections: [],
  };
  let pods: PodFile[] = podSet('mo', p.pods);
  await ctx.agent.write(pods);
  const setup = await converge(ctx, expect(ctx.agent, pods), p.timeoutMs);
  let added = 0;
  for (let rep = 0; rep < p.reps; rep++) {
    const cuts: number[] = [];
    for (let k = 0; k < 3; k++) {
      const ms = randomInt(1_000, 3_000);
      const cut = proxy.cut(ms);
      const [gone, ...rest] = pods;
      const fresh = podSet(`mo-new${added++}x`, 1);
      await ctx.agent.remove([gone!.file]);
      await ctx.agent.write(fresh);
      pods = [...rest, ...fresh];
      await cut;
      cuts.push(ms);
      await sleep(randomInt(300, 1_000));
    }
    log(`apiserver-outages #${rep + 1}: outages of ${cuts.join(', ')} ms`);
    const c = await converge(ctx, expect(ctx.agent, pods), p.timeoutMs);
    const extra =
      rep === 0 && !setup.converged ? ['the pods had not converged before the outages:', ...setup.problems] : [];
    result.injections.push(injection(rep, c, extra, [`outages of ${cuts.join(', ')} ms`]));
    log(`  → ${c.converged ? `converged in ${c.ms} ms` : `NOT converged: ${c.problems.slice(0, 3).join('; ')}`}`);
  }
  await ctx.agent.remove(pods.map((x) => x.file));
  const cleanup = await converge(ctx, new Map(), p.timeoutMs);
  const last = result.injections.pop();
  if (last) result.injections.push(withCleanup(last, cleanup));
  return result;
}

/** A loopback TCP proxy to the API server that can be cut: no listener and every connection reset. */
class Proxy {
  private server: Server;
  private readonly sockets = new Set<Socket>();

  private constructor(
    readonly port: number,
    private readonly target: number,
  ) {
    this.server = this.listener();
  }

  static async start(target: number): Promise<Proxy> {
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as { port: number }).port;
    await new Promise((r) => probe.close(r));
    const proxy = new Proxy(port, target);
    await proxy.listen();
    return proxy;
  }

  private listener(): Server {
    return createServer((client) => {
      const upstream = connect(this.target, '127.0.0.1');
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => undefined);
      }
      client.pipe(upstream).pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
  }

  private listen(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.port, '127.0.0.1', () => resolve());
    });
  }

  /** The API server is unreachable for `ms`; resolves when it is back. */
  async cut(ms: number): Promise<void> {
    await new Promise((r) => {
      this.server.close(r);
      for (const s of this.sockets) s.destroy();
    });
    await sleep(ms);
    this.server = this.listener();
    await this.listen();
  }

  close(): void {
    this.server.close();
    for (const s of this.sockets) s.destroy();
  }
}
