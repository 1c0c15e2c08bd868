// prober_probe_total as the kubelet labels it (probe_type Liveness/Readiness/Startup, result
// successful/failed, container, pod, namespace, pod_uid), and the series of pods that are no
// longer run dropped, as the kubelet drops them when a probe worker stops.
import type { Counter } from 'prom-client';
import type { ProbeKind, ProbeTarget } from '../../core/model/probes.js';

type ProbeLabel = 'probe_type' | 'result' | 'container' | 'pod' | 'namespace' | 'pod_uid';
type Labels = Record<ProbeLabel, string>;

const PROBE_TYPE: Record<ProbeKind, string> = { liveness: 'Liveness', readiness: 'Readiness', startup: 'Startup' };

export interface ProbeResults {
  /** One probe run and its result. */
  record(target: ProbeTarget, kind: ProbeKind, success: boolean): void;
  /** Drops the series of every pod not in `uids`. */
  keepOnly(uids: ReadonlySet<string> | ReadonlyMap<string, unknown>): void;
}

export function probeResults(counter: Counter<ProbeLabel>): ProbeResults {
  const seriesByPod = new Map<string, Map<string, Labels>>();
  return {
    record(target, kind, success) {
      const slash = target.podFullName.indexOf('/');
      const labels: Labels = {
        probe_type: PROBE_TYPE[kind],
        result: success ? 'successful' : 'failed',
        container: target.containerName,
        pod: target.podFullName.slice(slash + 1),
        namespace: target.podFullName.slice(0, slash),
        pod_uid: target.podUid,
      };
      counter.inc(labels);
      const series = seriesByPod.get(target.podUid) ?? new Map<string, Labels>();
      series.set(JSON.stringify(labels), labels);
      seriesByPod.set(target.podUid, series);
    },
    keepOnly(uids) {
      for (const [uid, series] of seriesByPod) {
        if (uids.has(uid)) continue;
        for (const labels of series.values()) counter.remove(labels);
        seriesByPod.delete(uid);
      }
    },
  };
}
