// `staticlet logs` on the log files of pods the real agent runs on a real containerd.
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { AGENT_MAIN, IMAGE, manifest, REPO, TestNode, waitFor } from '../support/harness.js';

function staticletArgs(): string[] {
  return existsSync(AGENT_MAIN) ? [AGENT_MAIN] : ['--import', 'tsx', join(REPO, 'src/main.ts')];
}

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

describe('staticlet logs', () => {
  let node: TestNode;
  beforeEach(async () => {
    node = await new TestNode().setup();
  });
  afterEach(async (t) => {
    await node.cleanup(t);
  });

  const flags = () => [`--pod-logs-dir=${node.logsDir}`, `--hostname-override=${node.nodeName}`];

  function logs(...args: string[]): Promise<Result> {
    return new Promise((resolve) => {
      execFile(
        process.execPath,
        [...staticletArgs(), 'logs', ...args, ...flags()],
        { cwd: REPO, timeout: 30_000 },
        (err, stdout, stderr) => {
          resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
        },
      );
    });
  }

  // Each run of the container prints a line of its own, then some lines on both streams (the streams
  // reach the runtime through two pipes: only the pauses order them in the file).
  const script =
    'echo "run $(cat /proc/sys/kernel/random/uuid)"; sleep 0.2; echo "to stderr" >&2; sleep 0.2; for i in 1 2 3; do echo line-$i; done; sleep 3600';
  const sidecar = `    - name: side\n      image: ${IMAGE}\n      command: ["sh", "-c", "trap 'exit 0' TERM; echo side says hi; sleep 3600 & wait"]\n`;

  it("prints a pod's container logs by manifest or full name; --previous after a restart", async () => {
    await node.writeManifest('web.yaml', manifest('web', { script, extraContainer: sidecar }));
    await node.startAgent();
    const first = await waitFor('web running', () => node.running('web', 'main'));
    await waitFor('side running', () => node.running('web', 'side'));

    const current = await waitFor('the lines in the log', async () => {
      const r = await logs('web', '-c', 'main');
      return r.code === 0 && r.stdout.includes('line-3') ? r : undefined;
    });
    const runLine = /^run [0-9a-f-]{36}$/;
    const lines = current.stdout.split('\n');
    assert.match(lines[0]!, runLine);
    assert.deepEqual(
      lines.slice(1),
      ['to stderr', 'line-1', 'line-2', 'line-3', ''],
      'both streams on stdout, in order',
    );
    assert.equal(current.stderr, '');
    assert.equal(
      (await logs(node.podName('web'), '--container=main')).stdout,
      current.stdout,
      'the full pod name works too',
    );
    assert.equal((await logs('web', '-c', 'main', '--tail=2')).stdout, 'line-2\nline-3\n');
    const stamped = await logs('web', '-c', 'main', '--timestamps', '--tail', '1');
    assert.match(stamped.stdout, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z line-3\n$/);
    assert.equal((await logs('web', '-c', 'side')).stdout, 'side says hi\n');

    const ambiguous = await logs('web');
    assert.equal(ambiguous.code, 1);
    assert.equal(
      ambiguous.stderr,
      `staticlet logs: a container name must be specified for pod ${node.podName('web')}, choose one of: [main side] (or give --pod-manifest-path or --config, and the default container is chosen as kubectl does)\n`,
    );
    // With the manifest, kubectl's default: the first container, and a notice of the choice.
    const defaulted = await logs('web', `--pod-manifest-path=${node.manifests}`, '--tail=1');
    assert.deepEqual(defaulted, {
      code: 0,
      stdout: 'line-3\n',
      stderr: 'Defaulted container "main" out of: main, side\n',
    });
    const noPrevious = await logs('web', '-c', 'main', '-p');
    assert.equal(noPrevious.code, 1);
    assert.equal(
      noPrevious.stderr,
      `staticlet logs: previous terminated container "main" in pod "${node.podName('web')}" not found\n`,
    );
    const noPod = await logs('db');
    assert.equal(noPod.code, 1);
    assert.match(
      noPod.stderr,
      new RegExp(
        `^staticlet logs: pod "db" not found in namespace "default": no log directory default_db-${node.nodeName}_<uid> or default_db_<uid> in ${node.logsDir}\\n$`,
      ),
    );
    const noContainer = await logs('web', '-c', 'nope');
    assert.equal(noContainer.code, 1);
    assert.match(noContainer.stderr, /container "nope" is not valid for pod .*, choose one of: \[main side\]/);
    const usage = await logs('web', '--tail=some');
    assert.equal(usage.code, 2);

    // The container restarts: attempt 1 is current, attempt 0 the previous one.
    await node.cri.stopContainer(first.id, 5);
    await waitFor('main restarted', async () => {
      const c = await node.running('web', 'main');
      return c && c.id !== first.id ? c : undefined;
    });
    const restarted = await waitFor('the new run in the log', async () => {
      const r = await logs('web', '-c', 'main');
      return r.code === 0 && r.stdout.includes('line-3') && r.stdout !== current.stdout ? r : undefined;
    });
    assert.match(restarted.stdout.split('\n')[0]!, runLine);
    assert.notEqual(restarted.stdout.split('\n')[0], lines[0], 'a new run');
    const previous = await logs('web', '-c', 'main', '--previous');
    assert.equal(previous.code, 0, previous.stderr);
    assert.equal(previous.stdout, current.stdout, 'the previous run, whole');
    assert.ok(
      existsSync(
        join(node.logsDir, `default_${node.podName('web')}_${first.labels['io.kubernetes.pod.uid']}`, 'main', '1.log'),
      ),
    );
  });

  it('-f prints new lines as they come and goes on with the new instance when the container restarts, until SIGINT', async () => {
    const ticking =
      'echo "run $(cat /proc/sys/kernel/random/uuid)"; i=0; while true; do echo tick-$i; i=$((i+1)); sleep 0.3; done';
    await node.writeManifest('ticker.yaml', manifest('ticker', { script: ticking }));
    await node.startAgent();
    const first = await waitFor('ticker running', () => node.running('ticker', 'main'));
    await waitFor('a few ticks', async () => (await logs('ticker')).stdout.includes('tick-3'));

    const proc = spawn(process.execPath, [...staticletArgs(), 'logs', 'ticker', '-f', '--tail=1', ...flags()], {
      cwd: REPO,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    proc.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    proc.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    const exited = new Promise<number | null>((r) => proc.on('exit', (code) => r(code)));
    try {
      const firstTick = await waitFor('the last line', () => /^tick-(\d+)\n/.exec(out) ?? undefined, 10_000);
      assert.doesNotMatch(out, /^run /, '--tail=1: only the last line');
      const n = Number(firstTick[1]);
      await waitFor('new lines picked up', () => out.includes(`tick-${n + 2}\n`), 10_000);

      await node.cri.stopContainer(first.id, 5);
      await waitFor('the new instance followed', () => /\nrun [0-9a-f-]{36}\ntick-0\ntick-1\n/.test(out), 20_000);
      assert.equal(out.match(/^run /gm)?.length, 1, 'the new run only; the old one was before the tail');
      const before = out
        .slice(0, out.indexOf('\nrun ') + 1)
        .trim()
        .split('\n');
      assert.deepEqual(
        before,
        before.map((_, i) => `tick-${n + i}`),
        'every line of the old instance, once, in order',
      );

      proc.kill('SIGINT');
      assert.equal(await exited, 0, err);
      assert.equal(err, '');
    } finally {
      if (proc.exitCode === null) proc.kill('SIGKILL');
    }
  });
});
