// The release tarball (`npm pack`, docs/operations.md) is installed on nodes with no registry: the
// agent is one bundle (scripts/bundle-agent.ts) with its packages inside, so the tarball needs no
// dependencies, only the files the installed agent and its unit need.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';

interface PackageJson {
  dependencies?: Record<string, string>;
  devDependencies: Record<string, string>;
  files: string[];
  bin: Record<string, string>;
  scripts: Record<string, string>;
}

const pkg = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as PackageJson;

describe('the npm package', () => {
  it('has no runtime dependencies: a package the agent imports is bundled into it at build time', () => {
    assert.deepEqual(Object.keys(pkg.dependencies ?? {}), []);
    for (const used of ['rxjs', 'protobufjs', 'pino', 'chokidar', '@kubernetes/client-node', 'esbuild'])
      assert.ok(pkg.devDependencies[used], `${used} in devDependencies`);
  });

  it('ships the launcher, the build, the protos, the unit and its config, and builds before packing', () => {
    assert.equal(pkg.bin.staticlet, 'bin/staticlet');
    for (const f of ['bin', 'dist/agent', 'src/runtime/cri/proto', 'src/runtime/containerd/proto', 'contrib'])
      assert.ok(pkg.files.includes(f), f);
    assert.match(pkg.scripts.prepack ?? '', /build/);
  });
});
