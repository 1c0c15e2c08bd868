// `staticlet logs`: the CRI log format, tails, name resolution and following, on log files written
// into a temporary pod logs directory.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { appendFile, mkdir, mkdtemp, open, rename, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import { parseCommand } from '../../src/cli/flags.js';
import { parseLogsArgs, type LogsOptions } from '../../src/cli/logs.js';
import { streamLogs } from '../../src/cli/logs-stream.js';
import { CriLogParser, parseCriLogEntry, type LogLine } from '../../src/runtime/pod-logs/cri-log-line.js';
import { parsePodLogDirName } from '../../src/runtime/pod-logs/layout.js';
import { findTailStart } from '../../src/runtime/pod-logs/tail.js';

const REPO = fileURLToPath(new URL('../..', import.meta.url));

const NODE = 'node1';
const roots: string[] = [];
after(async () => {
  for (const r of roots) await rm(r, { recursive: true, force: true });
});

async function newRoot(): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'staticlet-logs-'));
  roots.push(root);
  return root;
}

let clock = Date.parse('2026-01-02T03:04:05Z');
/** A CRI log entry, with increasing times. */
function entry(stream: 'stdout' | 'stderr', tag: string, content: string): string {
  clock += 1;
  return `${new Date(clock).toISOString().replace(/\.(\d{3})Z$/, '.$1000001Z')} ${stream} ${tag} ${content}\n`;
}
const out = (content: string) => entry('stdout', 'F', content);
const err = (content: string) => entry('stderr', 'F', content);
const part = (stream: 'stdout' | 'stderr', content: string) => entry(stream, 'P', content);

async function writeLog(
  root: string,
  pod: string,
  container: string,
  attempt: number,
  text: string,
  opts: { uid?: string; namespace?: string } = {},
): Promise<string> {
  const dir = join(root, `${opts.namespace ?? 'default'}_${pod}_${opts.uid ?? 'u1'}`, container);
  await mkdir(dir, { recursive: true });
  const file = join(dir, `${attempt}.log`);
  await writeFile(file, text);
  return file;
}

function options(root: string, over: Partial<LogsOptions> = {}): LogsOptions {
  return {
    pod: 'web',
    namespace: 'default',
    previous: false,
    follow: false,
    timestamps: false,
    podLogsDir: root,
    nodeName: NODE,
    ...over,
  };
}

async function logs(root: string, over: Partial<LogsOptions> = {}): Promise<string> {
  const chunks: Buffer[] = [];
  await streamLogs(options(root, over), (b) => void chunks.push(b));
  return Buffer.concat(chunks).toString('utf8');
}

/** A follower running in the background: its output so far, a way to wait for some, and a stop. */
function follow(root: string, over: Partial<LogsOptions> = {}) {
  const chunks: Buffer[] = [];
  const stop = new AbortController();
  const done = streamLogs(options(root, { follow: true, ...over }), (b) => void chunks.push(b), stop.signal);
  const text = () => Buffer.concat(chunks).toString('utf8');
  return {
    text,
    done,
    stop: async () => {
      stop.abort();
      await done;
    },
    async waitFor(expected: string, timeoutMs = 5_000): Promise<void> {
      const deadline = Date.now() + timeoutMs;
      while (text() !== expected) {
        const cut = (t: string) => JSON.stringify(t.length > 300 ? `...${t.slice(-300)}` : t);
        if (Date.now() > deadline)
          assert.fail(
            `follower output ${cut(text())} (${text().length} chars), expected ${cut(expected)} (${expected.length} chars)`,
          );
        await new Promise((r) => setTimeout(r, 20));
      }
    },
  };
}

describe('the CRI log format', () => {
  it('parses entries: time, stream, partial or full, content as bytes', () => {
    const e = parseCriLogEntry(Buffer.from('2026-01-02T03:04:05.123456789Z stderr F hello  world '))!;
    assert.equal(e.time, '2026-01-02T03:04:05.123456789Z');
    assert.equal(e.stream, 'stderr');
    assert.equal(e.partial, false);
    assert.equal(e.content.toString(), 'hello  world ');
    assert.equal(parseCriLogEntry(Buffer.from('t stdout P part'))!.partial, true);
    assert.equal(
      parseCriLogEntry(Buffer.from('t stdout F:x more'))!.content.toString(),
      'more',
      'tags after the first are ignored',
    );
    assert.equal(parseCriLogEntry(Buffer.from('t stdout F'))!.content.length, 0, 'an empty line');
    assert.equal(parseCriLogEntry(Buffer.from('t stdout F '))!.content.length, 0);
    for (const bad of ['', 'garbage', 't stdin F x', 't stdout X x', ' stdout F x', 't stdout']) {
      assert.equal(parseCriLogEntry(Buffer.from(bad)), undefined, bad);
    }
  });

  it('joins partial entries per stream up to the full one, whatever the chunks, and skips malformed lines', () => {
    const text =
      part('stdout', 'hel') +
      err('e1') +
      part('stdout', 'lo ') +
      'not an entry\n' +
      out('world') +
      out('ünïcödé') +
      part('stderr', 'open');
    const bytes = Buffer.from(text);
    for (const size of [1, 2, 7, bytes.length]) {
      const parser = new CriLogParser();
      const lines: LogLine[] = [];
      for (let i = 0; i < bytes.length; i += size) lines.push(...parser.push(bytes.subarray(i, i + size)));
      assert.deepEqual(
        lines.map((l) => `${l.stream}:${l.content.toString()}`),
        ['stderr:e1', 'stdout:hello world', 'stdout:ünïcödé'],
        `chunks of ${size}`,
      );
      assert.deepEqual(
        parser.flush().map((l) => l.content.toString()),
        ['open'],
        'the open partial line, when the writer is gone',
      );
    }
    const twoParts = part('stdout', 'a') + out('b');
    const [joined] = new CriLogParser().push(Buffer.from(twoParts));
    assert.equal(joined!.time, twoParts.split(' ')[0], 'the time of the first entry');
  });

  it('a stream read from the middle of the file drops its entries up to its first full one', () => {
    const parser = new CriLogParser(['stdout']);
    const lines = parser.push(Buffer.from(part('stdout', 'tail-of-a-line') + out('end') + err('e') + out('whole')));
    assert.deepEqual(
      lines.map((l) => l.content.toString()),
      ['e', 'whole'],
    );
  });

  it('names pod log directories <namespace>_<pod>_<uid>', () => {
    assert.deepEqual(parsePodLogDirName('kube-system_web-node1_0123abcd'), {
      namespace: 'kube-system',
      podName: 'web-node1',
      uid: '0123abcd',
    });
    assert.equal(parsePodLogDirName('web-node1'), undefined);
    assert.equal(parsePodLogDirName('a_b_c_d'), undefined);
    assert.equal(parsePodLogDirName('a__c'), undefined);
  });
});

describe('staticlet logs', () => {
  it('prints the content of both streams in order, partial lines joined, with --timestamps the time first', async () => {
    const root = await newRoot();
    const text =
      out('one') + err('two') + part('stdout', 'thr') + part('stdout', 'e') + err('four') + out('e') + out('');
    await writeLog(root, `web-${NODE}`, 'main', 0, text);
    assert.equal(await logs(root), 'one\ntwo\nfour\nthree\n\n');
    const stamped = (await logs(root, { timestamps: true })).split('\n');
    assert.match(stamped[0]!, /^2026-01-02T03:04:05\.\d{9}Z one$/);
    const times = text.split('\n').map((l) => l.split(' ')[0]);
    assert.equal(stamped[3], `${times[2]} three`, 'a joined line has the time of its first entry');
  });

  it('finds the pod by manifest name or full name, in the namespace, on the node', async () => {
    const root = await newRoot();
    await writeLog(root, `web-${NODE}`, 'main', 0, out('default web'));
    await writeLog(root, `web-${NODE}`, 'main', 0, out('system web'), { namespace: 'kube-system' });
    await writeLog(root, 'web-other', 'main', 0, out('other node'));
    assert.equal(await logs(root), 'default web\n');
    assert.equal(await logs(root, { pod: `web-${NODE}` }), 'default web\n', 'the full name');
    assert.equal(await logs(root, { namespace: 'kube-system' }), 'system web\n');
    assert.equal(await logs(root, { nodeName: 'other' }), 'other node\n');
    assert.equal(await logs(root, { pod: 'web-other' }), 'other node\n', 'a full name of another node is a full name');
    await assert.rejects(
      logs(root, { pod: 'db' }),
      /^PodLogsError: pod "db" not found in namespace "default": no log directory default_db-node1_<uid> or default_db_<uid> in /,
    );
    await assert.rejects(
      logs(root, { pod: 'web', namespace: 'web' }),
      /pod "web" not found in namespace "web".*it is in namespace default, kube-system \(use -n\)/,
    );
    await assert.rejects(
      logs(root, { nodeName: 'node2' }),
      /pods named web-node1, web-other have logs; the node name is "node2" \(see --hostname-override\)/,
    );
    await assert.rejects(
      logs(root, { pod: 'db', nodeName: 'node2' }),
      (e: Error) => !/see --hostname-override|use -n/.test(e.message),
      'no hint when nothing is close',
    );
    // A manifest name first: static pods are <manifest name>-<node>.
    await writeLog(root, 'web', 'main', 0, out('a pod named web'));
    await writeLog(root, `web-${NODE}-${NODE}`, 'main', 0, out('manifest web-node1'));
    assert.equal(await logs(root), 'default web\n');
    assert.equal(await logs(root, { pod: `web-${NODE}` }), 'manifest web-node1\n');
  });

  it("of a replaced pod's directories, reads the one that logged last, and never mixes them", async () => {
    const root = await newRoot();
    const old = await writeLog(root, `web-${NODE}`, 'main', 3, out('old pod'), { uid: 'b-old' });
    await writeLog(root, `web-${NODE}`, 'old-only', 0, out('old container'), { uid: 'b-old' });
    const neu = await writeLog(root, `web-${NODE}`, 'main', 0, out('new pod'), { uid: 'a-new' });
    const t = Date.now() / 1000;
    await utimes(old, t - 100, t - 100);
    await utimes(join(root, `default_web-${NODE}_b-old`, 'old-only', '0.log'), t - 100, t - 100);
    await utimes(neu, t, t);
    assert.equal(await logs(root, { container: 'main' }), 'new pod\n');
    await assert.rejects(
      logs(root, { previous: true, container: 'main' }),
      /previous terminated container "main" in pod "web-node1" not found/,
    );
    await assert.rejects(
      logs(root, { container: 'old-only' }),
      /container "old-only" is not valid for pod web-node1, choose one of: \[main\]/,
    );
    await utimes(old, t + 10, t + 10);
    assert.equal(await logs(root, { container: 'main' }), 'old pod\n', 'now the old one logged last');
    await assert.rejects(logs(root), /choose one of: \[main old-only\]/, 'its own containers only');
  });

  it('without -c, the only container; with several, an error listing them', async () => {
    const root = await newRoot();
    await writeLog(root, `web-${NODE}`, 'b', 0, out('from b'));
    await writeLog(root, `web-${NODE}`, 'a', 0, out('from a'));
    await assert.rejects(
      logs(root),
      (e: Error) =>
        e.message ===
        'a container name must be specified for pod web-node1, choose one of: [a b] (or give --pod-manifest-path or --config, and the default container is chosen as kubectl does)',
    );
    assert.equal(await logs(root, { container: 'b' }), 'from b\n');
    await assert.rejects(
      logs(root, { container: 'c' }),
      /^PodLogsError: container "c" is not valid for pod web-node1, choose one of: \[a b\] \(.*default_web-node1_u1\)$/,
    );
    await mkdir(join(root, `default_db-${NODE}_u2`));
    await assert.rejects(logs(root, { pod: 'db' }), /pod db-node1 has no container logs yet/);
    await mkdir(join(root, `default_db-${NODE}_u2`, 'main'));
    await assert.rejects(logs(root, { pod: 'db' }), /container "main" in pod "db-node1" has no log file yet/);
  });

  it("without -c but with the manifest, kubectl's default: the annotation's container, else the first, and says which", async () => {
    const root = await newRoot();
    const manifests = join(root, 'manifests');
    await mkdir(manifests);
    const manifest = (annotation?: string) =>
      [
        'apiVersion: v1',
        'kind: Pod',
        'metadata:',
        '  name: web',
        ...(annotation ? ['  annotations:', `    kubectl.kubernetes.io/default-container: ${annotation}`] : []),
        'spec:',
        '  initContainers: [{ name: setup, image: busybox }]',
        '  containers: [{ name: b, image: busybox }, { name: a, image: busybox }]',
        '',
      ].join('\n');
    await writeLog(root, `web-${NODE}`, 'a', 0, out('from a'));
    await writeLog(root, `web-${NODE}`, 'b', 0, out('from b'));
    await writeLog(root, `web-${NODE}`, 'setup', 0, out('from setup'));
    const withNotices = async () => {
      const chunks: Buffer[] = [];
      const notices: string[] = [];
      await streamLogs(
        options(root, { podManifestPath: manifests }),
        (b) => void chunks.push(b),
        undefined,
        (line) => void notices.push(line),
      );
      return { text: Buffer.concat(chunks).toString('utf8'), notices };
    };

    await writeFile(join(manifests, 'web.yaml'), manifest());
    assert.deepEqual(await withNotices(), {
      text: 'from b\n',
      notices: ['Defaulted container "b" out of: b, a, setup (init)'],
    });
    await writeFile(join(manifests, 'web.yaml'), manifest('a'));
    assert.deepEqual(await withNotices(), { text: 'from a\n', notices: [] }, 'the annotation decides, quietly');
    await writeFile(join(manifests, 'web.yaml'), manifest('gone'));
    assert.deepEqual(await withNotices(), {
      text: 'from b\n',
      notices: [
        'Default container name "gone" not found in pod web-node1',
        'Defaulted container "b" out of: b, a, setup (init)',
      ],
    });
    assert.equal(await logs(root, { podManifestPath: manifests, container: 'setup' }), 'from setup\n', '-c wins');
  });

  it('reads the highest attempt; --previous the one before it', async () => {
    const root = await newRoot();
    await writeLog(root, `web-${NODE}`, 'main', 0, out('attempt 0'));
    await assert.rejects(
      logs(root, { previous: true }),
      (e: Error) => e.message === 'previous terminated container "main" in pod "web-node1" not found',
    );
    await writeLog(root, `web-${NODE}`, 'main', 2, out('attempt 2'));
    await writeLog(root, `web-${NODE}`, 'main', 10, out('attempt 10'));
    assert.equal(await logs(root), 'attempt 10\n', 'numerically highest');
    assert.equal(await logs(root, { previous: true }), 'attempt 2\n');
    assert.equal(
      await logs(root, { previous: true, follow: true }),
      'attempt 2\n',
      'a previous container is not followed',
    );
  });

  it('--tail N: the last N complete lines, partial lines whole, across reads of the file backwards', async () => {
    const root = await newRoot();
    await writeLog(
      root,
      `web-${NODE}`,
      'main',
      0,
      out('1') + part('stdout', '2a') + err('3') + part('stdout', '2b') + out('2c') + err('4') + part('stderr', '5a'),
    );
    assert.equal(await logs(root, { tail: 1 }), '5a\n', 'an open partial line at the end counts when not following');
    assert.equal(await logs(root, { tail: 2 }), '4\n5a\n');
    assert.equal(await logs(root, { tail: 3 }), '2a2b2c\n4\n5a\n');
    assert.equal(await logs(root, { tail: 4 }), '3\n2a2b2c\n4\n5a\n');
    assert.equal(await logs(root, { tail: 100 }), '1\n3\n2a2b2c\n4\n5a\n');
    assert.equal(await logs(root, { tail: 0 }), '');
  });

  function randomLog(seed: number, entries: number, partialOneIn: number, from = 0): string {
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    let text = '';
    for (let i = from; i < from + entries; i++) {
      const stream = random(3) === 0 ? 'stderr' : 'stdout';
      const content = `${i}-` + 'x'.repeat(random(120));
      text += random(partialOneIn) === 0 ? part(stream, content) : entry(stream, 'F', content);
      if (random(50) === 0) text += 'junk\n';
    }
    return text;
  }
  const oracle = (parser: CriLogParser, text: string) =>
    parser.push(Buffer.from(text)).map((l) => l.content.toString());

  it('--tail gives exactly the end of the whole output, on random logs larger than the read chunks', async () => {
    for (const [seed, partialOneIn] of [
      [42, 6],
      [7, 2],
      [1234, 20],
      [99, 1_000_000],
    ] as const) {
      const root = await newRoot();
      const text = randomLog(seed, 3000, partialOneIn);
      await writeLog(root, `web-${NODE}`, 'main', 0, text);
      const all = (await logs(root)).split('\n').slice(0, -1);
      assert.ok(Buffer.byteLength(text) > 3 * 64 * 1024);
      for (const n of [1, 2, 3, 10, 100, 777, 2500, all.length, all.length + 5]) {
        const tail = (await logs(root, { tail: n })).split('\n').slice(0, -1);
        assert.deepEqual(tail, all.slice(-n), `seed ${seed}: --tail ${n}`);
      }
    }
  });

  it('-f --tail N on random logs: the last N complete lines, then every line completed afterwards, whole', async () => {
    for (const [seed, n] of [
      [5, 3],
      [6, 50],
      [8, 0],
    ] as const) {
      const root = await newRoot();
      const first = randomLog(seed, 2500, 3);
      const file = await writeLog(root, `web-${NODE}`, 'main', 0, first);
      const parser = new CriLogParser();
      const expected = oracle(parser, first).slice(n === 0 ? Infinity : -n);
      const f = follow(root, { tail: n });
      await f.waitFor(expected.map((l) => l + '\n').join(''));
      if (n === 0) await new Promise((r) => setTimeout(r, 500)); // nothing to wait for: let it start
      const more = randomLog(seed + 1, 200, 3, 5000) + out('end') + err('end');
      expected.push(...oracle(parser, more));
      await appendFile(file, more);
      await f.waitFor(expected.map((l) => l + '\n').join(''));
      await f.stop();
    }
  });

  it('tails the backward read at entry boundaries: entries spanning the read chunks', async () => {
    const root = await newRoot();
    const first = out('a'.repeat(100_000));
    const file = await writeLog(
      root,
      `web-${NODE}`,
      'main',
      0,
      first + part('stdout', 'b'.repeat(70_000)) + out('c') + out('d') + 'incomplete entry being writ',
    );
    const fh = await open(file, 'r');
    try {
      const { size } = await fh.stat();
      const t = await findTailStart(fh, size, 2);
      assert.equal(t.end, size - 'incomplete entry being writ'.length);
      assert.equal(t.start, first.length, 'just after the full entry before the partial one');
      assert.deepEqual(t.unsynced, []);
    } finally {
      await fh.close();
    }
    assert.equal(await logs(root, { tail: 2 }), `${'b'.repeat(70_000)}c\nd\n`);
    assert.equal(await logs(root, { tail: 3 }), `${'a'.repeat(100_000)}\n${'b'.repeat(70_000)}c\nd\n`);
  });

  it('-f prints new lines as they come, partial lines once whole, and the next attempt when the container restarts', async () => {
    const root = await newRoot();
    const file = await writeLog(root, `web-${NODE}`, 'main', 0, out('first') + part('stdout', 'open-'));
    const f = follow(root);
    await f.waitFor('first\n');
    await appendFile(file, err('second'));
    await f.waitFor('first\nsecond\n');
    await appendFile(file, out('line'));
    await f.waitFor('first\nsecond\nopen-line\n');
    // Half an entry is not a line yet.
    const e = out('third');
    await appendFile(file, e.slice(0, 20));
    await new Promise((r) => setTimeout(r, 700));
    assert.equal(f.text(), 'first\nsecond\nopen-line\n');
    await appendFile(file, e.slice(20) + part('stdout', 'cut short'));
    await f.waitFor('first\nsecond\nopen-line\nthird\n');
    // The container restarts: its open partial line is all there will be; the new attempt from its start.
    await writeLog(root, `web-${NODE}`, 'main', 1, out('restarted'));
    await f.waitFor('first\nsecond\nopen-line\nthird\ncut short\nrestarted\n');
    await appendFile(join(root, `default_web-${NODE}_u1`, 'main', '1.log'), out('more'));
    await f.waitFor('first\nsecond\nopen-line\nthird\ncut short\nrestarted\nmore\n');
    await f.stop();
  });

  it("-f --tail N starts at the tail; the follower stops when the pod's log directory goes away", async () => {
    const root = await newRoot();
    const file = await writeLog(root, `web-${NODE}`, 'main', 0, out('1') + out('2') + out('3') + part('stdout', 'a'));
    const f = follow(root, { tail: 1 });
    await f.waitFor('3\n', 3_000);
    await appendFile(file, out('b'));
    await f.waitFor('3\nab\n');
    await rm(join(root, `default_web-${NODE}_u1`), { recursive: true });
    await f.done; // resolves: exit 0
    assert.equal(f.text(), '3\nab\n');
  });

  it('-f --tail 0 prints only new lines; a line open at the start comes out whole', async () => {
    const root = await newRoot();
    const file = await writeLog(root, `web-${NODE}`, 'main', 0, out('old') + part('stdout', 'begun '));
    const f = follow(root, { tail: 0 });
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(f.text(), '');
    await appendFile(file, out('ended'));
    await f.waitFor('begun ended\n');
    await f.stop();
  });

  it('-f waits for the first log file of a container that has not logged yet, and follows a rotated file', async () => {
    const root = await newRoot();
    const dir = join(root, `default_web-${NODE}_u1`, 'main');
    await mkdir(dir, { recursive: true });
    const f = follow(root);
    await new Promise((r) => setTimeout(r, 200));
    await writeFile(join(dir, '0.log'), out('hello'));
    await f.waitFor('hello\n');
    await appendFile(join(dir, '0.log'), out('before rotation'));
    await rename(join(dir, '0.log'), join(dir, '0.log.20260102-030405'));
    await writeFile(join(dir, '0.log'), out('after rotation'));
    await f.waitFor('hello\nbefore rotation\nafter rotation\n');
    await f.stop();
  });

  it('unreadable pod logs directories are clear errors', async () => {
    const root = await newRoot();
    await assert.rejects(logs(join(root, 'missing')), /^PodLogsError: pod logs directory .*missing does not exist$/);
    await writeFile(join(root, 'file'), '');
    await assert.rejects(logs(join(root, 'file')), /^PodLogsError: pod logs directory .*file is not a directory$/);
  });
});

describe('staticlet logs: the command line', () => {
  it("parses the flags, kubectl style, with the agent's defaults", async () => {
    const o = await parseLogsArgs([
      'web',
      '-c',
      'main',
      '-pf',
      '--tail=5',
      '--timestamps',
      '-n',
      'kube-system',
      '--pod-logs-dir',
      '/logs',
      '--hostname-override',
      'My-Node',
    ]);
    assert.deepEqual(o, {
      pod: 'web',
      namespace: 'kube-system',
      container: 'main',
      previous: true,
      follow: true,
      tail: 5,
      timestamps: true,
      podLogsDir: '/logs',
      nodeName: 'my-node',
    });
    const d = await parseLogsArgs(['pod/web-node1', '--tail=-1']);
    assert.ok(d !== 'help');
    assert.equal(d.pod, 'web-node1');
    assert.equal(d.namespace, 'default');
    assert.equal(d.podLogsDir, '/var/log/pods');
    assert.equal(d.tail, undefined, '-1 is all');
    assert.equal(d.previous, false);
    assert.equal(await parseLogsArgs(['--help']), 'help');
    await assert.rejects(parseLogsArgs([]), /a pod name is required/);
    await assert.rejects(parseLogsArgs(['a', 'b']), /unexpected argument "b"/);
    await assert.rejects(parseLogsArgs(['web', '--tail=x']), /--tail: "x" is not a number/);
    await assert.rejects(parseLogsArgs(['web', '--tail=-2']), /--tail/);
    await assert.rejects(parseLogsArgs(['web', '--bogus']), /bogus/);
    await assert.rejects(parseLogsArgs(['Web_1']), /is not a pod name/);
  });

  it('takes podLogsDir and staticPodPath from a KubeletConfiguration; the flag wins', async () => {
    const root = await newRoot();
    const config = join(root, 'kubelet.yaml');
    await writeFile(
      config,
      'apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\npodLogsDir: /from/config\nstaticPodPath: /manifests\n',
    );
    assert.equal(((await parseLogsArgs(['web', `--config=${config}`])) as LogsOptions).podManifestPath, '/manifests');
    assert.equal(
      ((await parseLogsArgs(['web', `--config=${config}`, '--pod-manifest-path=/m'])) as LogsOptions).podManifestPath,
      '/m',
    );
    assert.equal(((await parseLogsArgs(['web', `--config=${config}`])) as LogsOptions).podLogsDir, '/from/config');
    assert.equal(
      ((await parseLogsArgs(['web', `--config=${config}`, '--pod-logs-dir=/flag'])) as LogsOptions).podLogsDir,
      '/flag',
    );
  });

  it('is a subcommand: exit 0 with the logs, 1 with a clear error, 2 for bad usage', async () => {
    assert.deepEqual(await parseCommand(['logs', 'web', '-f']), { kind: 'logs', args: ['web', '-f'] });
    const root = await newRoot();
    await writeLog(root, `web-${NODE}`, 'main', 0, out('hello') + err('world'));
    const run = (...args: string[]) =>
      spawnSync(process.execPath, ['--import', 'tsx', join(REPO, 'src/main.ts'), 'logs', ...args], {
        encoding: 'utf8',
        cwd: REPO,
      });
    const ok = run('web', `--pod-logs-dir=${root}`, `--hostname-override=${NODE}`);
    assert.equal(ok.status, 0, ok.stderr);
    assert.equal(ok.stdout, 'hello\nworld\n', 'both streams to stdout, like kubectl');
    const missing = run('db', `--pod-logs-dir=${root}`, `--hostname-override=${NODE}`);
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /^staticlet logs: pod "db" not found in namespace "default": /);
    const bad = run('web', '--tail=soon');
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /^staticlet: --tail: "soon" is not a number of lines/);
  });
});
