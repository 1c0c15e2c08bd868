// The local endpoint's pure parts: health and readiness from a State, the check list's format,
// the PodList with its problems, and what `staticlet status` prints.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { answerChecks, answerOneCheck, type Check } from '../../src/core/serving/checks.js';
import { healthChecks, type LoopPulse } from '../../src/core/serving/health.js';
import { kubernetesJson, staticPodList } from '../../src/core/serving/pod-list.js';
import { readinessChecks } from '../../src/core/serving/readiness.js';
import type { EventBody } from '../../src/core/model/events.js';
import { initialState, type State } from '../../src/core/model/state.js';
import { container, manifestRead, relist, sandbox, staticPod, stepAll } from '../support/fixtures.js';

const ctx = { nodeIP: '192.0.2.10', runtimeName: 'containerd' };
const NOW = 1_000_000;
const fresh: LoopPulse = { lastHeartbeatAt: NOW - 1_000, now: NOW, staleAfterMs: 20_000 };
const synced: EventBody = { type: 'SourceSynced', source: 'file', sourceId: '/m' };
const run = (bodies: EventBody[], from: State = initialState(['file'], 0)) => stepAll(from, bodies, NOW).state;
const byName = (checks: Check[]) => Object.fromEntries(checks.map((c) => [c.name, c]));

describe('the check list (the Kubernetes healthz format)', () => {
  const checks: Check[] = [
    { name: 'ping', ok: true },
    { name: 'runtime', ok: false, message: 'gone:\nconnection refused' },
    { name: 'source/file', ok: true, informational: true, message: '1 manifest with problems' },
    { name: 'pod/default/web-n1', ok: true, aliases: ['web-n1'] },
  ];

  it('answers ok, the list with ?verbose, and always the list on failure', () => {
    const passing = checks.filter((c) => c.name !== 'runtime');
    assert.deepEqual(answerChecks('healthz', passing, { verbose: false, exclude: [] }), { status: 200, body: 'ok' });
    assert.deepEqual(answerChecks('healthz', passing, { verbose: true, exclude: [] }), {
      status: 200,
      body: '[+]ping ok\n[+]source/file ok: 1 manifest with problems\n[+]pod/default/web-n1 ok\nhealthz check passed\n',
    });
    assert.deepEqual(answerChecks('readyz', checks, { verbose: false, exclude: [] }, 503), {
      status: 503,
      body:
        '[+]ping ok\n[-]runtime failed: gone: connection refused\n[+]source/file ok: 1 manifest with problems\n' +
        '[+]pod/default/web-n1 ok\nreadyz check failed\n',
    });
  });

  it('excludes checks by name or alias and warns of names that match none', () => {
    const answer = answerChecks('readyz', checks, { verbose: true, exclude: ['runtime', 'web-n1', 'nope'] });
    assert.equal(answer.status, 200);
    assert.match(answer.body, /^\[\+\]runtime excluded: ok$/m);
    assert.match(answer.body, /^\[\+\]pod\/default\/web-n1 excluded: ok$/m);
    assert.match(answer.body, /^warn: some health checks cannot be excluded: no matches for "nope"$/m);
  });

  it('answers one check by its path', () => {
    assert.deepEqual(answerOneCheck(checks, 'ping'), { status: 200, body: 'ok' });
    assert.deepEqual(answerOneCheck(checks, 'runtime'), {
      status: 500,
      body: 'internal server error: gone: connection refused\n',
    });
    assert.equal(answerOneCheck(checks, 'nope'), undefined);
  });
});

describe('health from the state', () => {
  it('fails the sync loop once the last heartbeat is older than the limit', () => {
    const state = run([synced]);
    assert.equal(byName(healthChecks(state, fresh)).syncloop!.ok, true);
    const stale = byName(healthChecks(state, { ...fresh, lastHeartbeatAt: NOW - 25_000 })).syncloop!;
    assert.equal(stale.ok, false);
    assert.equal(stale.message, 'no heartbeat through the loop for 25s (limit 20s)');
  });

  it('fails the runtime while it is unavailable, and passes once a relist comes through', () => {
    const down = run([{ type: 'RuntimeUnavailable', message: 'connect ENOENT /run/containerd.sock' }]);
    assert.deepEqual(byName(healthChecks(down, fresh)).runtime, {
      name: 'runtime',
      ok: false,
      message: 'container runtime unavailable: connect ENOENT /run/containerd.sock',
    });
    const back = run([relist([], [])], down);
    assert.deepEqual(byName(healthChecks(back, fresh)).runtime, { name: 'runtime', ok: true });
  });

  it('shows the sources and the API server without failing on them', () => {
    const bad: EventBody = {
      type: 'ManifestInvalid',
      source: 'http',
      origin: 'http://m/pods',
      problems: [{ origin: 'http://m/pods', message: 'HTTP 500' }],
    };
    const state = run([bad], initialState(['file', 'http'], 0, ctx));
    const checks = healthChecks(state, fresh);
    assert.equal(answerChecks('healthz', checks, { verbose: false, exclude: [] }).status, 200);
    assert.deepEqual(
      checks.map((c) => [c.name, c.message]),
      [
        ['ping', undefined],
        ['syncloop', undefined],
        ['runtime', 'not listed yet'],
        ['source/file', 'not listed yet'],
        ['source/http', 'not listed yet: HTTP 500; the last good pods keep running'],
        ['apiserver', 'not listed yet'],
      ],
    );
  });
});

describe('readiness from the state', () => {
  const web = staticPod('web');
  const sb = sandbox(web, 'sb1', { ip: '10.0.0.5' });

  it('is not ready before the sources and the runtime have been listed', () => {
    const checks = byName(readinessChecks(run([manifestRead(web)]), fresh, ctx));
    assert.equal(checks['source/file']!.message, 'not listed yet');
    assert.equal(checks.runtime!.message, 'not listed yet');
    assert.equal(
      readinessChecks(undefined, fresh, ctx).some((c) => !c.ok),
      true,
      'nor before the loop starts',
    );
  });

  it('is ready once every pod is Ready, and names the container and reason of one that is not', () => {
    const ready = run([manifestRead(web), synced, relist([sb], [container(web, 'c1', 'sb1', 'web')])]);
    const passing = readinessChecks(ready, fresh, ctx);
    assert.ok(
      passing.every((c) => c.ok),
      JSON.stringify(passing),
    );
    assert.deepEqual(passing.at(-1)!.aliases, ['web-node1', 'default/web-node1']);

    const ghost = staticPod('ghost', undefined, { image: 'missing:1' });
    const failed = run(
      [
        manifestRead(ghost),
        relist([sb, sandbox(ghost, 'sb2')], [container(web, 'c1', 'sb1', 'web')]),
        {
          type: 'ActionFailed',
          action: {
            kind: 'StartContainer',
            id: '1.0',
            podUid: ghost.uid,
            podFullName: 'default/ghost-node1',
            containerName: 'web',
          } as never,
          reason: 'ErrImagePull',
          message: 'pulling image "missing:1": not found',
        },
      ],
      ready,
    );
    const check = byName(readinessChecks(failed, fresh, ctx))['pod/default/ghost-node1']!;
    assert.equal(check.ok, false);
    assert.match(check.message!, /^container web: waiting: (ErrImagePull|ImagePullBackOff): pulling image "missing:1"/);
  });

  it('says when a readiness probe holds a running container back, and counts a completed pod as done', () => {
    const probed = staticPod('probed', undefined, {
      extra: '      readinessProbe:\n        exec: {command: ["true"]}\n',
    });
    const state = run([
      manifestRead(probed),
      synced,
      relist([sandbox(probed, 'sb3')], [container(probed, 'c3', 'sb3', 'web')]),
    ]);
    assert.equal(
      byName(readinessChecks(state, fresh, ctx))['pod/default/probed-node1']!.message,
      'container web: running, readiness probe not passed yet',
    );

    const job = staticPod('job', undefined, { restartPolicy: 'Never' });
    const done = run([
      manifestRead(job),
      synced,
      relist(
        [sandbox(job, 'sb4')],
        [container(job, 'c4', 'sb4', 'web', { state: 'exited', exitCode: 0, finishedAt: 5 })],
      ),
    ]);
    assert.deepEqual(byName(readinessChecks(done, fresh, ctx))['pod/default/job-node1'], {
      name: 'pod/default/job-node1',
      ok: true,
      aliases: ['job-node1', 'default/job-node1'],
      message: 'completed',
    });
  });
});

describe('the static pods as a PodList', () => {
  it('holds each pod with its mirror status and every manifest problem, in the API server JSON', () => {
    const web = staticPod('web');
    const twin = staticPod('web', '/etc/manifests/web-copy.yaml');
    const state = run([
      manifestRead(web),
      manifestRead(twin),
      {
        type: 'ManifestInvalid',
        source: 'file',
        origin: '/etc/manifests/bad.yaml',
        problems: [
          {
            origin: '/etc/manifests/bad.yaml',
            line: 7,
            column: 7,
            field: 'spec.containers[0].image',
            message: 'image is required',
          },
        ],
      },
      synced,
      relist(
        [sandbox(web, 'sb1', { createdAt: 1_700_000_000_123 })],
        [container(web, 'c1', 'sb1', 'web', { startedAt: 1_700_000_001_456 })],
      ),
    ]);
    const list = JSON.parse(kubernetesJson(staticPodList(state, ctx))) as ReturnType<typeof staticPodList>;
    assert.equal(list.kind, 'PodList');
    assert.deepEqual(
      list.items.map((p) => [p.kind, p.metadata?.name, p.metadata?.uid, p.status?.phase]),
      [['Pod', 'web-node1', web.uid, 'Running']],
    );
    const status = list.items[0]!.status!;
    assert.equal(status.startTime as unknown, '2023-11-14T22:13:20Z', 'whole seconds, RFC 3339');
    assert.equal(status.containerStatuses![0]!.containerID, 'containerd://c1');
    assert.deepEqual(list.problems, [
      {
        origin: '/etc/manifests/bad.yaml',
        line: 7,
        column: 7,
        field: 'spec.containers[0].image',
        message: 'image is required',
      },
      {
        origin: '/etc/manifests/web-copy.yaml',
        field: 'metadata.name',
        message:
          'pod default/web-node1 is also defined by /etc/manifests/web.yaml, which is the one run; this manifest is ignored',
      },
    ]);
  });
});
