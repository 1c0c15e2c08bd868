// requests/limits reach the container's cgroups (v1) and OOM score, by QoS class, on the real runtime.
import assert from 'node:assert/strict';
import { totalmem } from 'node:os';
import { describe, it } from 'node:test';
import { IMAGE, useTestNode, waitFor, type TestNode } from '../support/harness.js';

async function sh(node: TestNode, id: string, cmd: string): Promise<string> {
  const r = await node.cri.execSync(id, ['sh', '-c', cmd], 10);
  assert.equal(r.exitCode, 0, `${cmd}: ${r.stderr.toString()}`);
  return r.stdout.toString().trim();
}

function pod(name: string, resources: string, extraSpec = ''): string {
  return `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
spec:
  terminationGracePeriodSeconds: 1
${extraSpec}  containers:
    - name: main
      image: ${IMAGE}
      command: ["sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"]
${resources}`;
}

describe('pod fields: resources', () => {
  const node = useTestNode();

  it('sets CPU shares, CFS quota and period, the memory limit and the OOM score like the kubelet', async () => {
    await node.writeManifest(
      'burstable.yaml',
      pod(
        'burstable',
        `      resources:
        requests: {cpu: 250m, memory: 64Mi}
        limits: {cpu: 500m, memory: 128Mi}
`,
      ),
    );
    await node.writeManifest(
      'guaranteed.yaml',
      pod(
        'guaranteed',
        `      resources:
        limits: {cpu: "1", memory: 96Mi}
`,
      ),
    );
    await node.writeManifest('besteffort.yaml', pod('besteffort', ''));
    await node.startAgent();
    const burstable = await waitFor('burstable running', () => node.running('burstable', 'main'), 30_000);
    const guaranteed = await waitFor('guaranteed running', () => node.running('guaranteed', 'main'), 30_000);
    const besteffort = await waitFor('besteffort running', () => node.running('besteffort', 'main'), 30_000);

    const cgroups = (id: string) =>
      sh(
        node,
        id,
        'cat /sys/fs/cgroup/cpu/cpu.shares /sys/fs/cgroup/cpu/cpu.cfs_quota_us /sys/fs/cgroup/cpu/cpu.cfs_period_us /sys/fs/cgroup/memory/memory.limit_in_bytes',
      );
    const oom = async (id: string) => Number(await sh(node, id, 'cat /proc/1/oom_score_adj'));

    assert.deepEqual((await cgroups(burstable.id)).split('\n'), ['256', '50000', '100000', String(128 * 1024 ** 2)]);
    assert.equal(
      await oom(burstable.id),
      1000 - Math.floor((1000 * 64 * 1024 ** 2) / totalmem()),
      'Burstable: by the share of node memory requested',
    );

    const [shares, quota, period, memory] = (await cgroups(guaranteed.id)).split('\n');
    assert.deepEqual(
      [shares, quota, period],
      ['1024', '100000', '100000'],
      'a limit without a request asks for the limit',
    );
    assert.equal(memory, String(96 * 1024 ** 2));
    // Guaranteed asks for -997; a runtime with restrict_oom_score_adj (like this one) gives no less than its own.
    const g = await oom(guaranteed.id);
    assert.ok(g >= -997 && g <= 0, `Guaranteed OOM score ${g}`);

    const [beShares, beQuota] = (await cgroups(besteffort.id)).split('\n');
    assert.deepEqual([beShares, beQuota], ['2', '-1'], 'BestEffort: the minimum shares, no quota');
    assert.equal(await oom(besteffort.id), 1000);
  });

  it('refuses a request above its limit before anything runs', async () => {
    const agent = await node.startAgent();
    await node.writeManifest(
      'bad.yaml',
      pod('bad', '      resources: {requests: {memory: 1Gi}, limits: {memory: 64Mi}}\n'),
    );
    const line = await agent.waitForLog(/invalid manifest/);
    assert.match(
      line,
      /spec\.containers\[0\]\.resources\.requests\.memory: must be less than or equal to the memory limit/,
    );
  });
});
