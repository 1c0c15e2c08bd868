// The two YAML readers: a plain manifest is read by js-yaml (fast), anything unusual and every
// error by the `yaml` library (which knows lines). Which one reads a file must never change a pod.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseManifestText, parseWithPositions, readPlainDocument } from '../../src/core/manifest/parse.js';
import { readManifest } from '../../src/core/manifest/read-manifest.js';
import { REPO } from '../support/harness.js';
import { NODE, podYaml } from '../support/fixtures.js';

function values(result: ReturnType<typeof parseManifestText>): unknown {
  return result.ok ? result.documents.map((d) => d.value) : result.problems;
}

/** Both readers give the same answer for `text`. */
function assertSame(text: string): void {
  assert.deepEqual(values(parseManifestText(text, '/m/x.yaml')), values(parseWithPositions(text, '/m/x.yaml')), text);
}

const SCALARS = [
  '1',
  '-1',
  '+1',
  '017',
  '0o17',
  '0x1F',
  '0b101',
  '1_000',
  '1.5',
  '1e3',
  '+1e-3',
  '1.0e+3',
  '1E3',
  '.5',
  '+.5',
  '1.',
  '0.',
  '-0',
  '00',
  '99999999999999999999',
  '+0x1',
  '-0x1',
  '+0o1',
  '-0o1',
  '0O17',
  '0X1F',
  '0xFF_FF',
  '0x',
  '0o',
  '12e',
  '1:30',
  '.inf',
  '-.inf',
  '+.inf',
  '.Inf',
  '-.Inf',
  '.INF',
  '.nan',
  '.NaN',
  '.NAN',
  '.nAn',
  '~',
  'null',
  'Null',
  'NULL',
  'NuLL',
  '',
  'true',
  'True',
  'TRUE',
  'tRue',
  'false',
  'False',
  'FALSE',
  'yes',
  'no',
  'on',
  'off',
  'y',
  'n',
  '2020-01-01',
  '2020-01-01T00:00:00Z',
  '"1"',
  "'x'",
  '=',
  '<<',
  '[1, 0x1, .5, ~]',
  '{a: .5, b: 0o7}',
  '|\n  0x1',
  '>-\n  12',
];

const KEYS = [
  'null: a',
  '~: a',
  'NULL: a',
  ': a',
  'true: a',
  '1: a',
  '0x10: a',
  '1.50: a',
  '.inf: a',
  '[a, b]: c',
  '{a: 1}: c',
  '? |\n  x\n: a',
  '"null": a',
  '- ~: a',
];

describe('manifest parsing: the fast reader and the full reader agree', () => {
  it('on every plain-scalar spelling of the YAML 1.2 core schema, and on the ones outside it', () => {
    for (const s of SCALARS) assertSame(`v: ${s}\n`);
    for (const s of SCALARS) assertSame(`a:\n  - ${s.replace(/\n/g, '\n    ')}\n`);
  });

  it('on keys that are null, scalars or collections', () => {
    for (const k of KEYS) assertSame(`${k}\n`);
    for (const k of KEYS) assertSame(`labels:\n  ${k.replace(/\n/g, '\n  ')}\n`);
  });

  it('on the example and kubeadm manifests, and on documents the fast reader leaves alone', () => {
    const dirs = [join(REPO, 'examples'), join(REPO, 'test/fixtures/kubeadm')];
    const files = dirs.flatMap((d) =>
      readdirSync(d)
        .filter((f) => f.endsWith('.yaml'))
        .map((f) => join(d, f)),
    );
    assert.ok(files.length >= 4);
    for (const f of files) assertSame(readFileSync(f, 'utf8'));
    for (const text of [
      podYaml('web'),
      '{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "j"}}',
      'a: 1\n---\n',
      '---\na: 1\n...\n',
      'a: 1\n---\nb: 2\n',
      '# only a comment\n',
      '',
      'a: &x 1\nb: *x\n',
      'a: &x [1, {b: 2}]\nc: *x\n',
      'a: &x {b: 1}\nc: [*x, *x]\n',
      `${Array.from({ length: 101 }, (_, i) => `k${i}: *x`).join('\n')}\nx: &x 1\n`,
      'a: !!str 1\nb: !!int "3"\nc: !!float 1\nd: !!map {}\ne: !!seq []\n',
      'a: !custom x\n',
      'a: !!binary aGk=\n',
      '%YAML 1.1\n---\na: yes\n',
      'a: !!str 1\n',
      'a: 1\na: 2\n',
      'a: [1, 2, ]\n',
      'a:\n\t- 1\n',
      '\ufeffa: 1\n',
      "a: \"x\\ty\"\nb: 'it''s'\nc: >\n  folded\n  text\nd: |+\n  keep\n\n",
    ])
      assertSame(text);
  });

  it('the usual manifest takes the fast reader, shell commands with & * ! % included', () => {
    const shell = podYaml('web').replace(
      'command: ["sleep", "3600"]',
      `command: ["sh", "-c", "trap 'exit 0' TERM; ls *.log && echo 100% done! & wait"]`,
    );
    for (const text of [
      podYaml('web'),
      shell,
      readFileSync(join(REPO, 'test/fixtures/kubeadm/kube-apiserver.yaml'), 'utf8'),
    ]) {
      assert.ok(readPlainDocument(text, '/m/x.yaml'), text);
      assertSame(text);
    }
  });

  it('an error found in a fast-read manifest still names its line', () => {
    const text = `apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\nspec:\n  containers:\n    - name: web\n      image: busybox\n      ports:\n        - containerPort: 99999\n`;
    const r = readManifest(text, { nodeName: NODE, source: 'file', origin: '/m/web.yaml', seenAt: 0 });
    assert.equal(r.ok, false);
    if (r.ok) return;
    assert.equal(r.problems[0]!.line, 10);
    assert.equal(r.problems[0]!.field, 'spec.containers[0].ports[0].containerPort');
  });

  it('aliases still go through the full reader and its limit', () => {
    const bomb = [
      'a: &a ["x","x","x","x","x","x","x","x","x","x"]',
      ...Array.from(
        { length: 8 },
        (_, i) =>
          `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array(10)
            .fill(`*${String.fromCharCode(97 + i)}`)
            .join(',')}]`,
      ),
    ].join('\n');
    const r = parseManifestText(bomb, '/m/bomb.yaml');
    assert.equal(r.ok, false);
  });
});
