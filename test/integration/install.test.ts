// A release installed without a source checkout, as docs/operations.md tells: `npm pack` makes
// one self-contained tarball (the dependencies bundled), `npm install -g --prefix` installs it
// with no registry (--offline), and the installed staticlet answers --version and --help, runs a
// pod from the example config, and its systemd unit passes `systemd-analyze verify`.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { manifest, REPO, useTestNode, waitFor } from '../support/harness.js';

const run = promisify(execFile);
const UNIT_BINARY = '/usr/local/bin/staticlet';

describe('install from an npm pack tarball', () => {
  const node = useTestNode();

  it('installs offline, runs, and its unit verifies', { timeout: 600_000 }, async () => {
    const version = (JSON.parse(await readFile(join(REPO, 'package.json'), 'utf8')) as { version: string }).version;
    // scripts/test.sh has just built dist/: the prepack build is skipped (it would build again).
    const packed = await run('npm', ['pack', '--ignore-scripts', '--pack-destination', node.dir], {
      cwd: REPO,
      timeout: 300_000,
      maxBuffer: 64 << 20,
    });
    const tarball = join(node.dir, packed.stdout.trim().split('\n').at(-1)!);
    assert.equal(tarball, join(node.dir, `staticlet-${version}.tgz`));

    const prefix = join(node.dir, 'prefix');
    // --offline: the tarball carries its dependencies, so a node needs no registry.
    await run('npm', ['install', '-g', '--prefix', prefix, '--offline', '--no-audit', '--no-fund', tarball], {
      cwd: node.dir,
      timeout: 300_000,
    });
    const installed = join(prefix, 'bin/staticlet');
    assert.equal((await run(installed, ['--version'])).stdout, `staticlet ${version}\n`);
    assert.match((await run(installed, ['--help'])).stdout, /^Usage: staticlet/);

    // The installed package carries the unit and the example config.
    const packageDir = join(prefix, 'lib/node_modules/staticlet');
    const unit = await readFile(join(packageDir, 'contrib/systemd/staticlet.service'), 'utf8');
    assert.ok(unit.includes(`ExecStart=${UNIT_BINARY} --config=/etc/staticlet/config.yaml`));
    // verify needs ExecStart to exist: the unit as installed with this prefix.
    const unitFile = join(node.dir, 'staticlet.service');
    await writeFile(unitFile, unit.replaceAll(UNIT_BINARY, installed));
    const verified = await run('systemd-analyze', ['verify', unitFile], { timeout: 60_000 });
    // verify exits 0 on a directive it ignores: every warning counts.
    assert.equal(verified.stderr.trim(), '');

    // The installed agent on the example config, the manifest directory pointed at the test's.
    const example = await readFile(join(packageDir, 'contrib/systemd/config.yaml'), 'utf8');
    const config = join(node.dir, 'config.yaml');
    await writeFile(config, example.replace('/etc/kubernetes/manifests', node.manifests));
    await node.writeManifest('web.yaml', manifest('web'));
    const agent = await node.startAgent([`--config=${config}`], { manifests: null, launcher: installed });
    await waitFor('web running from the installed agent', () => node.running('web', 'main'), 60_000);
    assert.equal(await agent.stop('SIGTERM'), 0);
  });
});
