// The kubelet port's pod-access routes (/containerLogs, /exec, /attach, /portForward, /run) behind
// a plain HTTP server, on the real agent loop (in process) and the real containerd: exec output
// and exit codes through the runtime's streaming server (WebSocket, v4.channel.k8s.io), logs with
// each query parameter, a port-forward to a pod's HTTP server on the test bridge.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createPodAccessRoutes, type PodAccessRoutes } from '../../src/runtime/kubelet-api/pod-access-routes.js';
import { LoopView } from '../../src/serving/loop-view.js';
import { TestNode, waitFor } from '../support/harness.js';
import { exitCodeOf, openChannelSession, UpgradeRefused } from '../support/channel-socket.js';
import { startAgentInProcess, type InProcessAgent } from '../support/in-process-agent.js';
import { CRASH_POD, webPod } from '../support/pod-access-pods.js';

interface Answer {
  status: number;
  body: string;
}

describe('kubelet port pod-access routes (plain HTTP server, agent in process)', () => {
  const node = new TestNode();
  let server: Server;
  let routes: PodAccessRoutes;
  let base = '';
  let agent: InProcessAgent | undefined;
  const cri = () => node.cri;

  before(async () => {
    await node.setup();
    const view = new LoopView();
    agent = await startAgentInProcess(node, { watchers: [view.watch] });
    routes = createPodAccessRoutes({ cri: cri(), state: () => view.state, podLogsDir: node.logsDir });
    server = createServer((req, res) => {
      void Promise.resolve(routes.handleRequest(req, res)).then((taken) => {
        if (!taken) res.writeHead(404).end('not ours\n');
      });
    });
    server.on('upgrade', (req, socket, head) => {
      void Promise.resolve(routes.handleUpgrade(req, socket, head)).then((taken) => {
        if (!taken) socket.destroy();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `127.0.0.1:${(server.address() as AddressInfo).port}`;
    await node.writeManifest('web.yaml', webPod({ stderrLine: 'err-1' }));
    await node.writeManifest('crash.yaml', CRASH_POD);
    await waitFor(
      'web running',
      async () => (await node.running('web', 'main')) && node.running('web', 'ticker'),
      60_000,
    );
  });

  after(async () => {
    routes?.close();
    server?.close();
    await agent?.stop();
    await node.cleanup();
  });

  const web = () => `default/${node.podName('web')}`;
  const crash = () => `default/${node.podName('crash')}`;

  function get(path: string, method = 'GET'): Promise<Answer> {
    return new Promise((resolve, reject) => {
      const req = request(`http://${base}${path}`, { method }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      req.end();
    });
  }

  const logs = (path: string) => get(`/containerLogs/${path}`);

  it('containerLogs: the log, tailLines, limitBytes, timestamps, sinceTime/sinceSeconds, stream', async () => {
    const all = await waitFor('web logs', async () => {
      const a = await logs(`${web()}/main`);
      return a.status === 200 && a.body.includes('err-1') ? a : undefined;
    });
    assert.deepEqual(all.body.split('\n').filter(Boolean).sort(), [
      'err-1',
      'line-1',
      'line-2',
      'line-3',
      'line-4',
      'line-5',
    ]);
    assert.equal((await logs(`${web()}/main?tailLines=2`)).body.split('\n').filter(Boolean).length, 2);
    assert.equal((await logs(`${web()}/main?tail=all`)).body, all.body);
    assert.equal((await logs(`${web()}/main?limitBytes=7`)).body.length, 7);
    const stamped = (await logs(`${web()}/main?timestamps=true&tailLines=1`)).body;
    assert.match(stamped, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d) \S+\n$/);
    assert.equal((await logs(`${web()}/main?sinceTime=2999-01-01T00:00:00Z`)).body, '');
    assert.equal((await logs(`${web()}/main?sinceSeconds=3600`)).body, all.body);
    assert.equal((await logs(`${web()}/main?stream=Stderr`)).body, 'err-1\n');
  });

  it('containerLogs: the kubelet’s errors (404 unknown pod or container, 400 bad query or no previous, 422 invalid)', async () => {
    assert.equal((await logs(`default/web/main`)).status, 404, 'the manifest name is not the mirror pod name');
    assert.equal((await logs(`kube-system/${node.podName('web')}/main`)).status, 404);
    assert.equal((await logs(`${web()}/nope`)).status, 404);
    assert.equal((await logs(`${web()}/main?tailLines=abc`)).status, 400);
    assert.equal((await logs(`${web()}/main?tailLines=-1`)).status, 422);
    assert.equal((await logs(`${web()}/main?sinceSeconds=5&sinceTime=2020-01-01T00:00:00Z`)).status, 422);
    const prev = await logs(`${web()}/main?previous=true`);
    assert.equal(prev.status, 400);
    assert.match(prev.body, /previous terminated container "main"/);
    assert.equal((await get(`/containerLogs/${web()}/main`, 'POST')).status, 405);
  });

  it('containerLogs follow: new lines as they come, ended by the client; previous after a restart; follow ends when the container stops', async () => {
    // Following the ticker: more ticks arrive after the first answer, until the client leaves.
    const seen = await new Promise<string>((resolve, reject) => {
      const req = request(`http://${base}/containerLogs/${web()}/ticker?follow=true&tailLines=1`, (res) => {
        assert.equal(res.statusCode, 200);
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          body += c;
          if (body.split('\n').filter(Boolean).length >= 4) {
            req.destroy();
            resolve(body);
          }
        });
      });
      req.on('error', (err) => (err.message.includes('socket hang up') ? undefined : reject(err)));
      req.end();
    });
    const ticks = seen
      .split('\n')
      .filter(Boolean)
      .map((l) => Number(l.replace('tick-', '')));
    assert.ok(
      ticks.every((t, i) => i === 0 || t === ticks[i - 1]! + 1),
      `consecutive ticks: ${seen}`,
    );

    // crash restarts: its previous instance's log is the boot before.
    const current = await waitFor(
      'crash restarted',
      async () => {
        const a = await logs(`${crash()}/main`);
        const m = /boot-(\d+)/.exec(a.body);
        return m && Number(m[1]) >= 1 ? Number(m[1]) : undefined;
      },
      60_000,
      250,
    );
    const prev = await logs(`${crash()}/main?previous=true`);
    assert.equal(prev.status, 200);
    const p = Number(/boot-(\d+)/.exec(prev.body)?.[1]);
    assert.ok(p < current + 1 && p >= current - 1, `previous boot ${p}, current ${current}`);

    // Following a running instance: the answer ends by itself when it exits (no client abort).
    await waitFor('crash running', () => node.running('crash', 'main'), 60_000);
    const followed = await waitFor(
      'a follow of a running crash instance that ends with it',
      () =>
        new Promise<string | undefined>((resolve) => {
          const req = request(`http://${base}/containerLogs/${crash()}/main?follow=1`, (res) => {
            let body = '';
            res.setEncoding('utf8');
            res.on('data', (c: string) => (body += c));
            res.on('end', () => resolve(res.statusCode === 200 ? body : undefined));
          });
          req.on('error', () => resolve(undefined));
          req.end();
        }),
      60_000,
    );
    assert.match(followed, /^boot-\d+\n$/);
  });

  it('exec over WebSocket: stdout, stderr and the exit code; stdin; tty', async () => {
    const cmd = ['sh', '-c', 'echo out; echo err >&2; exit 3'].map((c) => `command=${encodeURIComponent(c)}`).join('&');
    const s = await openChannelSession(`ws://${base}/exec/${web()}/main?${cmd}&output=1&error=1`);
    await s.closed;
    assert.equal(s.received(1).toString(), 'out\n');
    assert.equal(s.received(2).toString(), 'err\n');
    assert.equal(exitCodeOf(s.received(3)), 3);

    const ok = await openChannelSession(`ws://${base}/exec/${web()}/main?command=true&output=1`);
    await ok.closed;
    assert.equal(exitCodeOf(ok.received(3)), 0);

    const echo = await openChannelSession(`ws://${base}/exec/${web()}/main?command=head&command=-n1&input=1&output=1`);
    echo.send(0, 'hello through stdin\n');
    await echo.closed;
    assert.equal(echo.received(1).toString(), 'hello through stdin\n');

    const tty = await openChannelSession(
      `ws://${base}/exec/${web()}/main?command=sh&command=-c&command=${encodeURIComponent('test -t 0 && echo a-tty')}&input=1&output=1&tty=1`,
    );
    await tty.closed;
    assert.match(tty.received(1).toString(), /a-tty/);
  });

  it('attach: the container’s output as it runs', async () => {
    const s = await openChannelSession(`ws://${base}/attach/${web()}/ticker?output=1&error=1`);
    await waitFor('ticks through attach', () => /tick-\d+\n/.test(s.received(1).toString()));
    s.close();
    await s.closed;
  });

  it('portForward over WebSocket to the pod’s HTTP server', async () => {
    const s = await openChannelSession(`ws://${base}/portForward/${web()}?port=8080`);
    await waitFor('the port announced', () => s.received(0).length >= 2);
    assert.equal(s.received(0).readUInt16LE(0), 8080);
    s.send(0, 'GET / HTTP/1.0\r\n\r\n');
    await waitFor('the answer', () => s.received(0).toString().includes('pf-works'), 10_000);
    assert.match(s.received(0).subarray(2).toString(), /^HTTP\/1\.[01] 200/);
    s.close();
    await s.closed;
  });

  it('run: ExecSync, output in the body; a failing command is 500', async () => {
    const ok = await get(`/run/${web()}/main?cmd=${encodeURIComponent('echo hi')}`, 'POST');
    assert.deepEqual(ok, { status: 200, body: 'hi\n' });
    const bad = await get(`/run/${web()}/main?cmd=false`, 'POST');
    assert.equal(bad.status, 500);
    assert.match(bad.body, /exited with 1/);
  });

  it('streaming paths: 400 without an upgrade, 404 for what is not this node’s static pod, 400 with no stream', async () => {
    const plain = await get(`/exec/${web()}/main?command=true&output=1`);
    assert.equal(plain.status, 400);
    assert.match(plain.body, /Upgrade request required/);
    for (const path of [
      `/exec/default/elsewhere/main?command=true&output=1`,
      `/exec/${web()}/nope?command=true&output=1`,
      `/exec/${web()}/not-the-uid/main?command=true&output=1`,
      `/portForward/default/elsewhere?port=80`,
    ]) {
      const refused = await openChannelSession(`ws://${base}${path}`).then(
        () => undefined,
        (err: unknown) => err,
      );
      assert.ok(refused instanceof UpgradeRefused && refused.status === 404, `${path}: ${String(refused)}`);
    }
    const noStream = await openChannelSession(`ws://${base}/exec/${web()}/main?command=true`).then(
      () => undefined,
      (err: unknown) => err,
    );
    assert.ok(noStream instanceof UpgradeRefused && noStream.status === 400, String(noStream));
    // The uid may be given: the static pod's.
    const pods = await node.sandboxes();
    const uid = pods.find((p) => p.metadata.name === node.podName('web'))!.metadata.uid;
    const withUid = await openChannelSession(`ws://${base}/exec/${web()}/${uid}/main?command=true&output=1`);
    await withUid.closed;
    assert.equal(exitCodeOf(withUid.received(3)), 0);
  });
});
