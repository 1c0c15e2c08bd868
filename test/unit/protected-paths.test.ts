// A writable hostPath mount may not reach the agent's own state or credentials unless the
// manifest names that exact path; read-only mounts and unrelated paths are not concerned.
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { volumeMounts } from '../../src/core/spec/volumes.js';
import { checkNotProtected, overlaps } from '../../src/runtime/protected-paths.js';
import { staticPod } from '../support/fixtures.js';

describe('protected paths', () => {
  it('overlaps: the same path, a path above, a path inside; not a sibling with a common prefix', () => {
    assert.ok(overlaps('/var/lib/staticlet', '/var/lib/staticlet'));
    assert.ok(overlaps('/var/lib', '/var/lib/staticlet'));
    assert.ok(overlaps('/', '/var/lib/staticlet'));
    assert.ok(overlaps('/var/lib/staticlet/pods/x', '/var/lib/staticlet'));
    assert.ok(!overlaps('/var/lib/staticlet2', '/var/lib/staticlet'));
    assert.ok(!overlaps('/etc', '/var/lib/staticlet'));
  });

  it('refuses a path above, inside or linked to a protected path; allows it by its exact name', async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'staticlet-protect-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const root = join(dir, 'state');
    await mkdir(join(root, 'pods'), { recursive: true });
    await mkdir(join(dir, 'data'));
    await symlink(root, join(dir, 'link'));
    const kubeconfig = join(dir, 'kubelet.conf');
    const guarded = [root, kubeconfig];
    const refused = (p: string) => checkNotProtected(p, guarded, 'volume "v"');

    await assert.rejects(
      refused(dir),
      /would reach the agent's own .*state; mount it readOnly, or name .*state exactly/,
    );
    await assert.rejects(refused(join(root, 'pods')), /state/);
    await assert.rejects(refused(join(dir, 'link')), /state/, 'a symlink to the root directory');
    await assert.rejects(refused(join(dir, 'link', 'pods', 'new')), /state/, 'not there yet, below a symlink');
    await assert.rejects(refused('/'), /state/);
    await refused(root); // the exact path: asked for
    await refused(kubeconfig);
    await refused(join(dir, 'data'));
    await refused(join(dir, 'state2'));
  });

  it('the core asks for the check on writable hostPath mounts only, first, with the subPath', () => {
    const pod = staticPod('web', undefined, {
      extra: `  volumes:
    - {name: host, hostPath: {path: /var/lib, type: Directory}}
    - {name: scratch, emptyDir: {}}
`,
    });
    const container = {
      ...pod.pod.spec!.containers[0]!,
      volumeMounts: [
        { name: 'host', mountPath: '/rw', subPath: 'staticlet' },
        { name: 'host', mountPath: '/ro', readOnly: true },
        { name: 'scratch', mountPath: '/scratch' },
      ],
    };
    const { prepare } = volumeMounts(pod.pod, container, {
      rootDir: '/var/lib/staticlet',
      uid: pod.uid,
      protectedPaths: ['/var/lib/staticlet'],
    });
    assert.deepEqual(prepare[0], {
      kind: 'notProtected',
      path: '/var/lib/staticlet',
      protectedPaths: ['/var/lib/staticlet'],
      what: 'volume "host" (hostPath /var/lib/staticlet)',
    });
    assert.equal(prepare.filter((p) => p.kind === 'notProtected').length, 1);
  });
});
