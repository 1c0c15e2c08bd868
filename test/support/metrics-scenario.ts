// What /metrics must show while pods come, crash and go on a real containerd, whoever serves it:
// the counters move with what the test does, and the gauges match what crictl lists.
import assert from 'node:assert/strict';
import { ownedSelector } from '../../src/core/runtime-labels.js';
import { crictl, IMAGE, manifest, waitFor, type TestNode } from './harness.js';
import { metricValue, type Scrape } from './prometheus-text.js';

interface CrictlPods {
  items: { state: string }[];
}
interface CrictlContainers {
  containers: { state: string }[];
}

/** crictl's view of the test node: ready sandboxes, containers by the kubelet's state names. */
async function crictlCounts(node: TestNode): Promise<{ readyPods: number; containers: Record<string, number> }> {
  const labels = Object.entries(ownedSelector(node.nodeName)).flatMap(([k, v]) => ['--label', `${k}=${v}`]);
  const pods = JSON.parse(await crictl('pods', ...labels, '-o', 'json')) as CrictlPods;
  const ps = JSON.parse(await crictl('ps', '-a', ...labels, '-o', 'json')) as CrictlContainers;
  const containers: Record<string, number> = { created: 0, running: 0, exited: 0, unknown: 0 };
  for (const c of ps.containers) containers[c.state.replace(/^CONTAINER_/, '').toLowerCase()]! += 1;
  return { readyPods: pods.items.filter((p) => p.state === 'SANDBOX_READY').length, containers };
}

/** The gauges equal crictl's counts (waited for: a scrape may come before the next relist). */
async function gaugesMatchCrictl(node: TestNode, scrape: () => Promise<Scrape>, what: string): Promise<void> {
  let last = '';
  await waitFor(
    `${what}: running pods and containers as crictl lists them`,
    async () => {
      const [m, seen] = [await scrape(), await crictlCounts(node)];
      const shown = {
        readyPods: metricValue(m, 'kubelet_running_pods'),
        containers: Object.fromEntries(
          Object.keys(seen.containers).map((s) => [
            s,
            metricValue(m, 'kubelet_running_containers', { container_state: s }),
          ]),
        ),
      };
      last = `metrics ${JSON.stringify(shown)}, crictl ${JSON.stringify(seen)}`;
      return JSON.stringify(shown) === JSON.stringify(seen);
    },
    30_000,
  ).catch((err: Error) => {
    throw new Error(`${err.message}; last: ${last}`);
  });
}

const op = (m: Scrape, operation: string) =>
  metricValue(m, 'kubelet_runtime_operations_total', { operation_type: operation });

/**
 * Starts a pod with a readiness probe, a crash-looping pod and an invalid manifest on an agent
 * already running with an empty manifest directory, then removes the first pod; checks the
 * metrics at each stage. `scrape` reads the agent's /metrics.
 */
export async function metricsFollowThePods(node: TestNode, scrape: () => Promise<Scrape>): Promise<void> {
  const before = await waitFor('a first scrape with a relist done', async () => {
    const m = await scrape();
    return op(m, 'list_podsandbox') > 0 ? m : undefined;
  });
  assert.equal(metricValue(before, 'kubelet_started_pods_total'), 0);
  assert.equal(metricValue(before, 'kubelet_desired_pods', { static: 'true' }), 0);

  await node.writeManifest(
    'web.yaml',
    manifest('web', {
      extraContainer: `    - name: probed
      image: ${IMAGE}
      command: ["sleep", "3600"]
      readinessProbe:
        exec: {command: ["true"]}
        periodSeconds: 1
`,
    }),
  );
  await node.writeManifest('crash.yaml', manifest('crash', { script: 'sleep 1; exit 1', trapTerm: false }));
  await node.writeManifest(
    'bad.yaml',
    'apiVersion: v1\nkind: Pod\nmetadata:\n  name: bad\nspec:\n  containers:\n    - name: main\n',
  );
  await waitFor('web running', () => node.running('web', 'probed'));

  // The crash-looper: started, exited, restarted at once, exited again, now waiting out its back-off.
  const looping = await waitFor(
    'the crash-looping container in back-off',
    async () => {
      const m = await scrape();
      // web's two containers, and the crash-looper's first start and its restart.
      const started = metricValue(m, 'kubelet_started_containers_total', { container_type: 'container' });
      return metricValue(m, 'staticlet_backoffs', { kind: 'crash-loop' }) >= 1 && started >= 4 ? m : undefined;
    },
    60_000,
    250,
  );
  assert.equal(metricValue(looping, 'kubelet_desired_pods', { static: 'true' }), 2);
  assert.equal(metricValue(looping, 'kubelet_started_pods_total'), 2);
  assert.equal(metricValue(looping, 'kubelet_started_pods_errors_total'), 0);
  assert.ok(op(looping, 'run_podsandbox') >= 2);
  assert.ok(op(looping, 'create_container') >= 4);
  assert.ok(op(looping, 'start_container') >= 4);
  assert.ok(op(looping, 'list_podsandbox') > op(before, 'list_podsandbox'), 'the relist keeps listing');
  assert.ok(
    metricValue(looping, 'kubelet_runtime_operations_duration_seconds', { operation_type: 'run_podsandbox' }) >= 2,
  );
  assert.ok(metricValue(looping, 'kubelet_pleg_relist_duration_seconds') > 0);
  assert.ok(metricValue(looping, 'kubelet_pod_start_duration_seconds') >= 1, 'web reached Running');
  assert.ok(metricValue(looping, 'staticlet_container_exits_total') >= 2, 'both exits of the crash-looper');
  assert.ok(metricValue(looping, 'staticlet_actions_issued_total', { kind: 'StartContainer' }) >= 2);
  assert.ok(metricValue(looping, 'staticlet_loop_steps_total', { event: 'ActionSucceeded' }) >= 2);
  assert.equal(metricValue(looping, 'staticlet_manifest_problems', { source: 'file', reason: 'invalid' }), 1);
  await waitFor('a readiness probe counted', async () => {
    const m = await scrape();
    return (
      metricValue(m, 'prober_probe_total', {
        probe_type: 'Readiness',
        result: 'successful',
        container: 'probed',
        pod: node.podName('web'),
        namespace: 'default',
      }) >= 1
    );
  });
  await gaugesMatchCrictl(node, scrape, 'two pods');

  // web goes with its file: its sandbox is stopped and removed, and the gauges follow.
  await node.removeManifest('web.yaml');
  await waitFor('web removed', async () => (await node.sandboxes()).length === 1);
  const after = await scrape();
  assert.equal(metricValue(after, 'kubelet_desired_pods', { static: 'true' }), 1);
  assert.ok(op(after, 'stop_podsandbox') >= 1);
  assert.ok(op(after, 'remove_podsandbox') >= 1);
  assert.ok(metricValue(after, 'staticlet_actions_issued_total', { kind: 'KillPod' }) >= 1);
  await gaugesMatchCrictl(node, scrape, 'one pod');
}
