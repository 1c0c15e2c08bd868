// No entry can poison the manifest directory, with the real agent on the real containerd: bad
// entries beside good manifests are each named once with their reason and stop nothing; a running
// manifest replaced by something unreadable keeps its pod; a symlink to nowhere removes it.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmod, mkdir, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, it } from 'node:test';
import { manifest, sleep, useTestNode, waitFor } from '../support/harness.js';

/** Root that reads only what file modes let it: mode 000 is unreadable, as for any other user. */
const WITHOUT_READ_OVERRIDE = ['setpriv', '--bounding-set=-dac_override,-dac_read_search'];

describe('manifest directory entries', () => {
  const node = useTestNode();
  let server: Server | undefined;
  afterEach(async () => {
    await new Promise((r) => (server ? server.close(r) : r(undefined)));
    server = undefined;
  });
  const at = (name: string) => join(node.manifests, name);
  /** Puts `make`'s entry in the place of `name` in one rename, as a careful writer does. */
  const replaceWith = async (name: string, make: (tmp: string) => Promise<void> | void) => {
    const tmp = at(`.${name}.tmp`);
    await make(tmp);
    await rename(tmp, at(name));
  };

  it('bad entries are named once each with their reason and never stop a good manifest added after them', async () => {
    await node.writeManifest('web.yaml', manifest('web'));
    await symlink('b.yaml', at('a.yaml'));
    await symlink('a.yaml', at('b.yaml'));
    execFileSync('mkfifo', [at('fifo.yaml')]);
    await symlink('/dev/zero', at('zero.yaml'));
    await symlink(at('nowhere.yaml'), at('dangling.yaml'));
    await mkdir(at('dir.yaml'));
    server = createServer();
    await new Promise<void>((resolve) => server!.listen(at('sock.yaml'), resolve));
    await writeFile(at('big.yaml'), `${manifest('big')}#${' '.repeat(1024 * 1024)}\n`);
    await writeFile(at('locked.yaml'), manifest('locked'));
    await chmod(at('locked.yaml'), 0o000);
    const bad: [string, RegExp][] = [
      ['a.yaml', /invalid manifest: .*a\.yaml: a symlink loop/],
      ['b.yaml', /invalid manifest: .*b\.yaml: a symlink loop/],
      ['fifo.yaml', /invalid manifest: .*fifo\.yaml: a FIFO, not a regular file; nothing started from it/],
      ['zero.yaml', /invalid manifest: .*zero\.yaml: a symlink to \/dev\/zero, which is a character device/],
      ['dangling.yaml', /skipped: a symlink to .*nowhere\.yaml, which does not exist: as if there were no file/],
      ['dir.yaml', /invalid manifest: .*dir\.yaml: a directory, not a regular file/],
      ['sock.yaml', /invalid manifest: .*sock\.yaml: a socket, not a regular file/],
      ['big.yaml', /invalid manifest: .*big\.yaml: larger than 1 MiB, the limit on a manifest/],
      ['locked.yaml', /invalid manifest: .*locked\.yaml: cannot read it: permission denied \(EACCES\)/],
    ];

    const agent = await node.startAgent(['--file-check-frequency=1s'], { prefix: WITHOUT_READ_OVERRIDE });
    await waitFor('web running', () => node.running('web', 'main'));
    for (const [, reason] of bad) await agent.waitForLog(reason);

    // A good manifest added after the bad entries runs.
    await node.writeManifest('later.yaml', manifest('later'));
    await waitFor('later running', () => node.running('later', 'main'));

    await sleep(2_500); // rescans come and go
    for (const [name] of bad) {
      const lines = agent.logs.filter((l) => l.includes(`${at(name)}:`) || l.includes(`"${at(name)}"`));
      assert.equal(lines.length, 1, `${name} named once:\n${lines.join('\n')}`);
    }
    assert.ok(!agent.logs.some((l) => /scan failed/.test(l)), 'no scan failed');
    const pods = (await node.sandboxes()).map((s) => s.metadata.name).sort();
    assert.deepEqual(pods, [node.podName('later'), node.podName('web')]);
  });

  it('a running manifest replaced by a FIFO or a device keeps its pod and says why; a symlink to nowhere removes it', async () => {
    await node.writeManifest('web.yaml', manifest('web'));
    const agent = await node.startAgent(['--file-check-frequency=1s']);
    const c = await waitFor('web running', () => node.running('web', 'main'));

    await replaceWith('web.yaml', (tmp) => void execFileSync('mkfifo', [tmp]));
    await agent.waitForLog(/invalid manifest: .*web\.yaml: a FIFO, not a regular file; keeping the last valid version/);
    await replaceWith('web.yaml', (tmp) => symlink('/dev/zero', tmp));
    await agent.waitForLog(/invalid manifest: .*web\.yaml: a symlink to \/dev\/zero, which is a character device/);
    await sleep(2_000); // rescans and relists come and go
    assert.equal((await node.running('web', 'main'))?.id, c.id, 'the pod kept running, untouched');
    assert.equal(agent.logs.filter((l) => /web\.yaml: a FIFO/.test(l)).length, 1, 'each reason said once');

    // The manifest comes back as a symlink to a file elsewhere: the same pod, nothing restarts.
    const target = join(node.dir, 'elsewhere.yaml');
    await writeFile(target, manifest('web'));
    await replaceWith('web.yaml', (tmp) => symlink(target, tmp));
    await sleep(2_000);
    assert.equal((await node.running('web', 'main'))?.id, c.id);

    // Its target is deleted: as if the manifest were, the pod goes.
    await rm(target);
    await agent.waitForLog(/not a manifest, skipped: a symlink to .*elsewhere\.yaml, which does not exist/);
    await waitFor('web removed', async () => (await node.sandboxes()).length === 0);
  });
});
