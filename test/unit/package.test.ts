// The release tarball (`npm pack`, docs/operations.md) is installed on nodes with no registry: it
// must carry every runtime dependency, and the files the installed agent and its unit need.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';

interface PackageJson {
  dependencies: Record<string, string>;
  bundleDependencies: string[];
  files: string[];
  bin: Record<string, string>;
  scripts: Record<string, string>;
}

const pkg = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as PackageJson;

describe('the npm package', () => {
  it('bundles every dependency (a new one goes in bundleDependencies too)', () => {
    assert.deepEqual([...pkg.bundleDependencies].sort(), Object.keys(pkg.dependencies).sort());
  });

  it('ships the launcher, the build, the protos, the unit and its config, and builds before packing', () => {
    assert.equal(pkg.bin.staticlet, 'bin/staticlet');
    for (const f of ['bin', 'dist/src', 'src/runtime/cri/proto', 'src/runtime/containerd/proto', 'contrib'])
      assert.ok(pkg.files.includes(f), f);
    assert.match(pkg.scripts.prepack ?? '', /build/);
  });
});
