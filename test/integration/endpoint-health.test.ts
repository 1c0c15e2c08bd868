// /healthz of the real agent on the real containerd: healthy while the loop turns and the runtime
// answers; unhealthy when the runtime is gone (a proxy to the test containerd is cut) and healthy
// again when it is back; unhealthy when the loop is wedged (the documented fault-injection switch
// STATICLET_FAULT_INJECTION=hold-loop, src/streams/fault-hold.ts) and healthy again when it turns;
// a frozen agent answers nothing at all.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { endpoint, manifest, useTestNode, waitFor } from '../support/harness.js';
import { answerWith, freePort, get, RuntimeProxy, staticlet } from '../support/endpoint.js';

describe('the health endpoint', () => {
  const node = useTestNode();

  it('fails /healthz while the runtime is gone, and passes again when it is back; the pods keep running', async () => {
    const proxy = new RuntimeProxy(join(node.dir, 'runtime.sock'), endpoint().replace(/^unix:\/\//, ''));
    await proxy.up();
    try {
      const port = await freePort();
      await node.writeManifest('web.yaml', manifest('web'));
      const agent = await node.startAgent([`--container-runtime-endpoint=${proxy.endpoint}`, `--healthz-port=${port}`]);
      await agent.waitForLog(/serving \/healthz/);
      const running = await waitFor('web running', () => node.running('web', 'main'));
      await waitFor('/healthz ok', async () => (await get(port, '/healthz')).body === 'ok');
      const verbose = await get(port, '/healthz?verbose');
      assert.equal(verbose.status, 200);
      for (const line of ['[+]ping ok', '[+]syncloop ok', '[+]runtime ok', '[+]source/file ok'])
        assert.ok(verbose.body.includes(line), `${line} in\n${verbose.body}`);
      assert.match(verbose.body, /healthz check passed\n$/);

      await proxy.cut();
      const down = await answerWith(port, '/healthz', 500);
      assert.match(down.body, /^\[-\]runtime failed: container runtime unavailable: .+$/m);
      assert.match(down.body, /^\[\+\]syncloop ok$/m, 'the loop itself still turns');
      assert.match(down.body, /healthz check failed\n$/);
      const one = await get(port, '/healthz/runtime');
      assert.equal(one.status, 500);
      assert.match(one.body, /^internal server error: container runtime unavailable/);
      assert.equal((await get(port, '/healthz/ping')).body, 'ok');
      assert.equal((await get(port, '/healthz?exclude=runtime')).status, 200, 'a check can be excluded');
      assert.equal((await get(port, '/readyz')).status, 503, 'not ready either');
      assert.ok(await node.running('web', 'main'), 'the pod keeps running while the agent cannot see it');

      await proxy.up();
      await waitFor('/healthz ok again', async () => (await get(port, '/healthz')).status === 200, 60_000);
      assert.equal((await node.running('web', 'main'))?.id, running.id, 'the same container, never restarted');
    } finally {
      await proxy.cut();
    }
  });

  it('fails /healthz while the loop is wedged, and passes again when it turns', async () => {
    const port = await freePort();
    // The switch must be in the agent's environment; the harness passes this process's on.
    process.env.STATICLET_FAULT_INJECTION = 'hold-loop';
    const agent = await node.startAgent([`--healthz-port=${port}`]).finally(() => {
      delete process.env.STATICLET_FAULT_INJECTION;
    });
    await agent.waitForLog(/serving \/healthz/);
    // Ready: the sources and the runtime have been listed, so only the loop can fail below.
    await waitFor('/readyz ok', async () => (await get(port, '/readyz')).status === 200);

    agent.proc.kill('SIGUSR2');
    await agent.waitForLog(/"held":true/);
    // The heartbeat no longer passes through the loop: after four periods (20 s) it is stale.
    const wedged = await answerWith(port, '/healthz', 500, 90_000);
    assert.match(wedged.body, /^\[-\]syncloop failed: no heartbeat through the loop for [\d.]+s \(limit 20s\)$/m);
    assert.match(wedged.body, /^\[\+\]runtime ok$/m);
    assert.equal((await get(port, '/healthz/syncloop')).status, 500);
    assert.equal((await get(port, '/readyz')).status, 503, 'a wedged loop is not ready either');

    agent.proc.kill('SIGUSR2');
    await agent.waitForLog(/"held":false/);
    await waitFor('/healthz ok again', async () => (await get(port, '/healthz')).status === 200, 30_000);
  });

  it('answers nothing while the agent is frozen, which `staticlet status` reports', async () => {
    const port = await freePort();
    const agent = await node.startAgent([`--healthz-port=${port}`]);
    await agent.waitForLog(/serving \/healthz/);
    await waitFor('/healthz ok', async () => (await get(port, '/healthz')).status === 200);
    agent.proc.kill('SIGSTOP');
    try {
      const frozen = await staticlet('status', `--healthz-port=${port}`, '--timeout=2s');
      assert.equal(frozen.code, 1);
      assert.match(frozen.stderr, /no agent answers at http:\/\/127\.0\.0\.1:\d+: no answer within 2000 ms/);
    } finally {
      agent.proc.kill('SIGCONT');
    }
    await waitFor('/healthz ok after the freeze', async () => (await get(port, '/healthz')).status === 200);
  });
});
