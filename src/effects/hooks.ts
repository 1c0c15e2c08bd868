// Lifecycle hooks (postStart, preStop): exec, httpGet, sleep (and the old tcpSocket), each
// bounded by a timeout, through the same port as the probes.
import type { V1LifecycleHandler } from '@kubernetes/client-node';
import { resolvePort } from '../core/probes.js';
import type { ProbeOutcome, ProbePort } from '../runtime/probe-port.js';

export interface HookTarget {
  readonly containerId: string;
  /** Where httpGet hooks go without a host: the pod IP, or loopback for host-network pods. */
  readonly host: string;
}

export async function runHook(
  port: ProbePort,
  handler: V1LifecycleHandler,
  target: HookTarget,
  timeoutMs: number,
): Promise<ProbeOutcome> {
  if (handler.exec) return port.exec(target.containerId, handler.exec.command ?? [], timeoutMs);
  if (handler.httpGet) {
    const p = resolvePort(handler.httpGet.port as number | string, { name: '' });
    if (p === undefined)
      return { success: false, message: `httpGet hook: unknown port ${String(handler.httpGet.port)}` };
    return port.http(
      {
        scheme: handler.httpGet.scheme === 'HTTPS' ? 'HTTPS' : 'HTTP',
        host: handler.httpGet.host || target.host,
        port: p,
        path: handler.httpGet.path || '/',
        headers: (handler.httpGet.httpHeaders ?? []).map((h) => ({ name: h.name, value: h.value })),
      },
      timeoutMs,
    );
  }
  if (handler.sleep) {
    const ms = Math.min(handler.sleep.seconds * 1000, timeoutMs);
    await new Promise((r) => setTimeout(r, ms));
    return { success: true, message: `slept ${ms / 1000} s` };
  }
  if (handler.tcpSocket) {
    const p = resolvePort(handler.tcpSocket.port as number | string, { name: '' });
    if (p === undefined) return { success: false, message: 'tcpSocket hook: unknown port' };
    return port.tcp(handler.tcpSocket.host || target.host, p, timeoutMs);
  }
  return { success: false, message: 'the hook has no action' };
}

/** The kubelet's floor on what is left of a grace period after a preStop hook. */
export const MIN_GRACE_AFTER_HOOK_SECONDS = 2;

/** Runs a container's preStop hook (JSON from its annotation) within the grace period; returns
 * the grace period left for the stop. */
export async function runPreStop(
  port: ProbePort,
  preStopJson: string | undefined,
  target: HookTarget,
  graceSeconds: number,
): Promise<number> {
  if (!preStopJson) return graceSeconds;
  let handler: V1LifecycleHandler;
  try {
    handler = JSON.parse(preStopJson) as V1LifecycleHandler;
  } catch {
    return graceSeconds;
  }
  const started = Date.now();
  await runHook(port, handler, target, graceSeconds * 1000);
  const left = graceSeconds - Math.floor((Date.now() - started) / 1000);
  return Math.max(MIN_GRACE_AFTER_HOOK_SECONDS, left);
}
