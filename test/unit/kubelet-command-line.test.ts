// A kubelet's command line moves over unchanged: every kubelet flag is accepted, the ones staticlet
// uses work (--node-labels, --register-with-taints, --register-node, -v), the others are listed as
// unused, and a flag that is nobody's is still an error.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseCommand, UsageError } from '../../src/cli/flags.js';
import { readFlags } from '../../src/cli/flag-values.js';
import { parseNodeLabels, parseTaints } from '../../src/cli/node-registration.js';
import { logLevelForVerbosity } from '../../src/cli/verbosity.js';

async function run(...args: string[]) {
  const cmd = await parseCommand(['--pod-manifest-path=/etc/kubernetes/manifests', ...args]);
  return cmd.kind === 'run' ? cmd : assert.fail(`expected a run command, got ${cmd.kind}`);
}
const usageError = (pattern: RegExp) => (e: Error) => e instanceof UsageError && pattern.test(e.message);

describe("a kubelet's command line", () => {
  it("runs a kubeadm node's kubelet command line, naming the flags it does not use once each", async () => {
    const { options, unusedKubeletFlags } = await run(
      '--bootstrap-kubeconfig=/etc/kubernetes/bootstrap-kubelet.conf',
      '--container-runtime-endpoint=unix:///var/run/containerd/containerd.sock',
      '--pod-infra-container-image=registry.k8s.io/pause:3.10',
      '--v=2',
      '--cgroup-driver',
      'systemd',
      '--fail-swap-on=false',
      '--runtime-request-timeout=15m',
      '--feature-gates=A=true,B=false',
      '--cgroup-driver=systemd',
      '--eviction-hard',
      'memory.available<100Mi',
      '--cluster-dns=10.96.0.10',
    );
    assert.deepEqual(unusedKubeletFlags, [
      '--bootstrap-kubeconfig',
      '--pod-infra-container-image',
      '--cgroup-driver',
      '--fail-swap-on',
      '--runtime-request-timeout',
      '--feature-gates',
      '--eviction-hard',
    ]);
    assert.equal(options.containerRuntimeEndpoint, 'unix:///var/run/containerd/containerd.sock');
    assert.deepEqual(options.clusterDNS, ['10.96.0.10']);
    assert.equal(options.logLevel, 'info', '--v=2 is info');
    assert.equal(options.registerNode, true);
    assert.deepEqual(options.nodeLabels, {});
    assert.deepEqual(options.registerWithTaints, []);
  });

  it('lists nothing when only flags staticlet uses are given, whatever their spelling', async () => {
    const { unusedKubeletFlags, options } = await run('--hostname_override=n1', '-v', '4', '--register-node=true');
    assert.deepEqual(unusedKubeletFlags, []);
    assert.equal(options.nodeName, 'n1');
    assert.equal(options.logLevel, 'debug');
  });

  it('computes "unused" from the implemented set alone, so implementing a kubelet flag is one table entry', () => {
    const argv = ['--healthz-port=0', '--max-pods=10', '--config=/c'];
    assert.deepEqual(readFlags(argv, { config: { type: 'string' } }).unusedKubeletFlags, [
      '--healthz-port',
      '--max-pods',
    ]);
    const implemented = { config: { type: 'string' }, 'healthz-port': { type: 'string' } } as const;
    const read = readFlags(argv, implemented);
    assert.deepEqual(read.unusedKubeletFlags, ['--max-pods']);
    assert.equal(read.values['healthz-port'], '0');
  });

  it('still refuses a flag that is no kubelet flag and no staticlet flag, naming it', async () => {
    await assert.rejects(parseCommand(['--pod-manifest-path=/x', '--no-such-flag']), usageError(/--no-such-flag/));
    await assert.rejects(
      parseCommand(['--pod-manifest-path=/x', '--fail-swap-of=false']),
      usageError(/unknown flag: --fail-swap-of \(did you mean --fail-swap-on\?\)/),
    );
    await assert.rejects(parseCommand(['--pod-manifest-path=/x', '-x']), usageError(/unknown shorthand flag: 'x'/));
    await assert.rejects(
      parseCommand(['--pod-manifest-path=/x', '--fail-swap-on=nope']),
      usageError(/invalid argument "nope" for --fail-swap-on/),
    );
    await assert.rejects(
      parseCommand(['--pod-manifest-path=/x', '--register-node', 'false']),
      usageError(/unexpected argument "false" \(a boolean flag takes its value after "="/),
    );
  });

  it('keeps help and version, in the kubelet spellings too', async () => {
    assert.equal((await parseCommand(['-h'])).kind, 'help');
    assert.equal((await parseCommand(['--help=true'])).kind, 'help');
    assert.equal((await parseCommand(['--version'])).kind, 'version');
    assert.equal((await parseCommand(['--version=raw'])).kind, 'version');
    assert.equal((await parseCommand(['--pod-manifest-path=/x', '--version=false'])).kind, 'run');
    await assert.rejects(parseCommand(['--version=v1.34.0']), usageError(/does not set a reported version/));
  });
});

describe('-v / --v', () => {
  it('maps klog verbosity to a log level: 0-3 info, 4-5 debug, 6 and up trace', () => {
    const levels = ['0', '1', '2', '3', '4', '5', '6', '10', '4294967295'].map(logLevelForVerbosity);
    assert.deepEqual(levels, ['info', 'info', 'info', 'info', 'debug', 'debug', 'trace', 'trace', 'trace']);
    for (const bad of ['-1', 'x', '1.5', '', '4294967296']) assert.ok(logLevelForVerbosity(bad) instanceof Error, bad);
  });

  it('sets the log level in every pflag spelling; an explicit --log-level wins', async () => {
    for (const args of [['--v=6'], ['--v', '6'], ['-v', '6'], ['-v=6'], ['-v6']])
      assert.equal((await run(...args)).options.logLevel, 'trace', args.join(' '));
    assert.equal((await run('--v=6', '--log-level=warn')).options.logLevel, 'warn');
    assert.equal((await run('--log-level=warn', '-v6')).options.logLevel, 'warn', 'whatever the order');
    assert.equal((await run()).options.logLevel, 'info');
    await assert.rejects(run('--v=-1'), usageError(/--v: "-1" is not a verbosity/));
  });
});

describe('--node-labels', () => {
  it('reads key=value pairs, comma-separated and repeatable, trimmed, a later key winning', async () => {
    assert.deepEqual(parseNodeLabels(['a=1, b = 2', 'a=3', 'empty=', 'example.com/team=x']), {
      a: '3',
      b: '2',
      empty: '',
      'example.com/team': 'x',
    });
    const { options } = await run('--node-labels=role=edge', '--node-labels', 'node.kubernetes.io/pool=a');
    assert.deepEqual(options.nodeLabels, { role: 'edge', 'node.kubernetes.io/pool': 'a' });
  });

  it('allows what a node may set on itself in the kubernetes.io and k8s.io namespaces', () => {
    const allowed = [
      'node.kubernetes.io/pool=a',
      'sub.node.kubernetes.io/x=b',
      'kubelet.kubernetes.io/y=c',
      'topology.kubernetes.io/zone=z1',
      'kubernetes.io/hostname=h',
      'beta.kubernetes.io/instance-type=t',
      'kubernetes.io.example.com/x=ok',
    ];
    assert.equal(Object.keys(parseNodeLabels([allowed.join(',')])).length, allowed.length);
  });

  it('refuses at start what NodeRestriction would refuse, and what is no label', async () => {
    for (const label of [
      'node-role.kubernetes.io/control-plane=',
      'kubernetes.io/role=master',
      'node-restriction.kubernetes.io/x=y',
      'example.k8s.io/x=y',
      'k8s.io/x=y',
    ])
      await assert.rejects(run(`--node-labels=${label}`), usageError(/namespaces except under/), label);
    await assert.rejects(run('--node-labels=novalue'), usageError(/"novalue" is not KEY=VALUE/));
    await assert.rejects(run('--node-labels=bad key=x'), usageError(/"bad key" is not a valid label key/));
    await assert.rejects(
      run('--node-labels=k=bad value'),
      usageError(/"bad value" \(of k\) is not a valid label value/),
    );
  });
});

describe('--register-with-taints and --register-node', () => {
  it('reads key[=value]:Effect lists; a repeated flag replaces, as in the kubelet', async () => {
    assert.deepEqual(parseTaints('a=b:NoSchedule,example.com/c:NoExecute,d=:PreferNoSchedule'), [
      { key: 'a', value: 'b', effect: 'NoSchedule' },
      { key: 'example.com/c', effect: 'NoExecute' },
      { key: 'd', value: '', effect: 'PreferNoSchedule' },
    ]);
    assert.deepEqual(parseTaints(''), []);
    const { options } = await run('--register-with-taints=a=b:NoSchedule', '--register-with-taints=c:NoExecute');
    assert.deepEqual(options.registerWithTaints, [{ key: 'c', effect: 'NoExecute' }]);
  });

  it('refuses a taint the API server would refuse, naming it', () => {
    for (const [spec, why] of [
      ['a=b:Sometimes', /effect "Sometimes" is not one of NoSchedule, PreferNoSchedule, NoExecute/],
      ['a=b', /"a=b" is not KEY\[=VALUE\]:EFFECT/],
      ['a=b=c:NoSchedule', /is not KEY\[=VALUE\]:EFFECT/],
      ['bad key:NoSchedule', /key "bad key" is not valid/],
      ['k=bad value:NoSchedule', /value "bad value" is not valid/],
      ['a:NoSchedule,', /"" is not KEY\[=VALUE\]:EFFECT/],
    ] as const)
      assert.throws(() => parseTaints(spec), why, spec);
  });

  it('reads registerWithTaints and registerNode from the config file; flags win', async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'staticlet-flags-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const config = join(dir, 'kubelet.yaml');
    const write = (body: string) =>
      writeFile(config, `apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\n${body}`);
    await write(
      'registerNode: false\nregisterWithTaints:\n- {key: dedicated, value: edge, effect: NoSchedule}\n- {key: gpu, effect: NoExecute}\n',
    );
    const fromFile = await run(`--config=${config}`);
    assert.deepEqual(fromFile.options.registerWithTaints, [
      { key: 'dedicated', value: 'edge', effect: 'NoSchedule' },
      { key: 'gpu', effect: 'NoExecute' },
    ]);
    assert.equal(fromFile.options.registerNode, false);
    assert.deepEqual(fromFile.ignoredConfigFields, []);
    const overridden = await run(`--config=${config}`, '--register-node', '--register-with-taints=x:NoSchedule');
    assert.equal(overridden.options.registerNode, true);
    assert.deepEqual(overridden.options.registerWithTaints, [{ key: 'x', effect: 'NoSchedule' }]);

    await write('registerWithTaints:\n- {key: a, effect: Never}\n');
    await assert.rejects(run(`--config=${config}`), /kubelet\.yaml:4: registerWithTaints\[0\]: effect "Never"/);
    await write('registerWithTaints:\n- {key: a, effect: NoSchedule, timeAdded: "2024-01-01T00:00:00Z"}\n');
    await assert.rejects(run(`--config=${config}`), /registerWithTaints\[0\]\.timeAdded: is not a field/);
    await write('registerNode: "no"\n');
    await assert.rejects(run(`--config=${config}`), /registerNode: must be true or false/);
  });
});
