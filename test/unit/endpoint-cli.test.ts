// The endpoint's flags and config fields, and what `staticlet status` prints.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { V1Pod } from '@kubernetes/client-node';
import { parseCommand, UsageError } from '../../src/cli/flags.js';
import { healthzAddress } from '../../src/cli/healthz-address.js';
import { formatStatus, humanDuration, podStatusReason } from '../../src/cli/status-table.js';

const optionsOf = async (args: string[]) => {
  const cmd = await parseCommand(['--pod-manifest-path=/m', ...args]);
  return cmd.kind === 'run' ? cmd.options : assert.fail(cmd.kind);
};

describe('the endpoint flags', () => {
  it('defaults to the kubelet: 127.0.0.1, port 10248; port 0 turns it off', async () => {
    assert.deepEqual((await optionsOf([])).healthz, { kind: 'tcp', host: '127.0.0.1', port: 10248 });
    assert.equal((await optionsOf(['--healthz-port=0'])).healthz, undefined);
    assert.deepEqual((await optionsOf(['--healthz-bind-address=::1', '--healthz-port=9000'])).healthz, {
      kind: 'tcp',
      host: '::1',
      port: 9000,
    });
    assert.deepEqual((await optionsOf(['--healthz-bind-address=unix:///run/staticlet/healthz.sock'])).healthz, {
      kind: 'unix',
      path: '/run/staticlet/healthz.sock',
    });
  });

  it('refuses what is no address or port', async () => {
    for (const [flag, message] of [
      ['--healthz-port=70000', /--healthz-port: port must be a whole number from 0 to 65535/],
      ['--healthz-port=ten', /--healthz-port: "ten" is not a port number/],
      ['--healthz-bind-address=localhost', /--healthz-bind-address: "localhost" is not an IP address/],
      ['--healthz-bind-address=unix://run/x.sock', /--healthz-bind-address: .*absolute path/],
    ] as const)
      await assert.rejects(optionsOf([flag]), (err: Error) => err instanceof UsageError && message.test(err.message));
  });

  it('reads healthzBindAddress and healthzPort from the --config file, and flags win', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'staticlet-endpoint-'));
    try {
      const config = join(dir, 'config.yaml');
      await writeFile(
        config,
        'apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\nhealthzBindAddress: 0.0.0.0\nhealthzPort: 10300\n',
      );
      const cmd = await parseCommand(['--pod-manifest-path=/m', `--config=${config}`]);
      assert.ok(cmd.kind === 'run');
      assert.deepEqual(cmd.options.healthz, { kind: 'tcp', host: '0.0.0.0', port: 10300 });
      assert.deepEqual(cmd.ignoredConfigFields, [], 'both fields are used');
      assert.deepEqual((await optionsOf([`--config=${config}`, '--healthz-port=1'])).healthz, {
        kind: 'tcp',
        host: '0.0.0.0',
        port: 1,
      });
      await writeFile(
        config,
        'apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\nhealthzPort: "x"\n',
      );
      await assert.rejects(optionsOf([`--config=${config}`]), /config\.yaml:3: healthzPort: must be a whole number/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('is found by `staticlet status` the same way', async () => {
    assert.deepEqual(healthzAddress({}, { healthzPort: 0 }), undefined);
    assert.deepEqual(healthzAddress({ port: '10249' }, { healthzBindAddress: 'unix:///s.sock', healthzPort: 0 }), {
      kind: 'unix',
      path: '/s.sock',
    });
    assert.equal((await parseCommand(['status', '--healthz-port=1'])).kind, 'status');
  });
});

describe('staticlet status output', () => {
  const now = Date.parse('2025-01-01T12:00:00Z');
  const pod = (name: string, status: V1Pod['status'], namespace = 'default'): V1Pod => ({
    metadata: { name, namespace },
    spec: { containers: (status?.containerStatuses ?? []).map((c) => ({ name: c.name })) },
    status,
  });
  const running = (name: string, ready: boolean, restartCount = 0, finishedAt?: string) => ({
    name,
    image: 'i',
    imageID: '',
    ready,
    restartCount,
    state: { running: { startedAt: new Date(now - 60_000) } },
    lastState: finishedAt ? { terminated: { exitCode: 1, finishedAt: finishedAt as unknown as Date } } : {},
  });

  it('prints the pods like kubectl get pods, the manifest problems and what is not ready', () => {
    const text = formatStatus(
      {
        items: [
          pod('web-n1', {
            phase: 'Running',
            startTime: '2025-01-01T11:55:00Z' as unknown as Date,
            containerStatuses: [running('a', true, 3, '2025-01-01T11:58:00Z'), running('b', true)],
          }),
          pod('ghost-n1', {
            phase: 'Pending',
            containerStatuses: [
              {
                name: 'main',
                image: 'x',
                imageID: '',
                ready: false,
                restartCount: 0,
                state: { waiting: { reason: 'ImagePullBackOff' } },
              },
            ],
          }),
        ],
        problems: [
          {
            origin: '/m/bad.yaml',
            line: 7,
            column: 7,
            field: 'spec.containers[0].image',
            message: 'image is required',
          },
        ],
      },
      ['pod/default/ghost-n1: container main: waiting: ImagePullBackOff'],
      now,
    );
    assert.equal(
      text,
      `NAME       READY   STATUS             RESTARTS     AGE
web-n1     2/2     Running            3 (2m ago)   5m
ghost-n1   0/1     ImagePullBackOff   0            <unknown>

Manifest problems (1):
  /m/bad.yaml:7:7: spec.containers[0].image: image is required

Not ready:
  pod/default/ghost-n1: container main: waiting: ImagePullBackOff
`,
    );
    assert.match(
      formatStatus({ items: [pod('x', { phase: 'Running' }, 'kube-system')] }, [], now),
      /^NAMESPACE\s+NAME/,
    );
    assert.equal(formatStatus({ items: [] }, [], now), 'No static pods.\n');
  });

  it('derives STATUS as kubectl does', () => {
    const c = (state: object, ready = false) => ({ name: 'c', image: '', imageID: '', ready, restartCount: 0, state });
    assert.equal(podStatusReason({ phase: 'Running', containerStatuses: [c({ running: {} }, true)] }), 'Running');
    assert.equal(
      podStatusReason({ phase: 'Running', containerStatuses: [c({ waiting: { reason: 'CrashLoopBackOff' } })] }),
      'CrashLoopBackOff',
    );
    assert.equal(
      podStatusReason({ phase: 'Failed', containerStatuses: [c({ terminated: { exitCode: 2 } })] }),
      'ExitCode:2',
    );
    assert.equal(
      podStatusReason({
        phase: 'Pending',
        initContainerStatuses: [c({ terminated: { exitCode: 0 } }), c({ running: {} })],
        containerStatuses: [c({ waiting: { reason: 'PodInitializing' } })],
      }),
      'Init:1/2',
    );
    assert.equal(
      podStatusReason({
        phase: 'Pending',
        initContainerStatuses: [c({ terminated: { exitCode: 1, reason: 'Error' } })],
      }),
      'Init:Error',
    );
  });

  it('prints ages as kubectl does', () => {
    const s = 1000;
    assert.deepEqual(
      [
        45 * s,
        190 * s,
        25 * 60 * s,
        5 * 3600 * s + 180 * s,
        30 * 3600 * s,
        50 * 3600 * s,
        40 * 86400 * s,
        800 * 86400 * s,
      ].map(humanDuration),
      ['45s', '3m10s', '25m', '5h3m', '30h', '2d2h', '40d', '2y70d'],
    );
  });
});
