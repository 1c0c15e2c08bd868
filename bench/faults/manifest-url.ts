// Faults of the manifest URL: the loopback server answers 500s, times out, hangs mid-body, drips
// a byte a second, sends more than 10 MiB, garbage, a redirect loop, or a certificate that does
// not verify. While it does, the last good list must keep running (a failed fetch never removes a
// pod, never restarts one); once it serves again, a changed list must be applied.
import { sleep } from '../lib/env.js';
import { converge, expect, type CheckContext } from './check.js';
import { injection, withCleanup, type FaultResult, type RunParams } from './report.js';
import { ManifestServer, type Mode } from './url-server.js';
import { Agent, Crictl, freshRuntime, log, podSet, teardown, type PodFile } from './world.js';
import type { Runtime } from '../lib/env.js';

export const URL_FAULTS: { fault: string; mode: Mode; what: string }[] = [
  { fault: 'url-500', mode: 'status-500', what: 'the manifest URL answers 500' },
  { fault: 'url-timeout', mode: 'timeout', what: 'the manifest URL never answers' },
  { fault: 'url-hang-body', mode: 'hang-body', what: 'the manifest URL hangs mid-body' },
  { fault: 'url-drip', mode: 'drip', what: 'the manifest URL drips a byte a second' },
  { fault: 'url-oversize', mode: 'oversize', what: 'the manifest URL sends 11 MiB' },
  { fault: 'url-garbage', mode: 'garbage', what: 'the manifest URL sends random bytes (200 OK)' },
  { fault: 'url-redirect-loop', mode: 'redirect-loop', what: 'the manifest URL redirects to itself' },
  { fault: 'url-bad-tls', mode: 'bad-tls', what: 'the manifest URL presents a certificate that does not verify' },
];

/** Failed fetches to see in each injection before it is lifted. */
const FETCHES = 2;
/** The longest an injection may wait for them (a timeout takes the agent's 10 s each). */
const FAULT_WINDOW_MS = 45_000;

export async function urlFaults(p: RunParams): Promise<FaultResult[]> {
  const out: FaultResult[] = [];
  let runtime: Runtime | undefined;
  let agent: Agent | undefined;
  let server: ManifestServer | undefined;
  try {
    runtime = await freshRuntime();
    server = await ManifestServer.start();
    agent = await Agent.create(runtime, {
      nodeName: 'faults-url',
      extra: [`--manifest-url=${server.url}`, '--http-check-frequency=1s'],
      env: { NODE_EXTRA_CA_CERTS: server.caFile },
    });
    let pods: PodFile[] = podSet('u', p.pods);
    server.serve(pods.map((x) => x.text));
    await agent.start();
    const ctx: CheckContext = { crictl: await Crictl.for(runtime), agent };
    const setup = await converge(ctx, expect(agent, pods), p.timeoutMs);
    if (!setup.converged) throw new Error(`the URL's ${p.pods} pods did not start: ${setup.problems.join('; ')}`);
    let generation = 0;
    for (const f of URL_FAULTS.filter((x) => p.wanted(x.fault))) {
      const result: FaultResult = { fault: f.fault, family: 'url', what: f.what, injections: [] };
      for (let rep = 0; rep < p.reps; rep++) {
        const during = await inject(ctx, server, f.mode, pods);
        // Lifted: a changed list (one pod out, one new), which the agent must apply.
        pods = [...pods.slice(1), ...podSet(`u-g${++generation}x`, 1)];
        server.serve(pods.map((x) => x.text));
        server.setMode('good');
        const c = await converge(ctx, expect(agent, pods), p.timeoutMs);
        const i = injection(rep, c, during.violations, during.notes);
        if (!agent.alive) i.violations.push(`the agent exited: ${agent.stderr.slice(-500)}`);
        result.injections.push(i);
        log(
          `${f.fault} #${rep + 1}: ${during.notes.join('; ')}; ${i.converged ? `converged in ${i.ms} ms` : `NOT converged: ${i.violations.slice(0, 3).join('; ')}`}`,
        );
      }
      out.push(result);
    }
    // The list emptied: every pod removed, nothing left behind.
    server.serve([]);
    const cleanup = await converge(ctx, new Map(), p.timeoutMs);
    const last = out.at(-1)?.injections.pop();
    if (last) out.at(-1)!.injections.push(withCleanup(last, cleanup));
  } finally {
    await server?.close();
    await teardown(agent, runtime);
  }
  return out;
}

/** Serves `mode` until the agent has fetched FETCHES times; checks every second that no pod went. */
async function inject(
  ctx: CheckContext,
  server: ManifestServer,
  mode: Mode,
  pods: readonly PodFile[],
): Promise<{ violations: string[]; notes: string[] }> {
  const violations = new Set<string>();
  const names = new Set(pods.map((x) => ctx.agent.full(x.name)));
  const running = async () =>
    new Map(
      (await ctx.crictl.containers())
        .filter((c) => c.state === 'CONTAINER_RUNNING')
        .map((c) => [c.labels?.['io.kubernetes.pod.name'] ?? '', c.id] as const)
        .filter(([pod]) => names.has(pod)),
    );
  const before = await running();
  const seen0 = server.seen.get(mode) ?? 0;
  const t0 = Date.now();
  server.setMode(mode);
  const watching = (async () => {
    while ((server.seen.get(mode) ?? 0) - seen0 < FETCHES && Date.now() - t0 < FAULT_WINDOW_MS) {
      await sleep(1_000);
      const now = await running().catch(() => undefined);
      if (!now) continue;
      for (const [pod, id] of before) {
        if (!now.has(pod)) violations.add(`a failed fetch (${mode}) removed or stopped pod ${pod}`);
        else if (now.get(pod) !== id) violations.add(`a failed fetch (${mode}) restarted pod ${pod}'s container`);
      }
    }
  })();
  await watching;
  const fetches = (server.seen.get(mode) ?? 0) - seen0;
  if (fetches < FETCHES) violations.add(`only ${fetches} fetches in ${FAULT_WINDOW_MS / 1000} s of ${mode}`);
  return { violations: [...violations], notes: [`${fetches} fetches answered ${mode} over ${Date.now() - t0} ms`] };
}
