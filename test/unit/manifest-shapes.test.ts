// One example of each class of malformed manifest: each gives problems naming the line, the field
// and the reason, never a pod with a made-up name and never an exception. The property-based
// tests (manifest-properties.test.ts) cover the same ground at random.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readManifest } from '../../src/core/manifest/read-manifest.js';
import type { ManifestProblem } from '../../src/core/model/events.js';
import { NODE } from '../support/fixtures.js';

const ORIGIN = '/m/web.yaml';
const HEAD = 'apiVersion: v1\nkind: Pod\n';
const META = 'metadata:\n  name: web\n';
const SPEC = 'spec:\n  containers:\n    - name: web\n      image: busybox\n';
const POD = HEAD + META + SPEC;

function read(text: string, source: 'file' | 'http' = 'file') {
  return readManifest(text, { nodeName: NODE, source, origin: ORIGIN, seenAt: 0 });
}

/** The one problem of `text`: it has the origin and a line, and its field and message match. */
function problem(text: string, field: string | undefined, message: RegExp, line?: number): ManifestProblem {
  const r = read(text);
  assert.equal(r.ok, false, `expected a problem, got the pod ${r.ok && r.pods[0]?.name}`);
  const problems = r.ok ? [] : r.problems;
  assert.equal(problems.length, 1, JSON.stringify(problems));
  const p = problems[0]!;
  assert.equal(p.origin, ORIGIN);
  assert.equal(p.field, field);
  assert.match(p.message, message);
  assert.ok(Number.isInteger(p.line), 'a line');
  if (line !== undefined) assert.equal(p.line, line);
  return p;
}

function podName(text: string): string {
  const r = read(text);
  assert.ok(r.ok, JSON.stringify(!r.ok && r.problems));
  return r.pods[0]!.name;
}

describe('manifests of every shape: a valid pod or located problems', () => {
  it('metadata present but empty (null) is a problem, not a pod named undefined-<node>', () => {
    problem(HEAD + 'metadata: {"": x, name: web}\n' + SPEC, 'metadata.""', /unknown or unsupported field ""/, 3);
    problem(HEAD + 'metadata:\n' + SPEC, 'metadata', /metadata must be a mapping, found null/, 3);
    problem(HEAD + 'metadata: ""\n' + SPEC, 'metadata', /must be a mapping, found the string ""/, 3);
    problem(HEAD + 'metadata: []\n' + SPEC, 'metadata', /must be a mapping, found a list/, 3);
    problem(HEAD + 'metadata: {}\n' + SPEC, 'metadata.name', /name is required/, 3);
    problem(HEAD + 'metadata:\n  name:\n' + SPEC, 'metadata.name', /name is required/);
    problem(HEAD + 'metadata:\n  name: ""\n' + SPEC, 'metadata.name', /not a valid name/, 4);
    problem(HEAD + SPEC, 'metadata', /metadata is missing/);
  });

  it('a null, missing or mistyped spec is a problem', () => {
    problem(HEAD + META + 'spec:\n', 'spec', /spec must be a mapping, found null/, 5);
    problem(HEAD + META + 'spec: x\n', 'spec', /must be a mapping, found the string "x"/, 5);
    problem(HEAD + META, 'spec', /spec is missing/);
  });

  it('containers: [null] is a problem at the item, not a TypeError', () => {
    problem(
      HEAD + META + 'spec:\n  containers: [null]\n',
      'spec.containers[0]',
      /a container must be a mapping, found null/,
      6,
    );
    problem(HEAD + META + 'spec:\n  containers:\n    -\n', 'spec.containers[0]', /found null/);
    problem(HEAD + META + 'spec:\n  containers: [web]\n', 'spec.containers[0]', /found the string "web"/);
    problem(HEAD + META + 'spec:\n  containers: x\n', 'spec.containers', /must be a list, found the string "x"/, 6);
    problem(HEAD + META + 'spec:\n  containers: {name: web}\n', 'spec.containers', /must be a list, found a mapping/);
    problem(HEAD + META + 'spec:\n  containers:\n', 'spec.containers', /at least one container/);
    problem(HEAD + META + 'spec:\n  containers: []\n', 'spec.containers', /at least one container/);
  });

  it('a null item in any list of mappings is a problem at the item', () => {
    const lists: [string, string][] = [
      ['      ports: [null]\n', 'spec.containers[0].ports[0]'],
      ['      env: [null]\n', 'spec.containers[0].env[0]'],
      ['      volumeMounts: [null]\n', 'spec.containers[0].volumeMounts[0]'],
      ['  volumes: [null]\n', 'spec.volumes[0]'],
      ['  initContainers: [null]\n', 'spec.initContainers[0]'],
      ['  hostAliases: [null]\n', 'spec.hostAliases[0]'],
      ['  tolerations: [null]\n', 'spec.tolerations[0]'],
      ['  dnsConfig: {options: [null]}\n', 'spec.dnsConfig.options[0]'],
      [
        '      readinessProbe: {httpGet: {port: 80, httpHeaders: [null]}}\n',
        'spec.containers[0].readinessProbe.httpGet.httpHeaders[0]',
      ],
    ];
    for (const [line, field] of lists) problem(POD + line, field, /must be a mapping, found null/);
  });

  it('nested objects of the wrong type are problems: probes, lifecycle, securityContext, resources, dnsConfig', () => {
    const c = '      ';
    problem(POD + `${c}livenessProbe: x\n`, 'spec.containers[0].livenessProbe', /must be a mapping/);
    problem(POD + `${c}lifecycle: [x]\n`, 'spec.containers[0].lifecycle', /must be a mapping, found a list/);
    problem(POD + `${c}lifecycle: {preStop: 1}\n`, 'spec.containers[0].lifecycle.preStop', /must be a mapping/);
    problem(POD + `${c}securityContext: 1\n`, 'spec.containers[0].securityContext', /must be a mapping/);
    problem(POD + `${c}resources: {limits: [1]}\n`, 'spec.containers[0].resources.limits', /must be a mapping/);
    problem(
      POD + `${c}resources: {limits: {cpu: {}}}\n`,
      'spec.containers[0].resources.limits.cpu',
      /a mapping is not a valid quantity/,
    );
    problem(POD + '  dnsConfig: x\n', 'spec.dnsConfig', /must be a mapping/);
    problem(
      POD + '  securityContext: {seccompProfile: []}\n',
      'spec.securityContext.seccompProfile',
      /must be a mapping/,
    );
  });

  it('a volume source must be a mapping: hostPath: null is not an emptyDir', () => {
    const vol = (src: string) => POD + `  volumes:\n    - name: v\n      ${src}\n`;
    problem(vol('hostPath:'), 'spec.volumes[0].hostPath', /hostPath must be a mapping, found null/);
    problem(vol('emptyDir:'), 'spec.volumes[0].emptyDir', /emptyDir must be a mapping, found null/);
    problem(vol('hostPath: /data'), 'spec.volumes[0].hostPath', /must be a mapping, found the string/);
    assert.equal(podName(vol('emptyDir: {}')), 'web-node1');
  });

  it('carried fields are checked for type: tolerations, nodeSelector, priority, overhead', () => {
    problem(POD + '  tolerations: 1\n', 'spec.tolerations', /must be a list, found number 1/);
    problem(POD + '  tolerations: {key: a}\n', 'spec.tolerations', /must be a list, found a mapping/);
    problem(
      POD + '  tolerations: [{operator: Sometimes}]\n',
      'spec.tolerations[0].operator',
      /not one of Exists, Equal/,
    );
    problem(POD + '  nodeSelector: [a]\n', 'spec.nodeSelector', /must be a mapping/);
    problem(POD + '  priority: high\n', 'spec.priority', /must be a whole number/);
    problem(POD + '  overhead: {cpu: lots}\n', 'spec.overhead.cpu', /not a valid quantity/);
    const r = read(POD + '  tolerations: [{key: a, operator: Exists}]\n  nodeSelector: {disk: ssd}\n');
    assert.ok(r.ok);
    assert.equal(r.pods[0]!.pod.spec!.tolerations!.length, 2);
  });

  it('keys named like Object.prototype members are unknown fields, not rules', () => {
    for (const key of ['constructor', 'toString', 'hasOwnProperty', '__proto__', 'valueOf']) {
      problem(POD + `  ${key}: x\n`, `spec.${key}`, new RegExp(`unknown field "${key}"`));
      problem(POD + `      ${key}: 1\n`, `spec.containers[0].${key}`, /unknown field/);
      const vol = read(POD + `  volumes:\n    - name: v\n      emptyDir: {}\n      ${key}: {}\n`);
      const messages = vol.ok ? [] : vol.problems.map((p) => p.message);
      assert.ok(messages.includes(`volume type "${key}" is not supported (supported: hostPath, emptyDir)`));
    }
    problem('apiVersion: v1\nkind: {toString: 1}\n' + META + SPEC, 'kind', /must be a string, found a mapping/, 2);
  });

  it('a UTF-8 byte-order mark is read, and problems keep their lines and columns', () => {
    const [withBom] = read('\uFEFFnull\n').ok ? [] : (read('\uFEFFnull\n') as { problems: ManifestProblem[] }).problems;
    assert.equal(withBom!.column, 1);
    assert.equal(podName('\uFEFF' + POD), 'web-node1');
    assert.equal(
      podName(
        '\uFEFF' +
          JSON.stringify({
            apiVersion: 'v1',
            kind: 'Pod',
            metadata: { name: 'j' },
            spec: { containers: [{ name: 'c', image: 'i' }] },
          }),
      ),
      'j-node1',
    );
    problem('\uFEFF' + POD.replace('image: busybox', 'image: 1'), 'spec.containers[0].image', /quote it/, 8);
  });

  it('CRLF line endings are read, and problems keep their lines and columns', () => {
    const crlf = (t: string) => t.replace(/\n/g, '\r\n');
    assert.equal(podName(crlf(POD)), 'web-node1');
    const bad = POD.replace('image: busybox', 'image: 1');
    const lf = problem(bad, 'spec.containers[0].image', /quote it/, 8);
    const withCr = problem(crlf(bad), 'spec.containers[0].image', /quote it/, 8);
    assert.equal(withCr.column, lf.column);
    const r = read(crlf(POD.replace('command', 'x') + '      command:\n        - |\n          a\n          b\n'));
    assert.ok(r.ok);
    assert.deepEqual(r.pods[0]!.pod.spec!.containers[0]!.command, ['a\nb\n'], 'no \\r in a block scalar');
  });

  it('one Pod per file: a second document is an error at its line; empty documents are not documents', () => {
    problem(POD + '---\n' + POD, undefined, /found 2 documents; a manifest holds one \(a Pod\)/, 10);
    problem(POD + '---\nnull\n', undefined, /found 2 documents/, 10);
    problem(POD + '---\n' + POD + '---\n' + POD, undefined, /found 3 documents/, 10);
    assert.equal(podName('---\n' + POD + '...\n'), 'web-node1');
    assert.equal(podName(POD + '---\n'), 'web-node1');
    assert.equal(podName(POD + '---\n# nothing more\n'), 'web-node1');
    problem('', undefined, /the manifest is empty/, 1);
    problem('---\n# only a comment\n', undefined, /the manifest is empty/, 1);
    problem('null\n', undefined, /must be a mapping \(a Pod\), found null/, 1);
    problem('- a\n', undefined, /must be a mapping \(a Pod\), found a list/, 1);
  });

  it('a URL list with a null item or items that are not a list is located too', () => {
    const r = read('apiVersion: v1\nkind: List\nitems: [null]\n', 'http');
    assert.equal(!r.ok && r.problems[0]!.field, 'items[0]');
    assert.equal(!r.ok && r.problems[0]!.line, 3);
    const s = read('apiVersion: v1\nkind: PodList\nitems: x\n', 'http');
    assert.equal(!s.ok && s.problems[0]!.field, 'items');
  });
});
