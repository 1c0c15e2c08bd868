// `staticlet validate`: the agent's reading of files and directories, with no runtime; its lines,
// JSON, summary and exit codes.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseCommand } from '../../src/cli/flags.js';
import { runValidateCommand } from '../../src/cli/validate-command.js';
import type { ValidateJson } from '../../src/cli/validate-output.js';
import { REPO } from '../support/harness.js';

async function validate(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runValidateCommand(args, { stdout: (t) => (out += t), stderr: (t) => (err += t) });
  return { code, out, err };
}

const pod = (name: string, image = 'staticlet.local/busybox:1') =>
  `apiVersion: v1\nkind: Pod\nmetadata:\n  name: ${name}\nspec:\n  containers:\n  - name: app\n    image: ${image}\n`;

describe('validate', () => {
  let dir = '';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'staticlet-validate-'));
    const bad = join(dir, 'bad');
    await mkdir(bad);
    await writeFile(
      join(bad, 'null-metadata.yaml'),
      'apiVersion: v1\nkind: Pod\nmetadata:\nspec:\n  containers:\n  - name: app\n    image: x:1\n',
    );
    await writeFile(join(bad, 'crlf.yaml'), pod('crlf', '5').replaceAll('\n', '\r\n'));
    await writeFile(join(bad, 'bom.yaml'), '\uFEFF' + pod('bom').replace('image:', 'imagee:'));
    await writeFile(join(bad, 'multi.yaml'), pod('one') + '---\n' + pod('two'));
    execFileSync('mkfifo', [join(bad, 'fifo.yaml')]);
    await writeFile(join(bad, 'web.yaml.bak'), 'not: [yaml');
    await writeFile(join(bad, '.web.yaml.swp'), 'not: [yaml');
    await symlink(join(bad, 'nowhere.yaml'), join(bad, 'dangling.yaml'));
    const good = join(dir, 'good');
    await mkdir(good);
    await writeFile(join(good, 'web.yaml'), pod('web'));
    await writeFile(
      join(good, 'db.json'),
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'db' },
        spec: { containers: [{ name: 'db', image: 'x:1' }] },
      }),
    );
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('passes the kubeadm manifests and the examples, with a summary and exit code 0', async () => {
    const r = await validate('--hostname-override=n1', join(REPO, 'test/fixtures/kubeadm'), join(REPO, 'examples'));
    assert.equal(r.code, 0, r.out);
    assert.equal(r.out, '');
    assert.equal(r.err, '6 manifests, 6 pods, no problems\n');
  });

  it('names each problem as file:line:col: field: reason, the FIFO too, and exits 1', async () => {
    const bad = join(dir, 'bad');
    const r = await validate('--hostname-override=n1', bad);
    assert.equal(r.code, 1);
    assert.deepEqual(r.out.trimEnd().split('\n'), [
      `${bad}/bom.yaml:8:13: spec.containers[0].imagee: unknown field "imagee"`,
      `${bad}/bom.yaml:7:5: spec.containers[0].image: image is required`,
      `${bad}/crlf.yaml:8:12: spec.containers[0].image: must be a string, found number 5 (quote it)`,
      `${bad}/fifo.yaml: a FIFO, not a regular file`,
      `${bad}/multi.yaml:10:1: found 2 documents; a manifest holds one (a Pod)`,
      `${bad}/null-metadata.yaml:3:10: metadata: metadata must be a mapping, found null`,
    ]);
    // Entries the agent never reads are told on stderr, and are no problem.
    assert.match(r.err, /\.web\.yaml\.swp: not read: its name starts with a dot/);
    assert.match(r.err, /web\.yaml\.bak: not read: only \.yaml, \.yml, \.json files are read/);
    assert.match(r.err, /dangling\.yaml: not read: a symlink to .*nowhere\.yaml, which does not exist/);
    assert.match(r.err, /5 manifests, 0 pods, 6 problems in 5 manifests; 3 entries skipped\n$/);
  });

  it('reads a file named on the command line whatever its name, as --pod-manifest-path=FILE does', async () => {
    const r = await validate('--hostname-override=n1', join(dir, 'bad', 'web.yaml.bak'));
    assert.equal(r.code, 1);
    assert.match(r.out, /web\.yaml\.bak:1:\d+: /);
  });

  it('finds a pod defined by two manifests, and a path that does not exist', async () => {
    const second = join(dir, 'second');
    await mkdir(second, { recursive: true });
    await writeFile(join(second, 'web.yaml'), pod('web', 'staticlet.local/busybox:2'));
    const r = await validate('--hostname-override=n1', join(dir, 'good'), second, join(dir, 'missing'));
    assert.equal(r.code, 1);
    assert.deepEqual(r.out.trimEnd().split('\n'), [
      `${join(dir, 'missing')}: no such file or directory`,
      `${second}/web.yaml:4:9: metadata.name: pod default/web-n1 is also defined by ${join(dir, 'good')}/web.yaml: the agent runs one of them and ignores the other`,
    ]);
  });

  it('gives one JSON document for CI', async () => {
    const r = await validate(
      '-o',
      'json',
      '--hostname-override=n1',
      join(dir, 'good'),
      join(dir, 'bad', 'null-metadata.yaml'),
    );
    assert.equal(r.code, 1);
    assert.equal(r.err, '');
    const doc = JSON.parse(r.out) as ValidateJson;
    assert.equal(doc.apiVersion, 'staticlet.io/v1');
    assert.equal(doc.kind, 'ValidateResult');
    assert.equal(doc.nodeName, 'n1');
    assert.equal(doc.valid, false);
    assert.deepEqual(doc.summary, { manifests: 3, pods: 2, problems: 1 });
    assert.deepEqual(
      doc.manifests.map((m) => [m.file.slice(dir.length + 1), m.valid, m.pods.map((p) => p.name)]),
      [
        ['bad/null-metadata.yaml', false, []],
        ['good/db.json', true, ['default/db-n1']],
        ['good/web.yaml', true, ['default/web-n1']],
      ],
    );
    const file = join(dir, 'bad', 'null-metadata.yaml');
    assert.deepEqual(doc.manifests[0]!.problems, [
      {
        file,
        line: 3,
        column: 10,
        field: 'metadata',
        message: 'metadata must be a mapping, found null',
        text: `${file}:3:10: metadata: metadata must be a mapping, found null`,
      },
    ]);
    assert.match(doc.manifests[1]!.pods[0]!.uid, /^[0-9a-f]{32}$/);
  });

  it('refuses bad usage with exit code 2', async () => {
    assert.equal((await validate()).code, 2);
    assert.equal((await validate('--bogus', 'x')).code, 2);
    assert.equal((await validate('--output=yaml', 'x')).code, 2);
    assert.equal((await validate('--hostname-override=bad_name', 'x')).code, 2);
    const help = await validate('--help');
    assert.equal(help.code, 0);
    assert.match(help.out, /^Usage: staticlet validate/);
  });

  it('is a subcommand of its own, as is plan', async () => {
    assert.deepEqual(await parseCommand(['validate', '-o', 'json', 'x']), {
      kind: 'validate',
      args: ['-o', 'json', 'x'],
    });
    assert.deepEqual(await parseCommand(['plan', '--pod-manifest-path=/m']), {
      kind: 'plan',
      args: ['--pod-manifest-path=/m'],
    });
  });
});
