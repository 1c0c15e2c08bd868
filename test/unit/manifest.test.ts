import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defaultPullPolicy } from '../../src/core/manifest/identity.js';
import { readManifest } from '../../src/core/manifest/read-manifest.js';
import { NODE, podYaml } from '../support/fixtures.js';

const ctx = (origin = '/m/web.yaml') => ({ nodeName: NODE, source: 'file' as const, origin, seenAt: 0 });

function ok(text: string, origin?: string) {
  const r = readManifest(text, ctx(origin));
  if (!r.ok) assert.fail(`expected valid, got ${JSON.stringify(r.problems)}`);
  return r.pods;
}

function problems(text: string, source: 'file' | 'http' = 'file') {
  const r = readManifest(text, { ...ctx(), source });
  assert.equal(r.ok, false, 'expected problems');
  return r.ok ? [] : r.problems;
}

describe('manifest identity', () => {
  it('names the pod <name>-<node>, defaults the namespace and sets the static pod annotations', () => {
    const [pod] = ok(podYaml('static-web'));
    assert.equal(pod!.name, 'static-web-node1');
    assert.equal(pod!.namespace, 'default');
    assert.equal(pod!.pod.metadata!.uid, pod!.uid);
    assert.equal(pod!.pod.metadata!.annotations!['kubernetes.io/config.hash'], pod!.uid);
    assert.equal(pod!.pod.metadata!.annotations!['kubernetes.io/config.source'], 'file');
    assert.equal(pod!.pod.spec!.nodeName, NODE);
    assert.deepEqual(pod!.pod.spec!.tolerations, [{ operator: 'Exists', effect: 'NoExecute' }]);
    assert.deepEqual(pod!.pod.metadata!.labels, { role: 'myrole' });
  });

  it('keeps the UID through whitespace, comments, key order and JSON versus YAML', () => {
    const base = ok(podYaml('web'))[0]!.uid;
    const spaced = podYaml('web').replace('kind: Pod', '# a comment\nkind:    Pod   # trailing\n');
    assert.equal(ok(spaced)[0]!.uid, base);
    const json = JSON.stringify(
      {
        spec: { containers: [{ command: ['sleep', '3600'], image: 'staticlet.local/busybox:1', name: 'web' }] },
        metadata: { labels: { role: 'myrole' }, name: 'web' },
        kind: 'Pod',
        apiVersion: 'v1',
      },
      null,
      2,
    );
    assert.equal(ok(json)[0]!.uid, base);
  });

  it('changes the UID when the content, the node or the origin changes', () => {
    const base = ok(podYaml('web'))[0]!.uid;
    assert.notEqual(ok(podYaml('web', { image: 'other:1' }))[0]!.uid, base);
    assert.notEqual(ok(podYaml('web'), '/m/other.yaml')[0]!.uid, base);
    const r = readManifest(podYaml('web'), { ...ctx(), nodeName: 'node2' });
    assert.ok(r.ok && r.pods[0]!.uid !== base);
  });

  it('applies the kubelet defaults after hashing', () => {
    const [pod] = ok(podYaml('web'));
    const spec = pod!.pod.spec!;
    assert.equal(spec.restartPolicy, 'Always');
    assert.equal(spec.dnsPolicy, 'ClusterFirst');
    assert.equal(spec.terminationGracePeriodSeconds, 30);
    assert.equal(spec.containers[0]!.imagePullPolicy, 'IfNotPresent');
  });

  it('defaults imagePullPolicy by tag like the kubelet', () => {
    assert.equal(defaultPullPolicy('busybox'), 'Always');
    assert.equal(defaultPullPolicy('busybox:latest'), 'Always');
    assert.equal(defaultPullPolicy('registry:5000/busybox'), 'Always');
    assert.equal(defaultPullPolicy('registry:5000/busybox:1.36'), 'IfNotPresent');
    assert.equal(defaultPullPolicy('busybox@sha256:abcd'), 'IfNotPresent');
  });
});

describe('manifest validation', () => {
  it('names the line and the field of a missing image', () => {
    const text = podYaml('web').replace('      image: staticlet.local/busybox:1\n', '');
    const [p] = problems(text);
    assert.equal(p!.origin, '/m/web.yaml');
    assert.equal(p!.field, 'spec.containers[0].image');
    assert.match(p!.message, /image is required/);
    assert.equal(p!.line, 9, 'the line of the container that lacks the image');
  });

  it('reports YAML syntax errors with their line', () => {
    const [p] = problems('apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n   bad: indent\n');
    assert.equal(p!.line, 4);
  });

  it('refuses duplicate container names, bad names and unknown restart policies', () => {
    const dup = podYaml('web', { containers: ['a', 'a'] });
    assert.match(problems(dup)[0]!.message, /used twice/);
    assert.match(problems(podYaml('Web_1'))[0]!.message, /not a valid name/);
    const bad = podYaml('web', { restartPolicy: 'Sometimes' });
    assert.match(problems(bad)[0]!.message, /"Sometimes" is not one of Always, OnFailure, Never/);
  });

  it('refuses references to API objects', () => {
    const secretVol = podYaml('web', { extra: '  volumes:\n    - name: s\n      secret:\n        secretName: x\n' });
    assert.match(problems(secretVol)[0]!.message, /may not reference Secrets/);
    const sa = podYaml('web').replace('spec:\n', 'spec:\n  serviceAccountName: builder\n');
    assert.match(problems(sa)[0]!.message, /service account/);
    const envFrom = podYaml('web').replace(
      '      command:',
      '      envFrom:\n        - configMapRef: {name: x}\n      command:',
    );
    assert.match(problems(envFrom)[0]!.message, /ConfigMaps or Secrets/);
  });

  it('refuses fields that are not supported yet instead of ignoring them, but accepts empty ones', () => {
    const probe = podYaml('web').replace(
      '      command:',
      '      volumeDevices:\n        - {name: disk, devicePath: /dev/xvda}\n      command:',
    );
    const [p] = problems(probe);
    assert.equal(p!.field, 'spec.containers[0].volumeDevices');
    assert.match(p!.message, /not supported yet/);
    ok(podYaml('web').replace('      command:', '      volumeDevices: []\n      command:'));
  });

  it('accepts scheduler-only fields and carries them', () => {
    const [pod] = ok(
      podYaml('web').replace('spec:\n', 'spec:\n  priorityClassName: system-node-critical\n  priority: 2000001000\n'),
    );
    assert.equal(pod!.pod.spec!.priorityClassName, 'system-node-critical');
  });

  it('says a number where a string belongs should be quoted', () => {
    const text = podYaml('web').replace(
      '      command:',
      '      env:\n        - name: PORT\n          value: 8080\n      command:',
    );
    assert.match(problems(text)[0]!.message, /quote it/);
  });

  it('holds one Pod per file; a URL may hold a PodList or a List', () => {
    assert.match(problems(podYaml('a') + '---\n' + podYaml('b'))[0]!.message, /2 documents/);
    const list = `apiVersion: v1\nkind: List\nitems:\n${[podYaml('a'), podYaml('b')].map((t) => '  - ' + t.split('\n').join('\n    ')).join('\n')}`;
    const r = readManifest(list, { ...ctx('http://127.0.0.1/pods'), source: 'http' });
    assert.ok(r.ok, JSON.stringify(!r.ok && r.problems));
    assert.deepEqual(r.ok && r.pods.map((p) => p.name), ['a-node1', 'b-node1']);
    assert.match(problems(list)[0]!.message, /not a Pod/);
  });

  it('locates problems inside list items', () => {
    const list = `apiVersion: v1\nkind: PodList\nitems:\n  - ${podYaml('a').split('\n').join('\n    ')}\n  - apiVersion: v1\n    kind: Pod\n    metadata: {name: b}\n    spec:\n      containers:\n        - name: c\n`;
    const p = problems(list, 'http');
    assert.equal(p[0]!.field, 'items[1].spec.containers[0].image');
    assert.equal(p[0]!.line, 21, 'the container that lacks the image');
  });
});
