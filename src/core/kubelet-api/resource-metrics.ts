// The kubelet API's /metrics/resource: the few figures of the summary that metrics-server (0.6
// and later) scrapes for `kubectl top`, in the kubelet's names, Prometheus text with each
// sample's own time. Built from a Summary (stats-summary.ts), so both answer from one sample.
import type { Summary } from './stats-summary.js';

export const RESOURCE_METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

interface Family {
  readonly name: string;
  readonly help: string;
  readonly type: 'counter' | 'gauge';
  readonly samples: string[];
}

export function resourceMetricsText(summary: Summary): string {
  const family = (name: string, type: Family['type'], help: string): Family => ({ name, help, type, samples: [] });
  const nodeCpu = family(
    'node_cpu_usage_seconds_total',
    'counter',
    'Cumulative cpu time consumed by the node in core-seconds',
  );
  const nodeMemory = family('node_memory_working_set_bytes', 'gauge', 'Current working set of the node in bytes');
  const containerCpu = family(
    'container_cpu_usage_seconds_total',
    'counter',
    'Cumulative cpu time consumed by the container in core-seconds',
  );
  const containerMemory = family(
    'container_memory_working_set_bytes',
    'gauge',
    'Current working set of the container in bytes',
  );
  const containerStart = family(
    'container_start_time_seconds',
    'gauge',
    'Start time of the container since unix epoch in seconds',
  );
  const podCpu = family(
    'pod_cpu_usage_seconds_total',
    'counter',
    'Cumulative cpu time consumed by the pod in core-seconds',
  );
  const podMemory = family('pod_memory_working_set_bytes', 'gauge', 'Current working set of the pod in bytes');

  const sample = (f: Family, labels: Record<string, string>, value: number | undefined, time: string | undefined) => {
    if (value === undefined || time === undefined) return;
    const l = Object.entries(labels)
      .map(([k, v]) => `${k}="${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`)
      .join(',');
    f.samples.push(`${f.name}${l ? `{${l}}` : ''} ${value} ${Date.parse(time)}`);
  };
  const { node } = summary;
  const seconds = (ns: number | undefined) => (ns === undefined ? undefined : ns / 1e9);
  sample(nodeCpu, {}, seconds(node.cpu.usageCoreNanoSeconds), node.cpu.time);
  sample(nodeMemory, {}, node.memory.workingSetBytes, node.memory.time);
  for (const pod of summary.pods) {
    const podLabels = { namespace: pod.podRef.namespace, pod: pod.podRef.name };
    sample(podCpu, podLabels, seconds(pod.cpu?.usageCoreNanoSeconds), pod.cpu?.time);
    sample(podMemory, podLabels, pod.memory?.workingSetBytes, pod.memory?.time);
    for (const c of pod.containers) {
      const labels = { container: c.name, ...podLabels };
      sample(containerCpu, labels, seconds(c.cpu?.usageCoreNanoSeconds), c.cpu?.time);
      sample(containerMemory, labels, c.memory?.workingSetBytes, c.memory?.time);
      sample(containerStart, labels, Date.parse(c.startTime) / 1000, c.startTime);
    }
  }
  const families = [containerCpu, containerMemory, containerStart, nodeCpu, nodeMemory, podCpu, podMemory];
  const lines = families.flatMap((f) => [
    `# HELP ${f.name} [STABLE] ${f.help}`,
    `# TYPE ${f.name} ${f.type}`,
    ...f.samples,
  ]);
  lines.push(
    '# HELP resource_scrape_error [STABLE] 1 if there was an error while getting container metrics, 0 otherwise',
  );
  lines.push('# TYPE resource_scrape_error gauge', 'resource_scrape_error 0');
  return lines.join('\n') + '\n';
}
