// Static pods from a manifest URL served on loopback.
import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { manifest, sleep, TestNode, waitFor } from '../support/harness.js';

type Reply = { status?: number; body?: string; delayMs?: number; bytes?: number };

describe('manifest URL', () => {
  let server: Server;
  let url = '';
  let reply: Reply = { status: 404, body: '' };
  const seenHeaders: IncomingHttpHeaders[] = [];

  before(async () => {
    server = createServer((req, res) => {
      seenHeaders.push(req.headers);
      const r = reply;
      const send = () => {
        if (r.bytes !== undefined) {
          res.writeHead(200, { 'content-type': 'application/yaml' });
          res.end(Buffer.alloc(r.bytes, 'x'));
          return;
        }
        res.writeHead(r.status ?? 200, { 'content-type': 'application/yaml' });
        res.end(r.body ?? '');
      };
      if (r.delayMs) setTimeout(send, r.delayMs).unref();
      else send();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/pods`;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  let node: TestNode;
  beforeEach(async () => {
    node = await new TestNode().setup();
    seenHeaders.length = 0;
  });
  afterEach(async (t) => {
    await node.cleanup(t);
  });

  const list = (...names: string[]) =>
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'PodList',
      items: names.map((n) => ({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: n },
        spec: {
          terminationGracePeriodSeconds: 2,
          containers: [
            {
              name: 'main',
              image: 'staticlet.local/busybox:1',
              command: ['sh', '-c', "trap 'exit 0' TERM; sleep 3600 & wait"],
            },
          ],
        },
      })),
    });

  it('runs a Pod, then a PodList, sends the headers, and applies changes to the list', async () => {
    reply = { body: manifest('single') };
    const agent = await node.startAgent(
      [
        '--http-check-frequency=1s',
        `--manifest-url=${url}`,
        '--manifest-url-header=X-Token:abc,X-Node:one',
        '--manifest-url-header=X-Token:def',
      ],
      { manifests: null },
    );
    await waitFor('single running', () => node.running('single', 'main'));
    assert.equal(seenHeaders[0]!['x-token'], 'abc, def');
    assert.equal(seenHeaders[0]!['x-node'], 'one');
    const sb = (await node.sandboxes())[0]!;
    assert.equal(sb.annotations['kubernetes.io/config.source'], 'http');

    reply = { body: list('one', 'two') };
    await waitFor(
      'one and two running',
      async () => (await node.running('one', 'main')) && (await node.running('two', 'main')),
    );
    await waitFor(
      'single removed',
      async () => !(await node.sandboxes()).some((s) => s.metadata.name === node.podName('single')),
    );

    reply = { body: list('two') };
    await waitFor(
      'one removed',
      async () => !(await node.sandboxes()).some((s) => s.metadata.name === node.podName('one')),
    );
    assert.ok(await node.running('two', 'main'));
    assert.ok(agent.logs.length > 0);
  });

  it('a 500, garbage, a timeout or an oversized body keep the current pods and say why', async () => {
    reply = { body: list('two') };
    const agent = await node.startAgent(['--http-check-frequency=1s', `--manifest-url=${url}`], { manifests: null });
    const c = await waitFor('two running', () => node.running('two', 'main'));
    const check = async (r: Reply, log: RegExp, timeoutMs = 10_000) => {
      reply = r;
      await agent.waitForLog(log, timeoutMs);
      assert.equal((await node.running('two', 'main'))?.id, c.id, `still running after ${log}`);
    };
    await check({ status: 500, body: 'boom' }, /invalid manifest: .*HTTP status 500/);
    await check({ body: '{{{ not yaml' }, /invalid manifest: http:\/\/127\.0\.0\.1:\d+\/pods:1/);
    await check({ bytes: 11 * 1024 * 1024 }, /larger than 10485760 bytes/);
    await check({ body: list('two'), delayMs: 12_000 }, /no answer within 10 s/, 30_000);
    reply = { body: list('two') };
    await sleep(1_500);
    assert.equal((await node.running('two', 'main'))?.id, c.id);
  });
});
