// The metrics: the loop's counters and gauges fed with steps of the real core, the CRI decorator,
// the probe series, and the scrape read back by a Prometheus text-format parser.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Action, CreateSandbox, StartContainer } from '../../src/core/model/actions.js';
import type { EventBody } from '../../src/core/model/events.js';
import { initialState, type State } from '../../src/core/model/state.js';
import { step } from '../../src/core/reconcile.js';
import { CriError, type CriRuntime } from '../../src/cri-api/runtime-service.js';
import type { LoopStep } from '../../src/loop.js';
import { CallGate } from '../../src/runtime/cri/call-gate.js';
import { createAgentMetrics, type AgentMetrics } from '../../src/runtime/metrics/agent-metrics.js';
import { container, manifestRead, relist, sandbox, staticPod } from '../support/fixtures.js';
import { metricValue, parseScrape, type Scrape } from '../support/prometheus-text.js';

/** Runs events through the core's step, as the loop does, and hands every step to the metrics. */
function driver(metrics: AgentMetrics) {
  let state: State = initialState(['file']);
  let seq = 0;
  return {
    feed(body: EventBody, at: number): LoopStep {
      const event = { ...body, seq: ++seq, at };
      const s: LoopStep = { ...step(state, event), event };
      state = s.state;
      metrics.watcher(s);
      return s;
    },
  };
}

async function scrape(metrics: AgentMetrics): Promise<Scrape> {
  const { contentType, body } = await metrics.handler();
  assert.match(contentType, /^text\/plain; version=0\.0\.4/);
  return parseScrape(body);
}

function only<K extends Action['kind']>(actions: readonly Action[], kind: K): Extract<Action, { kind: K }> {
  assert.deepEqual(
    actions.map((a) => a.kind),
    [kind],
  );
  return actions[0] as Extract<Action, { kind: K }>;
}

const synced: EventBody = { type: 'SourceSynced', source: 'file', sourceId: '/etc/manifests' };

describe('agent metrics from the loop', () => {
  it('count a pod start, its container, its start duration, its exits and its crash loop', async () => {
    const metrics = createAgentMetrics({ processMetrics: false });
    const loop = driver(metrics);
    const web = staticPod('web'); // seen at 0 (kubernetes.io/config.seen)
    loop.feed(manifestRead(web), 1_000);
    loop.feed(synced, 1_000);
    const create = only(loop.feed(relist([], [], 1_000), 1_000).actions, 'CreateSandbox') as CreateSandbox;
    assert.equal(create.first?.containerName, 'web');

    let m = await scrape(metrics);
    assert.equal(metricValue(m, 'kubelet_desired_pods', { static: 'true' }), 1);
    assert.equal(metricValue(m, 'kubelet_desired_pods', { static: '' }), 0);
    assert.equal(metricValue(m, 'kubelet_running_pods'), 0);
    assert.equal(metricValue(m, 'kubelet_started_pods_total'), 0, 'counted when the result comes back');
    assert.equal(metricValue(m, 'staticlet_actions_issued_total', { kind: 'CreateSandbox' }), 1);
    assert.equal(metricValue(m, 'staticlet_loop_steps_total'), 3);

    // The sandbox and its first container run: one pod and one container started, Running 3 s
    // after the manifest was seen.
    const sb = sandbox(web, 'sb1', { observedAt: 3_000 });
    const c1 = container(web, 'c1', 'sb1', 'web', { startedAt: 2_500, observedAt: 3_000 });
    loop.feed({ type: 'ActionSucceeded', action: create, outcome: { sandboxes: [sb], containers: [c1] } }, 3_000);
    m = await scrape(metrics);
    assert.equal(metricValue(m, 'kubelet_started_pods_total'), 1);
    assert.equal(metricValue(m, 'kubelet_started_pods_errors_total'), 0);
    assert.equal(metricValue(m, 'kubelet_started_containers_total', { container_type: 'container' }), 1);
    assert.equal(metricValue(m, 'kubelet_running_pods'), 1);
    assert.equal(metricValue(m, 'kubelet_running_containers', { container_state: 'running' }), 1);
    assert.equal(metricValue(m, 'kubelet_pod_start_duration_seconds'), 1);
    assert.equal(metricValue(m, 'kubelet_pod_start_duration_seconds', {}, 'sum'), 3);

    // The event stream reports the exit: the restart goes out at once, and fails.
    const restart = only(
      loop.feed({ type: 'ContainerExited', containerId: 'c1', exitCode: 1, finishedAt: 5_000 }, 5_000).actions,
      'StartContainer',
    ) as StartContainer;
    loop.feed(
      { type: 'ActionFailed', action: restart, reason: 'RunContainerError', message: 'exec: not found' },
      5_100,
    );
    m = await scrape(metrics);
    assert.equal(metricValue(m, 'staticlet_container_exits_total', { seen_by: 'event' }), 1);
    assert.equal(metricValue(m, 'staticlet_container_exits_total', { seen_by: 'relist' }), 0);
    assert.equal(metricValue(m, 'kubelet_started_containers_total', { container_type: 'container' }), 2);
    assert.equal(
      metricValue(m, 'kubelet_started_containers_errors_total', {
        container_type: 'container',
        code: 'RunContainerError',
      }),
      1,
    );
    assert.equal(metricValue(m, 'staticlet_backoffs', { kind: 'failed-step' }), 1);
    assert.equal(metricValue(m, 'staticlet_backoffs', { kind: 'crash-loop' }), 0, 'its restart was issued');
    assert.equal(metricValue(m, 'kubelet_pod_start_duration_seconds'), 1, 'a restart is no pod start');

    // Its retry (10 s later) runs, and the relist is the first to see that container exit: it
    // now waits out CrashLoopBackOff. That relist is the safety net's (the stream was up, no event
    // asked for it): the exit the events missed is counted, the first (told by its event) not.
    const retry = only(loop.feed({ type: 'TimerFired' }, 15_200).actions, 'StartContainer') as StartContainer;
    const c2 = container(web, 'c2', 'sb1', 'web', { attempt: 1, startedAt: 15_300, observedAt: 15_300 });
    loop.feed({ type: 'ActionSucceeded', action: retry, outcome: { containers: [c2] } }, 15_300);
    const exited = { state: 'exited' as const, exitCode: 1, observedAt: 16_000 };
    loop.feed(
      {
        ...relist(
          [{ ...sb, observedAt: 16_000 }],
          [
            { ...c1, ...exited, finishedAt: 5_000 },
            { ...c2, ...exited, finishedAt: 15_900 },
          ],
          16_000,
        ),
        safetyNet: true,
      } as EventBody,
      16_000,
    );
    m = await scrape(metrics);
    assert.equal(metricValue(m, 'staticlet_container_exits_total', { seen_by: 'relist' }), 1);
    assert.equal(metricValue(m, 'staticlet_relist_missed_changes_total', { kind: 'container_state' }), 1);
    assert.equal(metricValue(m, 'staticlet_relist_missed_changes_total'), 1, 'nothing else missed');
    assert.equal(metricValue(m, 'staticlet_backoffs', { kind: 'crash-loop' }), 1);
    assert.equal(metricValue(m, 'kubelet_running_containers', { container_state: 'exited' }), 2);
    assert.equal(metricValue(m, 'kubelet_running_containers', { container_state: 'running' }), 0);
    assert.equal(metricValue(m, 'kubelet_started_containers_total'), 3);
  });

  it('show the problems of manifests that cannot be run, by source and reason, until they are fixed', async () => {
    const metrics = createAgentMetrics({ processMetrics: false });
    const loop = driver(metrics);
    const origin = '/etc/manifests/bad.yaml';
    loop.feed(
      {
        type: 'ManifestInvalid',
        source: 'file',
        origin,
        problems: [
          { origin, line: 7, column: 9, field: 'spec.containers[0].image', message: 'Required value' },
          { origin, line: 3, column: 1, message: 'bad indentation' },
        ],
      },
      1_000,
    );
    const url = 'http://127.0.0.1:1/pods';
    loop.feed(
      { type: 'ManifestInvalid', source: 'http', origin: url, problems: [{ origin: url, message: 'HTTP status 500' }] },
      1_000,
    );
    let m = await scrape(metrics);
    assert.equal(metricValue(m, 'staticlet_manifest_problems', { source: 'file', reason: 'invalid' }), 1);
    assert.equal(metricValue(m, 'staticlet_manifest_problems', { source: 'file', reason: 'syntax' }), 1);
    assert.equal(metricValue(m, 'staticlet_manifest_problems', { source: 'http', reason: 'unreadable' }), 1);

    loop.feed(manifestRead(staticPod('bad', origin)), 2_000);
    m = await scrape(metrics);
    assert.equal(metricValue(m, 'staticlet_manifest_problems', { source: 'file' }), 0);
    assert.equal(metricValue(m, 'staticlet_manifest_problems', { source: 'http' }), 1);
  });

  it('give every family a HELP and a TYPE, the process metrics too, and parse as Prometheus text', async () => {
    const metrics = createAgentMetrics();
    driver(metrics).feed(manifestRead(staticPod('web')), 1_000);
    const m = await scrape(metrics);
    for (const name of [
      'kubelet_running_pods',
      'kubelet_running_containers',
      'kubelet_desired_pods',
      'kubelet_mirror_pods',
      'staticlet_backoffs',
      'staticlet_runtime_call_gate_waiting',
      'staticlet_runtime_call_gate_in_flight',
      'process_cpu_user_seconds_total',
      'nodejs_eventloop_lag_seconds',
    ])
      assert.ok(m.has(name), name);
  });

  it('keep one registry per agent: two agents count apart', async () => {
    const a = createAgentMetrics({ processMetrics: false });
    const b = createAgentMetrics({ processMetrics: false });
    driver(a).feed(manifestRead(staticPod('web')), 1_000);
    assert.equal(metricValue(await scrape(a), 'staticlet_loop_steps_total', { event: 'ManifestRead' }), 1);
    assert.equal(metricValue(await scrape(b), 'staticlet_loop_steps_total'), 0);
  });
});

describe('agent metrics at the ports', () => {
  it('count and time every CRI call by the kubelet operation name, and its errors', async () => {
    const metrics = createAgentMetrics({ processMetrics: false });
    const fake = {
      listPodSandbox: () => Promise.resolve([]),
      startContainer: () => Promise.reject(new CriError('StartContainer', 'UNKNOWN', 'boom')),
      close: () => undefined,
    } as Partial<CriRuntime> as CriRuntime;
    const cri = metrics.instrumentCri(fake);
    await cri.listPodSandbox();
    await cri.listPodSandbox();
    await assert.rejects(cri.startContainer('c1'), CriError);
    cri.close();
    const m = await scrape(metrics);
    assert.equal(metricValue(m, 'kubelet_runtime_operations_total', { operation_type: 'list_podsandbox' }), 2);
    assert.equal(
      metricValue(m, 'kubelet_runtime_operations_duration_seconds', { operation_type: 'list_podsandbox' }),
      2,
    );
    assert.equal(metricValue(m, 'kubelet_runtime_operations_errors_total', { operation_type: 'list_podsandbox' }), 0);
    assert.equal(metricValue(m, 'kubelet_runtime_operations_total', { operation_type: 'start_container' }), 1);
    assert.equal(metricValue(m, 'kubelet_runtime_operations_errors_total', { operation_type: 'start_container' }), 1);
  });

  it('show the call gate: calls in flight and waiting, by queue', async () => {
    const metrics = createAgentMetrics({ processMetrics: false });
    const gate = new CallGate(1);
    metrics.watchGate(gate);
    let release!: () => void;
    const first = gate.run('begin', () => new Promise<void>((r) => (release = r)));
    const waiting = [gate.run('cleanup', async () => {}), gate.run('begin', async () => {})];
    let m = await scrape(metrics);
    assert.equal(metricValue(m, 'staticlet_runtime_call_gate_in_flight'), 1);
    assert.equal(metricValue(m, 'staticlet_runtime_call_gate_waiting', { queue: 'cleanup' }), 1);
    assert.equal(metricValue(m, 'staticlet_runtime_call_gate_waiting', { queue: 'begin' }), 1);
    assert.equal(metricValue(m, 'staticlet_runtime_call_gate_waiting', { queue: 'finish' }), 0);
    release();
    await Promise.all([first, ...waiting]);
    m = await scrape(metrics);
    assert.equal(metricValue(m, 'staticlet_runtime_call_gate_waiting'), 0);
  });

  it('count failed URL fetches and directory scans, relists, and logged events', async () => {
    const metrics = createAgentMetrics({ processMetrics: false });
    let status = 500;
    const http = metrics.instrumentHttp({ get: () => Promise.resolve({ status, body: '' }) });
    const broken = metrics.instrumentHttp({ get: () => Promise.reject(new Error('connection refused')) });
    const opts = { timeoutMs: 1, maxBytes: 1 };
    await http.get('http://127.0.0.1:1/', {}, opts);
    status = 200;
    await http.get('http://127.0.0.1:1/', {}, opts);
    await assert.rejects(broken.get('http://127.0.0.1:1/', {}, opts));
    metrics.sourceFailed('file');
    metrics.relisted(12);
    const written: unknown[] = [];
    const log = metrics.countEventLog({ write: (e) => written.push(e), close: () => Promise.resolve() });
    log.write({ type: 'Heartbeat', seq: 1, at: 0 });
    const m = await scrape(metrics);
    assert.equal(metricValue(m, 'staticlet_source_failures_total', { source: 'http' }), 2);
    assert.equal(metricValue(m, 'staticlet_source_failures_total', { source: 'file' }), 1);
    assert.equal(metricValue(m, 'kubelet_pleg_relist_duration_seconds'), 1);
    assert.equal(metricValue(m, 'staticlet_events_logged_total'), 1);
    assert.equal(written.length, 1);
  });

  it('count probe runs as the kubelet labels them, and drop the series of a pod no longer run', async () => {
    const metrics = createAgentMetrics({ processMetrics: false });
    const loop = driver(metrics);
    const web = staticPod('web');
    loop.feed(manifestRead(web), 1_000);
    const target = {
      containerId: 'c1',
      podUid: web.uid,
      podFullName: `${web.namespace}/${web.name}`,
      containerName: 'web',
      startedAt: 0,
      host: '127.0.0.1',
      probes: [],
    };
    metrics.probed(target, 'readiness', true);
    metrics.probed(target, 'readiness', true);
    metrics.probed(target, 'liveness', false);
    let m = await scrape(metrics);
    const labels = { container: 'web', pod: web.name, namespace: web.namespace, pod_uid: web.uid };
    assert.equal(metricValue(m, 'prober_probe_total', { ...labels, probe_type: 'Readiness', result: 'successful' }), 2);
    assert.equal(metricValue(m, 'prober_probe_total', { ...labels, probe_type: 'Liveness', result: 'failed' }), 1);

    loop.feed({ type: 'ManifestGone', source: 'file', origin: web.origin }, 2_000);
    m = await scrape(metrics);
    assert.equal(metricValue(m, 'prober_probe_total'), 0);
  });
});

describe('process metrics at idle', () => {
  it('do not wake the event loop more than about once a second', async () => {
    // A child process with only the metrics: its main thread's voluntary context switches count
    // how often it woke from waiting (prom-client's default event loop sampling, every 10 ms, gave
    // about 200 in 2 s). Counts, not times: a busy machine adds involuntary switches only.
    const { execFileSync } = await import('node:child_process');
    const script = `
      import { readFileSync } from 'node:fs';
      import { createAgentMetrics } from './src/runtime/metrics/agent-metrics.ts';
      const switches = () => Number(/voluntary_ctxt_switches:\\s+(\\d+)/.exec(readFileSync('/proc/thread-self/status', 'utf8'))[1]);
      createAgentMetrics();
      await new Promise((r) => setTimeout(r, 200));
      const before = switches();
      await new Promise((r) => setTimeout(r, 2000));
      console.log(switches() - before);
      process.exit(0);`;
    const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: new URL('../..', import.meta.url).pathname,
      encoding: 'utf8',
    });
    const wakes = Number(out.trim());
    assert.ok(wakes < 30, `the main thread woke ${wakes} times in 2 s`);
  });
});
