// Property-based tests of manifest reading: whatever shape a manifest has, readManifest (what the
// directory and URL sources call) gives either one valid pod named <metadata.name>-<node> that the
// CRI translation accepts, or problems that each name the origin, a line and a reason; never an
// exception. The manifests are the examples, kubeadm's and every-field.yaml, damaged at random
// paths (null, another type, '', a deleted key, an unknown key, a list around a value) and written
// as YAML or JSON, with or without a byte-order mark and CRLF line endings. Fixed seeds: a failure
// is reproducible (and `STATICLET_PROPERTY_RUNS=20000` runs a longer search).
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { parse } from 'yaml';
import { INTERNAL_ERROR, readManifest, type ReadResult } from '../../src/core/manifest/read-manifest.js';
import type { StaticPod } from '../../src/core/model/static-pod.js';
import { qosClass } from '../../src/core/qos.js';
import {
  ContainerConfigError,
  containerConfig,
  sandboxConfig,
  type RuntimeSpecOptions,
} from '../../src/core/runtime-spec.js';
import { REPO } from '../support/harness.js';
import {
  applyMutation,
  mutation,
  serialisation,
  serialise,
  type JsonValue,
  type Serialisation,
} from '../support/manifest-mutations.js';

const NODE = 'node1';
const ORIGIN = '/etc/kubernetes/manifests/pod.yaml';
const RUNS = { seed: 22, numRuns: Number(process.env.STATICLET_PROPERTY_RUNS ?? 500) };

/** The examples, kubeadm's control plane, and one pod with every nested object the validator reads. */
const BASES: JsonValue[] = ['examples', 'test/fixtures/kubeadm', 'test/fixtures/manifests']
  .map((d) => join(REPO, d))
  .flatMap((dir) =>
    readdirSync(dir)
      .filter((f) => f.endsWith('.yaml'))
      .map((f) => parse(readFileSync(join(dir, f), 'utf8')) as JsonValue),
  );

const OPTS: RuntimeSpecOptions = {
  nodeName: NODE,
  podLogsDir: '/var/log/pods',
  rootDir: '/var/lib/staticlet',
  clusterDNS: ['10.96.0.10'],
  clusterDomain: 'cluster.local',
  hostDns: { servers: ['192.0.2.53'], searches: ['corp.example'], options: ['ndots:2'] },
  nodeIP: '192.0.2.10',
  nodeAllocatable: { cpuMilli: 2000, memoryBytes: 4 * 2 ** 30 },
};

/** A valid manifest with one to three random mutations. */
const damaged: fc.Arbitrary<JsonValue> = fc
  .record({
    base: fc.constantFrom(...BASES),
    mutations: fc.array(mutation, { minLength: 1, maxLength: 3 }),
  })
  .map(({ base, mutations }) => mutations.reduce(applyMutation, base));

function read(text: string): ReadResult {
  return readManifest(text, { nodeName: NODE, source: 'file', origin: ORIGIN, seenAt: 0 });
}

function lineCount(text: string): number {
  return text.split(/\r?\n/).length;
}

/** The guarantee: one sane pod with the manifest's name, or problems that each say where and why. */
function assertTotal(value: JsonValue, text: string, result: ReadResult): void {
  if (result.ok) {
    assert.equal(result.pods.length, 1);
    const name = (value as { metadata: { name: unknown } }).metadata.name;
    assert.equal(typeof name, 'string');
    assert.equal(result.pods[0]!.name, `${name as string}-${NODE}`);
    assertSane(result.pods[0]!);
    return;
  }
  assert.ok(result.problems.length > 0);
  for (const p of result.problems) {
    assert.equal(p.origin, ORIGIN);
    assert.equal(typeof p.message, 'string');
    assert.ok(p.message.length > 0);
    assert.ok(!p.message.startsWith(INTERNAL_ERROR), p.message);
    assert.ok(Number.isInteger(p.line) && p.line! >= 1 && p.line! <= lineCount(text), `line ${p.line}`);
    if (p.field !== undefined) assert.ok(typeof p.field === 'string' && p.field.length > 0);
  }
}

/** The shape the rest of the agent relies on, and the CRI translation of every container. */
function assertSane(pod: StaticPod): void {
  const { metadata, spec } = pod.pod;
  assert.equal(metadata?.name, pod.name);
  assert.equal(metadata?.namespace, pod.namespace);
  assert.match(pod.namespace, /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
  assert.match(pod.uid, /^[0-9a-f]{32}$/);
  assert.equal(metadata?.annotations?.['kubernetes.io/config.hash'], pod.uid);
  assert.equal(spec?.nodeName, NODE);
  assert.ok(Array.isArray(spec.containers) && spec.containers.length > 0);
  const all = [...(spec.initContainers ?? []), ...spec.containers];
  for (const c of all) {
    assert.ok(c !== null && typeof c === 'object');
    assert.equal(typeof c.name, 'string');
    assert.ok(typeof c.image === 'string' && c.image.trim() !== '');
  }
  for (const vol of spec.volumes ?? []) {
    assert.equal(typeof vol.name, 'string');
    assert.ok(typeof vol.hostPath?.path === 'string' || (vol.emptyDir !== null && typeof vol.emptyDir === 'object'));
  }
  assert.ok(Array.isArray(spec.tolerations));
  sandboxConfig(pod, 0, OPTS);
  qosClass(pod.pod);
  for (const c of all) {
    try {
      containerConfig(pod, c, spec.containers.indexOf(c) < 0, 0, OPTS, {
        sandboxIPs: ['10.203.0.5'],
        imageUser: { uid: '0' },
        nodeHosts: '127.0.0.1 localhost\n',
      });
    } catch (err) {
      // The documented way a container that cannot be made here and now is refused.
      if (!(err instanceof ContainerConfigError)) throw err;
    }
  }
}

function withBomAndCrlf(s: Serialisation): Serialisation {
  return { ...s, bom: true, crlf: true };
}

describe('manifest reading is total (property-based)', () => {
  it('the valid manifests are valid as they stand, in every serialisation', () => {
    fc.assert(
      fc.property(fc.constantFrom(...BASES), serialisation, (value, s) => {
        const result = read(serialise(value, s));
        assert.ok(result.ok, JSON.stringify(!result.ok && result.problems));
        assertTotal(value, serialise(value, s), result);
      }),
      { seed: RUNS.seed, numRuns: 100 },
    );
  });

  it('a damaged manifest gives one sane pod named <metadata.name>-<node>, or located problems; never a throw', () => {
    fc.assert(
      fc.property(damaged, serialisation, (value, s) => {
        const text = serialise(value, s);
        assertTotal(value, text, read(text));
      }),
      RUNS,
    );
  });

  it('a byte-order mark and CRLF line endings change nothing: the same pods, the same problems and lines', () => {
    fc.assert(
      fc.property(damaged, serialisation, (value, s) => {
        const plain = read(serialise(value, { ...s, bom: false, crlf: false }));
        assert.deepEqual(read(serialise(value, withBomAndCrlf(s))), plain);
      }),
      { seed: RUNS.seed, numRuns: 200 },
    );
  });

  it('YAML and JSON of one value give the same pods, or the same problems (lines apart)', () => {
    const unlocated = (r: ReadResult) =>
      r.ok ? r.pods : r.problems.map((p) => `${p.field ?? ''}: ${p.message}`).sort();
    fc.assert(
      fc.property(damaged, (value) => {
        const yaml = read(serialise(value, { format: 'yaml', bom: false, crlf: false }));
        const json = read(serialise(value, { format: 'json', bom: false, crlf: false }));
        assert.deepEqual(unlocated(yaml), unlocated(json));
      }),
      { seed: RUNS.seed, numRuns: 200 },
    );
  });

  it('a URL list of damaged pods gives every pod, or problems located in their items', () => {
    fc.assert(
      fc.property(fc.array(damaged, { minLength: 1, maxLength: 3 }), serialisation, (items, s) => {
        const text = serialise({ apiVersion: 'v1', kind: 'List', items }, s);
        const result = readManifest(text, { nodeName: NODE, source: 'http', origin: ORIGIN, seenAt: 0 });
        if (result.ok) {
          assert.equal(result.pods.length, items.length);
          result.pods.forEach((pod, i) => {
            assert.equal(pod.name, `${(items[i] as { metadata: { name: string } }).metadata.name}-${NODE}`);
            assertSane(pod);
          });
        } else assertTotal(items, text, result);
      }),
      { seed: RUNS.seed, numRuns: 100 },
    );
  });

  it('a second document is an error at its own line, whatever the two documents hold', () => {
    fc.assert(
      fc.property(damaged, damaged, serialisation, (first, second, s) => {
        const head = serialise(first, { ...s, bom: false, crlf: false }).replace(/\n?$/, '\n');
        const body = `${head}---\n${serialise(second, { ...s, bom: false, crlf: false })}`;
        const text = `${s.bom ? '\uFEFF' : ''}${s.crlf ? body.replace(/\n/g, '\r\n') : body}`;
        const result = read(text);
        assert.equal(result.ok, false);
        const problems = result.ok ? [] : result.problems;
        assert.equal(problems.length, 1);
        assert.match(problems[0]!.message, /found 2 documents/);
        assert.equal(problems[0]!.line, lineCount(head) + 1);
      }),
      { seed: RUNS.seed, numRuns: 200 },
    );
  });
});
