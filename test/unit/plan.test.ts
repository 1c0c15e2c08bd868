// `staticlet plan` in the core: the agent's first events folded through step, said per pod; and
// what it prints (text, JSON, exit code).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { EventBody } from '../../src/core/model/events.js';
import type { StaticPod } from '../../src/core/model/static-pod.js';
import { CHANGES, describePlan, planActions, type PlanEntry } from '../../src/core/plan.js';
import { replacementReasons, sameImage, type RunningPodFacts } from '../../src/core/plan-reasons.js';
import { ANNOTATION, LABEL } from '../../src/core/runtime-labels.js';
import { containerHash } from '../../src/core/runtime-spec.js';
import { hasChanges, planJson, planText, summaryLine } from '../../src/cli/plan-output.js';
import { takeOutputFlag } from '../../src/cli/output-format.js';
import { container, manifestRead, relist, sandbox, staticPod } from '../support/fixtures.js';

const synced: EventBody = { type: 'SourceSynced', source: 'file', sourceId: '/etc/manifests' };

/** What the runtime shows of `pod` as the agent started it. */
function factsOf(pod: StaticPod): RunningPodFacts {
  const spec = pod.pod.spec!;
  return {
    origin: pod.origin,
    labels: { ...pod.pod.metadata!.labels, [LABEL.podUid]: pod.uid, [LABEL.podName]: pod.name },
    annotations: {
      ...pod.pod.metadata!.annotations,
      [ANNOTATION.origin]: pod.origin,
      [ANNOTATION.configSource]: pod.source,
      [ANNOTATION.gracePeriod]: String(spec.terminationGracePeriodSeconds ?? 30),
    },
    containers: [
      ...(spec.initContainers ?? []).map((c) => ({
        name: c.name,
        image: c.image!,
        hash: containerHash(c),
        init: true,
      })),
      ...spec.containers.map((c) => ({ name: c.name, image: c.image!, hash: containerHash(c), init: false })),
    ],
  };
}

/** `pods` run (one sandbox and its containers running each); `manifests` are what the sources read. */
function plan(running: StaticPod[], events: EventBody[]): PlanEntry[] {
  const sandboxes = running.map((p, i) => sandbox(p, `sb${i}`));
  const containers = running.flatMap((p, i) =>
    p.pod.spec!.containers.map((c) => container(p, `c${i}-${c.name}`, `sb${i}`, c.name)),
  );
  const { state, actions } = planActions(['file'], [...events, relist(sandboxes, containers)], 1_000);
  return describePlan(state, actions, new Map(running.map((p) => [p.uid, factsOf(p)])));
}

const brief = (entries: PlanEntry[]) => entries.map((e) => `${e.action} ${e.pod ?? e.origin}`);

describe('plan', () => {
  it('on an empty node starts every pod', () => {
    const web = staticPod('web');
    const db = staticPod('db');
    const entries = plan([], [manifestRead(web), manifestRead(db), synced]);
    assert.deepEqual(brief(entries), ['start default/db-node1', 'start default/web-node1']);
    assert.equal(hasChanges(entries), true);
  });

  it('keeps what runs as its manifest says, and then nothing changes', () => {
    const web = staticPod('web');
    const entries = plan([web], [manifestRead(web), synced]);
    assert.deepEqual(entries, [
      { action: 'keep', pod: 'default/web-node1', uid: web.uid, origin: web.origin, reasons: [] },
    ]);
    assert.equal(hasChanges(entries), false);
  });

  it('replaces a pod whose image changed, and says so', () => {
    const old = staticPod('web');
    const next = staticPod('web', undefined, { image: 'staticlet.local/busybox:2' });
    const [entry, ...rest] = plan([old], [manifestRead(next), synced]);
    assert.equal(rest.length, 0);
    assert.equal(entry!.action, 'replace');
    assert.equal(entry!.uid, next.uid);
    assert.equal(entry!.replaces, old.uid);
    assert.deepEqual(entry!.reasons, [
      'spec.containers[0].image: staticlet.local/busybox:1 → staticlet.local/busybox:2',
    ]);
  });

  it('removes a pod whose manifest is gone, or whose source is not configured', () => {
    const web = staticPod('web');
    const entries = plan([web], [synced]);
    assert.deepEqual(brief(entries), ['remove default/web-node1']);
    assert.deepEqual(entries[0]!.reasons, [`its manifest ${web.origin} is gone`]);

    const fromUrl = { ...staticPod('api'), source: 'http' as const, origin: 'http://127.0.0.1/pods' };
    const sb = sandbox(fromUrl, 'sb-url');
    const { state, actions } = planActions(['file'], [synced, relist([sb], [])], 1_000);
    const [removal] = describePlan(state, actions, new Map());
    assert.equal(removal!.action, 'remove');
    assert.deepEqual(removal!.reasons, ['its source (a manifest URL) is not configured']);
  });

  it('refuses an invalid manifest and keeps the pod it ran (the running agent keeps the last valid version)', () => {
    const web = staticPod('web');
    const invalid: EventBody = {
      type: 'ManifestInvalid',
      source: 'file',
      origin: web.origin,
      problems: [
        { origin: web.origin, line: 9, column: 14, field: 'spec.containers[0].image', message: 'image is required' },
      ],
    };
    const entries = plan([web], [invalid, synced]);
    assert.deepEqual(brief(entries), ['keep default/web-node1', `refuse ${web.origin}`]);
    assert.match(entries[0]!.reasons[0]!, /keeps this last valid version \(an agent started now would remove it\)/);
    assert.deepEqual(entries[1]!.reasons, [`${web.origin}:9:14: spec.containers[0].image: image is required`]);
    assert.equal(hasChanges(entries), false, 'a refusal changes nothing');
  });

  it('refuses the second manifest of a pod, and runs the one already running', () => {
    const first = staticPod('web', '/etc/manifests/a.yaml');
    const second = staticPod('web', '/etc/manifests/b.yaml');
    const entries = plan([second], [manifestRead(first), manifestRead(second), synced]);
    assert.deepEqual(brief(entries), ['keep default/web-node1', 'refuse default/web-node1']);
    assert.equal(entries[0]!.origin, '/etc/manifests/b.yaml');
    assert.deepEqual(entries[1]!.reasons, [
      'default/web-node1 is also defined by /etc/manifests/b.yaml, which the agent runs',
    ]);
  });

  it('repairs a running pod whose container exited', () => {
    const web = staticPod('web');
    const sb = sandbox(web, 'sb0');
    const exited = container(web, 'c0', 'sb0', 'web', { state: 'exited', exitCode: 1, finishedAt: 500 });
    const { state, actions } = planActions(['file'], [manifestRead(web), synced, relist([sb], [exited])], 1_000);
    const entries = describePlan(state, actions, new Map());
    assert.deepEqual(brief(entries), ['repair default/web-node1']);
    assert.deepEqual(entries[0]!.reasons, ['start container web (attempt 1)']);
    assert.ok(CHANGES.has('repair'));
  });

  it('keeps the pods of a URL that cannot be fetched, and refuses the URL', () => {
    const api = { ...staticPod('api'), source: 'http' as const, origin: 'http://127.0.0.1/pods' };
    const down: EventBody = {
      type: 'ManifestInvalid',
      source: 'http',
      origin: api.origin,
      problems: [{ origin: api.origin, message: 'HTTP status 503' }],
    };
    const { state, actions } = planActions(['file', 'http'], [synced, down, relist([sandbox(api, 'sb')], [])], 1_000);
    const entries = describePlan(state, actions, new Map());
    assert.deepEqual(
      entries.map((e) => [e.action, e.reasons]),
      [
        ['keep', ['its manifest is invalid or cannot be read: the running agent keeps this last valid version']],
        ['refuse', ['http://127.0.0.1/pods: HTTP status 503']],
      ],
    );
  });

  it('decides nothing before the runtime is listed, as the agent', () => {
    const { actions } = planActions(['file'], [manifestRead(staticPod('web')), synced], 1_000);
    assert.deepEqual(actions, []);
  });
});

describe('replacement reasons', () => {
  it('name containers added and removed, a changed spec, labels, annotations and the grace period', () => {
    const old = staticPod('web', undefined, { containers: ['web', 'side'] });
    const next = staticPod('web', undefined, {
      containers: ['web', 'extra'],
      extra: '  terminationGracePeriodSeconds: 5\n',
    });
    const reasons = replacementReasons(factsOf(old), next);
    assert.deepEqual(reasons, [
      'spec.containers[1] (extra): added',
      'container side: removed',
      'spec.terminationGracePeriodSeconds: 30 → 5',
    ]);
    const command = structuredClone(next);
    command.pod.spec!.containers[0]!.command = ['sleep', '10'];
    assert.deepEqual(replacementReasons(factsOf(next), command), [
      'spec.containers[0] (web): changed (command, args, env or another field; the image is the same)',
    ]);
    const labelled = structuredClone(next);
    labelled.pod.metadata!.labels = { role: 'other' };
    labelled.pod.metadata!.annotations = { ...labelled.pod.metadata!.annotations, note: 'x' };
    assert.deepEqual(replacementReasons(factsOf(next), labelled), [
      'metadata.labels: changed',
      'metadata.annotations: changed',
    ]);
  });

  it('says where the pod is defined now, and when the change is out of sight', () => {
    const old = staticPod('web', '/etc/manifests/web.yaml');
    const moved = staticPod('web', '/etc/manifests/web2.yaml');
    assert.deepEqual(replacementReasons(factsOf(old), moved), [
      'now defined by /etc/manifests/web2.yaml (was /etc/manifests/web.yaml)',
    ]);
    const hostNetwork = staticPod('web', undefined, { extra: '  hostNetwork: true\n' });
    assert.match(replacementReasons(factsOf(old), hostNetwork)[0]!, /outside what the runtime shows/);
  });

  it('compares images as the runtime resolves them', () => {
    assert.ok(sameImage('busybox', 'docker.io/library/busybox:latest'));
    assert.ok(sameImage('me/app:1', 'docker.io/me/app:1'));
    assert.ok(sameImage('localhost:5000/app', 'localhost:5000/app:latest'));
    assert.ok(!sameImage('busybox:1', 'busybox:2'));
    assert.ok(!sameImage('quay.io/app', 'docker.io/app'));
  });
});

describe('plan output', () => {
  const entries: PlanEntry[] = [
    { action: 'start', pod: 'default/web-n1', uid: 'u1', origin: '/m/web.yaml', reasons: [] },
    {
      action: 'replace',
      pod: 'default/api-n1',
      uid: 'u2',
      origin: '/m/api.yaml',
      replaces: 'u0',
      reasons: ['spec.containers[0].image: a → b'],
    },
    { action: 'keep', pod: 'default/db-n1', uid: 'u3', origin: '/m/db.yaml', reasons: [] },
    {
      action: 'refuse',
      origin: '/m/bad.yaml',
      reasons: ['/m/bad.yaml:3:5: metadata: must be a mapping'],
      problems: [{ origin: '/m/bad.yaml', line: 3, column: 5, field: 'metadata', message: 'must be a mapping' }],
    },
  ];

  it('prints a line per pod, its reasons below, and a summary', () => {
    assert.deepEqual(planText(entries), [
      'start    default/web-n1  /m/web.yaml',
      'replace  default/api-n1  /m/api.yaml',
      '         spec.containers[0].image: a → b',
      'keep     default/db-n1   /m/db.yaml',
      'refuse   /m/bad.yaml',
      '         /m/bad.yaml:3:5: metadata: must be a mapping',
      'Plan: 1 to start, 1 to replace, 1 to keep, 1 refused.',
    ]);
    assert.equal(summaryLine([entries[2]!]), 'No changes: 1 to keep.');
    assert.equal(summaryLine([]), 'No changes: no static pods, and none running.');
  });

  it('gives one JSON document of a stable shape', () => {
    const doc = planJson('n1', entries);
    assert.equal(doc.apiVersion, 'staticlet.io/v1');
    assert.equal(doc.kind, 'Plan');
    assert.equal(doc.changes, true);
    assert.deepEqual(doc.summary, { start: 1, replace: 1, remove: 0, repair: 0, keep: 1, refuse: 1 });
    assert.deepEqual(doc.entries[3], {
      action: 'refuse',
      origin: '/m/bad.yaml',
      reasons: ['/m/bad.yaml:3:5: metadata: must be a mapping'],
      problems: [
        {
          file: '/m/bad.yaml',
          line: 3,
          column: 5,
          field: 'metadata',
          message: 'must be a mapping',
          text: '/m/bad.yaml:3:5: metadata: must be a mapping',
        },
      ],
    });
    assert.deepEqual(JSON.parse(JSON.stringify(doc)), doc, 'plain JSON');
  });

  it('takes --output out of the arguments in every spelling', () => {
    assert.deepEqual(takeOutputFlag(['--output=json', '--pod-manifest-path=/m']), {
      format: 'json',
      rest: ['--pod-manifest-path=/m'],
    });
    assert.deepEqual(takeOutputFlag(['-o', 'json', 'x']), { format: 'json', rest: ['x'] });
    assert.deepEqual(takeOutputFlag(['--output', 'text']), { format: 'text', rest: [] });
    assert.deepEqual(takeOutputFlag(['-ojson']), { format: 'json', rest: [] });
    assert.deepEqual(takeOutputFlag(['x']), { format: 'text', rest: ['x'] });
    assert.throws(() => takeOutputFlag(['--output=yaml']), /"yaml" is not text or json/);
    assert.throws(() => takeOutputFlag(['-o']), /needs a value/);
  });
});
