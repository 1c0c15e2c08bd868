// Scenario 7: the API server's load per node. Several staticlets and several real kubelets share
// one real kube-apiserver (Node authorization, NodeRestriction), each as its own node with its own
// private runtime, each mirroring the same static pods; once all are settled, an idle window in
// which every request is counted by the node that made it.
//
// Who made a request: apiserver_request_total has labels verb, resource, subresource, scope,
// component, code, dry_run, group and version, and no user or user agent, so it cannot tell the
// agents apart. The API server's audit log can: every request with its user
// (system:node:<node>), user agent, verb and object, at level Metadata. The counts come from it;
// the sum of apiserver_request_total over the same window is set beside the audit log's count of
// all users' requests, as a check that the audit log saw them all. The audit flags go to the API
// server through ControlPlane's extra flags; the policy and the log live in a directory of ours.
//
// Private runtimes, not one shared: a kubelet kills the pods on its runtime that it does not know
// (its pod cleanup), so two kubelets on one runtime would stop each other's pods.
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ControlPlane, type KubePod } from '../test/support/control-plane.js';
import {
  busyboxPod,
  sleep,
  startKubelet,
  startStaticlet,
  until,
  writeManifests,
  type AgentUnderTest,
} from './lib/env.js';
import { Runtime } from './lib/env.js';
import type { RuntimeKind } from './lib/runtimes.js';

/** Metadata for every request, each once when its response is complete (a watch also when its
 * response starts, so that the watches still open at the end are seen); the bodies of status
 * writes too, to tell what an agent changed (kept with STATICLET_BENCH_KEEP_AUDIT=DIR). */
export const AUDIT_POLICY = `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: ["RequestReceived"]
rules:
  - level: Request
    verbs: ["patch", "update"]
    resources: [{ group: "", resources: ["pods/status", "nodes/status"] }]
  - level: Metadata
`;

export interface AgentLoad {
  node: string;
  agent: 'staticlet' | 'kubelet';
  /** The user agents its requests carried. */
  userAgents: string[];
  /** Requests received in the window, all kinds. */
  total: number;
  /** Requests received in the window by "verb resource[/subresource]". */
  byKind: Record<string, number>;
  /** Watches open at the end of the window (started before or in it). */
  openWatches: number;
}

export interface ApiserverLoadSample {
  runtime: string;
  podsPerNode: number;
  settleSeconds: number;
  windowSeconds: number;
  agents: AgentLoad[];
  /** Every user's requests received in the window, by the audit log. */
  auditTotal: number;
  /** The growth of the sum of apiserver_request_total over the window. */
  metricTotal: number;
}

interface AuditEvent {
  auditID: string;
  stage: string;
  requestURI: string;
  verb: string;
  user?: { username?: string };
  userAgent?: string;
  objectRef?: { resource?: string; subresource?: string };
  requestReceivedTimestamp: string;
  stageTimestamp: string;
}

/** "patch nodes/status", "update leases", "get /metrics". */
export function requestKind(e: Pick<AuditEvent, 'verb' | 'objectRef' | 'requestURI'>): string {
  const r = e.objectRef?.resource;
  if (!r) return `${e.verb} ${e.requestURI.split('?')[0]}`;
  return `${e.verb} ${r}${e.objectRef?.subresource ? `/${e.objectRef.subresource}` : ''}`;
}

/** Counts an audit log's requests per user for the window [from, to). */
export function countAudit(
  text: string,
  from: Date,
  to: Date,
): {
  byUser: Map<string, { total: number; byKind: Map<string, number>; userAgents: Set<string>; openWatches: number }>;
  total: number;
} {
  const seen = new Set<string>();
  const watchStarted = new Map<string, string>(); // auditID → user, watches started by `to`
  const watchEnded = new Set<string>();
  const byUser = new Map<
    string,
    { total: number; byKind: Map<string, number>; userAgents: Set<string>; openWatches: number }
  >();
  let total = 0;
  const at = (user: string) => {
    let u = byUser.get(user);
    if (!u) byUser.set(user, (u = { total: 0, byKind: new Map(), userAgents: new Set(), openWatches: 0 }));
    return u;
  };
  for (const line of text.split('\n')) {
    if (!line) continue;
    const e = JSON.parse(line) as AuditEvent;
    const user = e.user?.username ?? '?';
    const received = new Date(e.requestReceivedTimestamp);
    if (e.verb === 'watch' && received < to) {
      if (e.stage === 'ResponseStarted') watchStarted.set(e.auditID, user);
      if (e.stage === 'ResponseComplete' && new Date(e.stageTimestamp) < to) watchEnded.add(e.auditID);
    }
    if (seen.has(e.auditID) || received < from || received >= to) continue;
    seen.add(e.auditID);
    total++;
    const u = at(user);
    u.total++;
    const kind = requestKind(e);
    u.byKind.set(kind, (u.byKind.get(kind) ?? 0) + 1);
    if (e.userAgent) u.userAgents.add(e.userAgent);
  }
  for (const [id, user] of watchStarted) if (!watchEnded.has(id)) at(user).openWatches++;
  return { byUser, total };
}

/** The sum of every apiserver_request_total series. */
export function requestTotal(metrics: string): number {
  let sum = 0;
  for (const line of metrics.split('\n'))
    if (line.startsWith('apiserver_request_total{')) sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  return sum;
}

const letter = (i: number) => String.fromCharCode('a'.charCodeAt(0) + i);

export async function apiserverLoadBench(opts: {
  kind: RuntimeKind;
  /** Staticlets, and as many kubelets. */
  perAgent: number;
  podsPerNode: number;
  settleSeconds: number;
  windowSeconds: number;
  log: (msg: string) => void;
}): Promise<ApiserverLoadSample> {
  const auditDir = await mkdtemp(join(tmpdir(), 'staticlet-bench-audit-'));
  const auditLog = join(auditDir, 'audit.log');
  await writeFile(join(auditDir, 'policy.yaml'), AUDIT_POLICY);
  const cp = await new ControlPlane()
    .start({
      apiserverFlags: [
        `--audit-policy-file=${join(auditDir, 'policy.yaml')}`,
        `--audit-log-path=${auditLog}`,
        '--audit-log-format=json',
        '--audit-log-maxsize=0',
        '--audit-log-mode=blocking',
      ],
    })
    .catch(async (err: unknown) => {
      await rm(auditDir, { recursive: true, force: true });
      throw err;
    });
  const started: { agent: AgentUnderTest; runtime: Runtime }[] = [];
  try {
    // node-a.. staticlets, then the kubelets, started alternately.
    const plan = Array.from({ length: opts.perAgent }, (_, i) => [
      { node: `node-${letter(i)}`, agent: 'staticlet' as const },
      { node: `node-${letter(opts.perAgent + i)}`, agent: 'kubelet' as const },
    ]).flat();
    let runtimeVersion = '';
    for (const p of plan) {
      opts.log(`apiserver load: ${p.agent} as ${p.node}`);
      const runtime = await new Runtime(opts.kind).start();
      runtimeVersion ||= runtime.version;
      const kubeconfig = await cp.nodeKubeconfig(p.node);
      try {
        const agent =
          p.agent === 'staticlet'
            ? await startStaticlet(runtime, p.node, [
                `--kubeconfig=${kubeconfig}`,
                '--node-ip=127.0.0.1',
                // No kubelet API, as the kubelets here (enableServer: false): three staticlets
                // would want port 10250, and its serving certificate is requests of its own.
                '--port=0',
              ])
            : await startKubelet(runtime, p.node, kubeconfig);
        started.push({ agent, runtime });
      } catch (err) {
        await runtime.stop();
        throw err;
      }
    }
    const names = Array.from({ length: opts.podsPerNode }, (_, i) => `load${i}`);
    for (const { agent } of started)
      await writeManifests(
        agent.manifests,
        names.map((nm) => ({ name: `${nm}.yaml`, text: busyboxPod(nm) })),
      );
    const want = started.length * opts.podsPerNode;
    await until(
      `${want} mirror pods Running and ready`,
      async () => {
        const pods = JSON.parse(await cp.kubectl('get', 'pods', '-n', 'default', '-o', 'json')) as { items: KubePod[] };
        const ready = pods.items.filter(
          (p) =>
            p.status.phase === 'Running' &&
            (p.status.containerStatuses ?? []).every((c) => c.ready) &&
            (p.status.containerStatuses ?? []).length > 0,
        ).length;
        return ready >= want;
      },
      600_000,
      2_000,
    );
    opts.log(`apiserver load: ${want} mirror pods Running; settling ${opts.settleSeconds} s`);
    await sleep(opts.settleSeconds * 1000);
    const metricsBefore = requestTotal(await cp.kubectl('get', '--raw', '/metrics'));
    const from = new Date();
    opts.log(`apiserver load: window of ${opts.windowSeconds} s`);
    await sleep(opts.windowSeconds * 1000);
    const to = new Date();
    const metricsAfter = requestTotal(await cp.kubectl('get', '--raw', '/metrics'));
    const windowSeconds = (to.getTime() - from.getTime()) / 1000;
    const counted = countAudit(await readFile(auditLog, 'utf8'), from, to);
    const agents: AgentLoad[] = plan.map((p) => {
      const u = counted.byUser.get(`system:node:${p.node}`);
      return {
        node: p.node,
        agent: p.agent,
        userAgents: [...(u?.userAgents ?? [])].sort(),
        total: u?.total ?? 0,
        byKind: Object.fromEntries([...(u?.byKind ?? [])].sort(([a], [b]) => a.localeCompare(b))),
        openWatches: u?.openWatches ?? 0,
      };
    });
    return {
      runtime: runtimeVersion,
      podsPerNode: opts.podsPerNode,
      settleSeconds: opts.settleSeconds,
      windowSeconds,
      agents,
      auditTotal: counted.total,
      metricTotal: metricsAfter - metricsBefore,
    };
  } finally {
    for (const { agent, runtime } of started) {
      await agent.stop().catch(() => undefined);
      await runtime.wipe().catch(() => undefined);
      await runtime.stop();
    }
    await cp.stop();
    const keep = process.env['STATICLET_BENCH_KEEP_AUDIT'];
    if (keep) await copyFile(auditLog, join(keep, `audit-${new Date().toISOString()}.log`)).catch(() => undefined);
    await rm(auditDir, { recursive: true, force: true });
  }
}
