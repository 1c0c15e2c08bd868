// What `staticlet status` prints: the pods as `kubectl get pods` shows them (NAME, READY, STATUS,
// RESTARTS, AGE, and NAMESPACE when they are not all in `default`), then each manifest problem as
// `file:line:col: field: reason`, then what keeps the node from being ready. Pure: the PodList
// and the /readyz answer in, text out.
import type { V1ContainerStatus, V1Pod, V1PodStatus } from '@kubernetes/client-node';
import type { ManifestProblem } from '../core/model/events.js';
import { formatProblem } from '../core/manifest/format-problem.js';

/** /pods as it comes over the wire: times are strings there. */
export interface PodListAnswer {
  readonly items: readonly V1Pod[];
  readonly problems?: readonly ManifestProblem[];
}

export function formatStatus(list: PodListAnswer, notReady: readonly string[], now: number): string {
  const out: string[] = [];
  if (list.items.length === 0) out.push('No static pods.');
  else {
    const withNamespace = list.items.some((p) => (p.metadata?.namespace ?? 'default') !== 'default');
    const header = [...(withNamespace ? ['NAMESPACE'] : []), 'NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE'];
    const rows = list.items.map((pod) => {
      const status = pod.status ?? {};
      const containers = status.containerStatuses ?? [];
      return [
        ...(withNamespace ? [pod.metadata?.namespace ?? 'default'] : []),
        pod.metadata?.name ?? '',
        `${containers.filter((c) => c.ready).length}/${pod.spec?.containers.length ?? containers.length}`,
        podStatusReason(status),
        restarts(status, now),
        age(status.startTime ?? pod.metadata?.annotations?.['kubernetes.io/config.seen'], now),
      ];
    });
    out.push(...columns([header, ...rows]));
  }
  const problems = list.problems ?? [];
  if (problems.length > 0) {
    out.push('', `Manifest problems (${problems.length}):`);
    for (const p of problems) out.push(`  ${formatProblem(p)}`);
  }
  if (notReady.length > 0) {
    out.push('', 'Not ready:');
    for (const line of notReady) out.push(`  ${line}`);
  }
  return out.join('\n') + '\n';
}

/** The STATUS column as kubectl derives it: the phase, or what holds the pod up. */
export function podStatusReason(status: V1PodStatus): string {
  let reason = status.reason ?? status.phase ?? 'Unknown';
  const inits = status.initContainerStatuses ?? [];
  for (const [i, c] of inits.entries()) {
    const { terminated, waiting } = c.state ?? {};
    if (terminated?.exitCode === 0) continue;
    if (terminated) return `Init:${terminated.reason || exitText(terminated.exitCode, terminated.signal)}`;
    if (waiting?.reason && waiting.reason !== 'PodInitializing') return `Init:${waiting.reason}`;
    return `Init:${i}/${inits.length}`;
  }
  let running = false;
  for (const c of [...(status.containerStatuses ?? [])].reverse()) {
    const { terminated, waiting } = c.state ?? {};
    if (waiting?.reason) reason = waiting.reason;
    else if (terminated) reason = terminated.reason || exitText(terminated.exitCode, terminated.signal);
    else if (c.ready && c.state?.running) running = true;
  }
  if (reason === 'Completed' && running) {
    const ready = status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
    reason = ready ? 'Running' : 'NotReady';
  }
  return reason;
}

function exitText(exitCode: number, signal: number | undefined): string {
  return signal ? `Signal:${signal}` : `ExitCode:${exitCode}`;
}

/** `3 (2m ago)`: the restarts, and how long ago the last one ended. */
function restarts(status: V1PodStatus, now: number): string {
  const all: V1ContainerStatus[] = [...(status.initContainerStatuses ?? []), ...(status.containerStatuses ?? [])];
  const count = all.reduce((n, c) => n + c.restartCount, 0);
  const last = Math.max(
    ...all.map((c) => Date.parse(String(c.lastState?.terminated?.finishedAt ?? ''))).filter((t) => !Number.isNaN(t)),
  );
  return count > 0 && Number.isFinite(last) ? `${count} (${humanDuration(now - last)} ago)` : String(count);
}

function age(since: Date | string | undefined, now: number): string {
  const t = since === undefined ? NaN : Date.parse(String(since instanceof Date ? since.toISOString() : since));
  return Number.isNaN(t) ? '<unknown>' : humanDuration(now - t);
}

/** Durations the way kubectl prints them: 45s, 3m12s, 25m, 5h3m, 2d4h, 40d, 2y10d. */
export function humanDuration(ms: number): string {
  const s = Math.floor(ms / 1000);
  if (s < 0) return '0s';
  if (s < 120) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 10) return s % 60 === 0 ? `${m}m` : `${m}m${s % 60}s`;
  if (m < 180) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 8) return m % 60 === 0 ? `${h}h` : `${h}h${m % 60}m`;
  if (h < 48) return `${h}h`;
  const d = Math.floor(h / 24);
  if (h < 24 * 8) return h % 24 === 0 ? `${d}d` : `${d}d${h % 24}h`;
  if (d < 365 * 2) return `${d}d`;
  const y = Math.floor(d / 365);
  return y < 8 && d % 365 !== 0 ? `${y}y${d % 365}d` : `${y}y`;
}

/** Left-aligned columns three spaces apart, as kubectl's table printer sets them. */
function columns(rows: readonly (readonly string[])[]): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) =>
    r
      .map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]! + 3)))
      .join('')
      .trimEnd(),
  );
}
