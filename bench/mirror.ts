// Scenario 6: mirror pods on a real kube-apiserver. The admin client polls every 20 ms.
import { CoreV1Api, KubeConfig, type V1Pod } from '@kubernetes/client-node';
import { ControlPlane } from '../test/support/control-plane.js';
import { busyboxPod, startStaticlet, until, writeManifests, type Runtime } from './lib/env.js';

export interface MirrorSample {
  deleteToNewMirror: number[];
  writeToMirrorRunning: number[];
}

export async function mirrorBench(runtime: Runtime, deletes: number): Promise<MirrorSample> {
  const cp = await new ControlPlane().start();
  const nodeName = 'bench-mirror';
  const kubeconfig = await cp.nodeKubeconfig(nodeName);
  const agent = await startStaticlet(runtime, nodeName, [`--kubeconfig=${kubeconfig}`, '--node-ip=127.0.0.1']);
  const kc = new KubeConfig();
  kc.loadFromFile(cp.adminKubeconfig);
  const core = kc.makeApiClient(CoreV1Api);
  const get = async (name: string): Promise<V1Pod | undefined> =>
    core.readNamespacedPod({ name, namespace: 'default' }).catch(() => undefined);
  const runningReady = (p: V1Pod | undefined) =>
    p?.status?.phase === 'Running' && (p.status.containerStatuses ?? []).every((c) => c.ready);
  const sample: MirrorSample = { deleteToNewMirror: [], writeToMirrorRunning: [] };
  try {
    for (let i = 0; i < Math.max(3, Math.ceil(deletes / 3)); i++) {
      const name = `mw${i}`;
      const t0 = await writeManifests(agent.manifests, [{ name: `${name}.yaml`, text: busyboxPod(name) }]);
      await until(`${name} mirror Running`, async () => runningReady(await get(`${name}-${nodeName}`)), 60_000, 20);
      sample.writeToMirrorRunning.push(Date.now() - t0);
    }
    const target = `mw0-${nodeName}`;
    for (let i = 0; i < deletes; i++) {
      const before = await until('mirror present', async () => get(target), 30_000, 20);
      const t0 = Date.now();
      await core.deleteNamespacedPod({ name: target, namespace: 'default' });
      await until(
        'a new mirror',
        async () => {
          const p = await get(target);
          return p && p.metadata?.uid !== before.metadata?.uid && !p.metadata?.deletionTimestamp ? p : undefined;
        },
        30_000,
        20,
      );
      sample.deleteToNewMirror.push(Date.now() - t0);
    }
  } finally {
    await agent.stop();
    await cp.stop();
  }
  return sample;
}
