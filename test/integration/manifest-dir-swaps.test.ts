// The manifest directory itself changes under the agent: it vanishes and comes back, a symlink to it
// is retargeted, or it is a Kubernetes volume updated by swapping `..data`. The periodic rescan is
// set far away (10 min), so every change here is seen from file events.
import { mkdir, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { manifest, useTestNode, waitFor } from '../support/harness.js';

const FAR = '--file-check-frequency=600s';

describe('the manifest directory changes under the agent', () => {
  const node = useTestNode();
  /** Writes `text` into `dir/name` in one rename. */
  const put = async (dir: string, name: string, text: string) => {
    await writeFile(join(dir, `.${name}.tmp`), text);
    await rename(join(dir, `.${name}.tmp`), join(dir, name));
  };
  const podNames = async () => (await node.sandboxes()).map((s) => s.metadata.name).sort();

  it('a Kubernetes volume: ..data swapped to a new timestamped directory updates the pod; a key dropped removes it', async () => {
    const vol = join(node.dir, 'vol');
    await mkdir(join(vol, '..2025_01_01_00_00_00.1'), { recursive: true });
    await writeFile(join(vol, '..2025_01_01_00_00_00.1', 'web.yaml'), manifest('web', { script: 'sleep 3601' }));
    await symlink('..2025_01_01_00_00_00.1', join(vol, '..data'));
    await symlink('..data/web.yaml', join(vol, 'web.yaml'));
    await node.startAgent([FAR], { manifests: vol });
    const first = await waitFor('web running', () => node.running('web', 'main'));

    // The atomic writer's update: a new timestamped directory, ..data swapped to it in one rename.
    const swap = async (to: string, files: Record<string, string>) => {
      await mkdir(join(vol, to));
      for (const [name, text] of Object.entries(files)) await writeFile(join(vol, to, name), text);
      await symlink(to, join(vol, '..data_tmp'));
      await rename(join(vol, '..data_tmp'), join(vol, '..data'));
    };
    await swap('..2025_01_01_00_01_00.2', { 'web.yaml': manifest('web', { script: 'sleep 3602' }) });
    await rm(join(vol, '..2025_01_01_00_00_00.1'), { recursive: true });
    await waitFor('web replaced by its new version', async () => {
      const c = await node.running('web', 'main');
      return c !== undefined && c.id !== first.id;
    });

    // The key is dropped: the new data has no web.yaml, so the top-level link points nowhere (the
    // writer removes it next): the pod goes.
    await swap('..2025_01_01_00_02_00.3', {});
    await waitFor('web removed', async () => (await node.sandboxes()).length === 0);
  });

  it('a symlink to the directory is retargeted; the path vanishes and comes back; the directory is made anew', async () => {
    const current = join(node.dir, 'current');
    await mkdir(join(node.dir, 'a'));
    await put(join(node.dir, 'a'), 'web.yaml', manifest('web'));
    await symlink('a', current);
    await node.startAgent([FAR], { manifests: current });
    await waitFor('web running', () => node.running('web', 'main'));

    // Retargeted in one rename, to a directory holding another pod.
    await mkdir(join(node.dir, 'b'));
    await put(join(node.dir, 'b'), 'other.yaml', manifest('other'));
    await symlink('b', join(node.dir, 'current.tmp'));
    await rename(join(node.dir, 'current.tmp'), current);
    await waitFor('other instead of web', async () => {
      const names = await podNames();
      return names.length === 1 && names[0] === node.podName('other') && node.running('other', 'main');
    });

    // The path vanishes: an empty directory.
    await rm(current);
    await waitFor('other removed', async () => (await node.sandboxes()).length === 0);

    // It comes back, as a directory of its own.
    await mkdir(current);
    await put(current, 'back.yaml', manifest('back'));
    await waitFor('back running', () => node.running('back', 'main'));

    // Removed and made anew at once: the new directory is watched.
    await rm(current, { recursive: true });
    await mkdir(current);
    await put(current, 'again.yaml', manifest('again'));
    await waitFor('again running', () => node.running('again', 'main'));
    await put(current, 'more.yaml', manifest('more'));
    await waitFor('more running', () => node.running('more', 'main'));
  });
});
