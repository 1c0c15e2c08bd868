// Flags, the --config file, durations, resolv.conf, and the event log replay.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { parseCommand, parseHeaders, UsageError } from '../../src/cli/flags.js';
import { parseDuration } from '../../src/cli/duration.js';
import { replay } from '../../src/core/replay.js';
import { parseResolvConf } from '../../src/runtime/host.js';
import { openEventLog, readEventLog, type EventLogHeader } from '../../src/runtime/event-log.js';
import { container, logged, manifestRead, relist, sandbox, staticPod } from '../support/fixtures.js';

async function run(args: string[]) {
  const cmd = await parseCommand(args);
  assert.equal(cmd.kind, 'run');
  return cmd.kind === 'run' ? cmd : assert.fail();
}

describe('command line', () => {
  it('takes kubelet-style flags with defaults', async () => {
    const { options } = await run([
      '--pod-manifest-path=/etc/kubernetes/manifests',
      '--hostname-override=My-Node1',
      '--cluster-dns=10.254.0.10',
      '--cluster-domain=kube.local',
    ]);
    assert.equal(options.podManifestPath, '/etc/kubernetes/manifests');
    assert.equal(options.nodeName, 'my-node1', 'lower-cased like the kubelet');
    assert.deepEqual(options.clusterDNS, ['10.254.0.10']);
    assert.equal(options.clusterDomain, 'kube.local');
    assert.equal(options.fileCheckFrequencyMs, 20_000);
    assert.equal(options.httpCheckFrequencyMs, 20_000);
    assert.equal(options.containerRuntimeEndpoint, 'unix:///run/containerd/containerd.sock');
    assert.equal(options.maxParallelRuntimeCalls, 8);
    assert.equal(
      (await run(['--pod-manifest-path=/x', '--max-parallel-runtime-calls=2'])).options.maxParallelRuntimeCalls,
      2,
    );
  });

  it('refuses unknown flags, bad values and a missing source with one clear line', async () => {
    await assert.rejects(
      parseCommand(['--pod-manifest-path=/x', '--bogus']),
      (e: Error) => e instanceof UsageError && /bogus/.test(e.message),
    );
    await assert.rejects(parseCommand(['--pod-manifest-path=/x', '--file-check-frequency=soon']), /not a duration/);
    await assert.rejects(parseCommand([]), /no static pod source/);
    await assert.rejects(parseCommand(['--manifest-url=ftp://x/y']), /only http and https/);
    await assert.rejects(
      parseCommand(['--pod-manifest-path=/x', '--hostname-override=bad_name']),
      /not a valid DNS-1123 name/,
    );
    await assert.rejects(
      parseCommand(['--pod-manifest-path=/x', '--max-parallel-runtime-calls=0']),
      /--max-parallel-runtime-calls: must be a whole number of at least 1/,
    );
    await assert.rejects(
      parseCommand(['--pod-manifest-path=/x', '--max-parallel-pods=many']),
      /--max-parallel-pods: must be a whole number/,
    );
  });

  it('reads a KubeletConfiguration; flags override it; unknown fields are listed, not fatal', async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'staticlet-cli-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const config = join(dir, 'kubelet.yaml');
    await writeFile(
      config,
      `apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
staticPodPath: /etc/kubernetes/manifests
staticPodURL: http://127.0.0.1:8000/pods
staticPodURLHeader:
  X-Token: [abc]
fileCheckFrequency: 5s
httpCheckFrequency: 1m30s
clusterDNS: [10.96.0.10]
clusterDomain: cluster.local
containerRuntimeEndpoint: unix:///run/crio/crio.sock
cgroupDriver: systemd
`,
    );
    const { options, ignoredConfigFields } = await run([`--config=${config}`, '--file-check-frequency=2s']);
    assert.equal(options.podManifestPath, '/etc/kubernetes/manifests');
    assert.equal(options.manifestUrl, 'http://127.0.0.1:8000/pods');
    assert.deepEqual(options.manifestUrlHeaders, { 'X-Token': ['abc'] });
    assert.equal(options.fileCheckFrequencyMs, 2_000, 'the flag wins');
    assert.equal(options.httpCheckFrequencyMs, 90_000);
    assert.deepEqual(options.clusterDNS, ['10.96.0.10']);
    assert.equal(options.containerRuntimeEndpoint, 'unix:///run/crio/crio.sock');
    assert.deepEqual(ignoredConfigFields, ['cgroupDriver']);

    await writeFile(
      config,
      'apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\nfileCheckFrequency: often\n',
    );
    await assert.rejects(
      parseCommand([`--config=${config}`]),
      /kubelet\.yaml:3: fileCheckFrequency: "often" is not a duration/,
    );
  });

  it("takes the node status frequencies as the kubelet: the flag, the file's fields, its defaulting", async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'staticlet-cli-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const config = join(dir, 'kubelet.yaml');
    const head = 'apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\nstaticPodPath: /x\n';
    const defaults = (await run(['--pod-manifest-path=/x'])).options;
    assert.equal(defaults.nodeStatusUpdateFrequencyMs, 10_000);
    assert.equal(defaults.nodeStatusReportFrequencyMs, 300_000);
    const flag = (await run(['--pod-manifest-path=/x', '--node-status-update-frequency=20s'])).options;
    assert.equal(flag.nodeStatusUpdateFrequencyMs, 20_000);
    assert.equal(flag.nodeStatusReportFrequencyMs, 300_000, 'the flag leaves the report frequency at its default');
    await writeFile(config, `${head}nodeStatusUpdateFrequency: 15s\n`);
    const updateOnly = (await run([`--config=${config}`])).options;
    assert.equal(updateOnly.nodeStatusUpdateFrequencyMs, 15_000);
    assert.equal(updateOnly.nodeStatusReportFrequencyMs, 15_000, "the kubelet's defaulting: report as often");
    await writeFile(config, `${head}nodeStatusUpdateFrequency: 15s\nnodeStatusReportFrequency: 1m\n`);
    const both = await run([`--config=${config}`, '--node-status-update-frequency=5s']);
    assert.equal(both.options.nodeStatusUpdateFrequencyMs, 5_000, 'the flag wins');
    assert.equal(both.options.nodeStatusReportFrequencyMs, 60_000);
    assert.deepEqual(both.ignoredConfigFields, []);
    await writeFile(config, `${head}nodeStatusReportFrequency: 0s\n`);
    await assert.rejects(parseCommand([`--config=${config}`]), /nodeStatusReportFrequency: must be more than zero/);
    await assert.rejects(
      parseCommand(['--pod-manifest-path=/x', '--node-status-update-frequency=0s']),
      /--node-status-update-frequency: must be more than zero/,
    );
  });

  it('parses the kubelet header syntax', () => {
    assert.deepEqual(parseHeaders(['a:hello,b:again,c:world', 'b:beautiful']), {
      a: ['hello'],
      b: ['again', 'beautiful'],
      c: ['world'],
    });
    assert.throws(() => parseHeaders(['novalue']), /NAME:VALUE/);
  });

  it('parses Go durations', () => {
    assert.equal(parseDuration('20s'), 20_000);
    assert.equal(parseDuration('1m30s'), 90_000);
    assert.equal(parseDuration('500ms'), 500);
    assert.equal(parseDuration('1h'), 3_600_000);
    assert.ok(parseDuration('20') instanceof Error);
  });

  it('parses resolv.conf', () => {
    assert.deepEqual(
      parseResolvConf(
        '# c\nnameserver 1.1.1.1\nnameserver 8.8.8.8\nsearch a.example b.example\noptions ndots:2 edns0\n',
      ),
      {
        servers: ['1.1.1.1', '8.8.8.8'],
        searches: ['a.example', 'b.example'],
        options: ['ndots:2', 'edns0'],
      },
    );
  });
});

describe('event log', () => {
  const header: Omit<EventLogHeader, 'version'> = {
    staticlet: 'event-log',
    nodeName: 'node1',
    configuredSources: ['file'],
    startedAt: 'now',
  };
  /** A directory removed when the test ends. */
  const scratchDir = async (t: TestContext) => {
    const dir = await mkdtemp(join(tmpdir(), 'staticlet-log-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    return dir;
  };

  it('records events and replays them through the core to the same actions', async (t) => {
    const file = join(await scratchDir(t), 'events.jsonl');
    const web = staticPod('web');
    const events = logged(
      [manifestRead(web), relist([], [], 5), { type: 'SourceSynced', source: 'file', sourceId: '/m' }],
      1_000,
      10,
    );
    const writer = openEventLog(file, header);
    for (const e of events) writer.write(e);
    await writer.close();

    const [recorded] = await readEventLog(file);
    assert.deepEqual(recorded!.events, JSON.parse(JSON.stringify(events)));
    const { steps } = replay(recorded!.header.configuredSources, recorded!.events);
    const actions = steps.flatMap((s) => s.actions.map((a) => [s.event.seq, a.kind, a.podUid]));
    assert.deepEqual(actions, [[2, 'CreateSandbox', web.uid]]);
  });

  it('writes a relist as its change since the one before, and reads back every relist whole', async (t) => {
    const file = join(await scratchDir(t), 'events.jsonl');
    const [a, b, c] = [staticPod('a'), staticPod('b'), staticPod('c')];
    const at = (ms: number) => ({ observedAt: ms });
    const listing = (ms: number, exited = false) => ({
      sandboxes: [sandbox(a, 'sa', at(ms)), sandbox(b, 'sb', at(ms))],
      containers: [
        container(a, 'ca', 'sa', 'main', at(ms)),
        container(b, 'cb', 'sb', 'main', { ...at(ms), ...(exited ? { state: 'exited', exitCode: 1 } : {}) }),
      ],
    });
    const l = (ms: number, exited = false) => relist(listing(ms).sandboxes, listing(ms, exited).containers, ms);
    const events = logged(
      [
        l(1_000),
        l(2_000), // the same again: only its time
        l(3_000, true), // one container exited
        relist([sandbox(b, 'sb', at(4_000)), sandbox(c, 'sc', at(4_000))], [], 4_000), // gone and added
        relist([sandbox(c, 'sc', at(5_000)), sandbox(b, 'sb', at(5_000))], [], 5_000), // another order: the order, and no item
        relist([sandbox(c, 'sc', at(5_500)), sandbox(b, 'sb', at(6_000))], [], 6_000), // learned earlier: kept as is
        manifestRead(a),
        l(7_000),
      ],
      1_000,
      1_000,
    );
    const writer = openEventLog(file, header);
    for (const e of events) writer.write(e);
    await writer.close();

    const [recorded] = await readEventLog(file);
    assert.equal(recorded!.header.version, 2);
    assert.deepEqual(recorded!.events, JSON.parse(JSON.stringify(events)));
    const lines = (await readFile(file, 'utf8')).trim().split('\n').slice(1);
    assert.ok(!lines[1]!.includes('"sa"'), `an unchanged relist names no item: ${lines[1]}`);
    assert.ok(lines[2]!.includes('"cb"') && !lines[2]!.includes('"ca"'), `only the changed container: ${lines[2]}`);
    assert.ok(lines[4]!.includes('"order":[1,0]') && !lines[4]!.includes('"sc"'), `only the order: ${lines[4]}`);
  });

  it('reads version 1 logs, and refuses a version it does not know', async (t) => {
    const dir = await scratchDir(t);
    const event = { ...relist([], [], 5), seq: 1, at: 5 };
    const v1 = join(dir, 'v1.jsonl');
    await writeFile(v1, [{ ...header, version: 1 }, event].map((l) => JSON.stringify(l)).join('\n') + '\n');
    assert.deepEqual((await readEventLog(v1))[0]!.events, [event]);
    const v9 = join(dir, 'v9.jsonl');
    await writeFile(v9, JSON.stringify({ ...header, version: 9 }) + '\n');
    await assert.rejects(readEventLog(v9), /event log version 9, this staticlet reads 1 and 2/);
  });
});
