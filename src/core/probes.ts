// Probes, as the kubelet runs them: which containers to probe (a pure function of the state), the
// probes' defaults, and the threshold counting that turns single results into a verdict.
import type { V1Container, V1Probe } from '@kubernetes/client-node';
import { desiredPods } from './desired.js';
import type { ProbeKind, ProbeHandler, ProbeSpec, ProbeTarget } from './model/probes.js';
import type { State } from './model/state.js';

/** The kubelet's probe defaults. */
export function probeSpec(kind: ProbeKind, probe: V1Probe, container: V1Container): ProbeSpec | undefined {
  const handler = probeHandler(probe, container);
  if (!handler) return undefined;
  return {
    kind,
    handler,
    initialDelayMs: (probe.initialDelaySeconds ?? 0) * 1000,
    periodMs: (probe.periodSeconds ?? 10) * 1000,
    timeoutMs: (probe.timeoutSeconds ?? 1) * 1000,
    // Liveness and startup must succeed once; readiness as configured.
    successThreshold: kind === 'readiness' ? (probe.successThreshold ?? 1) : 1,
    failureThreshold: probe.failureThreshold ?? 3,
  };
}

/** A named port resolves to the container's port of that name. */
export function resolvePort(port: number | string | undefined, container: V1Container): number | undefined {
  if (typeof port === 'number') return port;
  if (port === undefined) return undefined;
  if (/^\d+$/.test(port)) return Number(port);
  return container.ports?.find((p) => p.name === port)?.containerPort;
}

function probeHandler(probe: V1Probe, container: V1Container): ProbeHandler | undefined {
  if (probe.exec) return { type: 'exec', command: probe.exec.command ?? [] };
  if (probe.httpGet) {
    const port = resolvePort(probe.httpGet.port as number | string, container);
    if (port === undefined) return undefined;
    return {
      type: 'http',
      scheme: probe.httpGet.scheme === 'HTTPS' ? 'HTTPS' : 'HTTP',
      ...(probe.httpGet.host ? { host: probe.httpGet.host } : {}),
      port,
      path: probe.httpGet.path || '/',
      headers: (probe.httpGet.httpHeaders ?? []).map((h) => ({ name: h.name, value: h.value })),
    };
  }
  if (probe.tcpSocket) {
    const port = resolvePort(probe.tcpSocket.port as number | string, container);
    if (port === undefined) return undefined;
    return { type: 'tcp', ...(probe.tcpSocket.host ? { host: probe.tcpSocket.host } : {}), port };
  }
  if (probe.grpc)
    return { type: 'grpc', port: probe.grpc.port, ...(probe.grpc.service ? { service: probe.grpc.service } : {}) };
  return undefined;
}

/** Every running app container of a desired pod that has probes, in its pod's newest sandbox. */
export function probeTargets(state: State): ProbeTarget[] {
  const out: ProbeTarget[] = [];
  const newest = new Map<string, { id: string; attempt: number; createdAt: number; ip?: string }>();
  for (const sb of state.runtime.sandboxes.values()) {
    const cur = newest.get(sb.podUid);
    if (sb.ready && (!cur || sb.attempt > cur.attempt || (sb.attempt === cur.attempt && sb.createdAt > cur.createdAt)))
      newest.set(sb.podUid, sb);
  }
  const pods = desiredPods(state).pods;
  for (const c of state.runtime.containers.values()) {
    if (c.state !== 'running') continue;
    const pod = pods.get(c.podUid);
    const sb = newest.get(c.podUid);
    if (!pod || !sb || sb.id !== c.sandboxId) continue;
    const spec = pod.pod.spec!.containers.find((s) => s.name === c.name);
    if (!spec) continue;
    const probes = (
      [
        ['startup', spec.startupProbe],
        ['liveness', spec.livenessProbe],
        ['readiness', spec.readinessProbe],
      ] as const
    )
      .map(([kind, p]) => (p ? probeSpec(kind, p, spec) : undefined))
      .filter((p): p is ProbeSpec => p !== undefined);
    if (probes.length === 0) continue;
    const hostNetwork = pod.pod.spec!.hostNetwork === true;
    out.push({
      containerId: c.id,
      podUid: c.podUid,
      podFullName: `${pod.namespace}/${pod.name}`,
      containerName: c.name,
      startedAt: c.startedAt ?? c.observedAt,
      host: hostNetwork || !sb.ip ? '127.0.0.1' : sb.ip,
      probes,
    });
  }
  return out.sort((a, b) => (a.containerId < b.containerId ? -1 : 1));
}

/** Threshold counting: `ok` flips only after successThreshold successes or failureThreshold failures. */
export interface ProbeCounter {
  readonly ok: boolean | undefined;
  readonly successes: number;
  readonly failures: number;
}

export const INITIAL_COUNTER: ProbeCounter = { ok: undefined, successes: 0, failures: 0 };

export function countProbe(
  counter: ProbeCounter,
  success: boolean,
  spec: Pick<ProbeSpec, 'successThreshold' | 'failureThreshold'>,
): ProbeCounter {
  const successes = success ? counter.successes + 1 : 0;
  const failures = success ? 0 : counter.failures + 1;
  let ok = counter.ok;
  if (success && successes >= spec.successThreshold) ok = true;
  if (!success && failures >= spec.failureThreshold) ok = false;
  return { ok, successes, failures };
}
