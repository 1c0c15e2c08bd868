// The systemd notify protocol on a real AF_UNIX datagram socket (python3 holds systemd's end):
// the port through systemd-notify, with a path and an abstract name; then the real agent against
// the test containerd: READY=1 only after its first full sync, WATCHDOG=1 again and again from the
// loop's heartbeat, STOPPING=1 on SIGTERM.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { createLogger } from '../../src/runtime/logger.js';
import { createSystemdNotifier, takeNotifyEnvironment } from '../../src/runtime/systemd-notify.js';
import { manifest, useTestNode, waitFor } from '../support/harness.js';
import { listenForNotifications, type NotifyListener } from '../support/notify-listener.js';

async function withListener<T>(socket: string, body: (listener: NotifyListener) => Promise<T>): Promise<T> {
  const listener = await listenForNotifications(socket);
  try {
    return await body(listener);
  } finally {
    listener.close();
  }
}

describe('systemd notify port', () => {
  const node = useTestNode();

  for (const kind of ['path', 'abstract'] as const) {
    it(`delivers messages in order, from our PID, to ${kind === 'path' ? 'a socket at a path' : 'an abstract socket'}`, async () => {
      const socket =
        kind === 'path' ? join(node.dir, 'notify.sock') : `@staticlet-test/${randomBytes(4).toString('hex')}`;
      await withListener(socket, async (listener) => {
        const environment = takeNotifyEnvironment({ NOTIFY_SOCKET: socket, WATCHDOG_USEC: '2000000' }, process.pid);
        assert.deepEqual(environment, { socket, watchdogMs: 2000 });
        const notifier = createSystemdNotifier(environment!, { pid: process.pid, log: await createLogger() });
        notifier.notify({ READY: '1', STATUS: 'two\nlines' });
        notifier.notify({ WATCHDOG: '1' });
        notifier.notify({ STOPPING: '1' });
        await notifier.flush();
        await waitFor('three messages', () => listener.messages.length >= 2);
        const fields = listener.messages.map((m) => m.fields);
        // The second and third may go as one (merged while the first was in flight): same fields.
        const all = Object.assign({}, ...fields) as Record<string, string>;
        assert.deepEqual(fields[0], { MAINPID: String(process.pid), READY: '1', STATUS: 'two lines' });
        assert.equal(all.WATCHDOG, '1');
        assert.equal(all.STOPPING, '1');
        assert.ok(fields.findIndex((f) => f.WATCHDOG) <= fields.findIndex((f) => f.STOPPING));
        // Root may set the sender's credentials: systemd sees the agent, not systemd-notify.
        for (const m of listener.messages) assert.equal(m.pid, process.pid);
      });
    });
  }
});

describe('systemd notify from the agent', () => {
  const node = useTestNode();

  it('READY=1 after the first sync, WATCHDOG=1 from the heartbeat, STOPPING=1 on SIGTERM', async () => {
    await node.writeManifest('web.yaml', manifest('web'));
    const socket = join(node.dir, 'notify.sock');
    // 10 s: half of it less the 5 s heartbeat is 0, so every heartbeat pings.
    const env = { NOTIFY_SOCKET: socket, WATCHDOG_USEC: '10000000' };

    await withListener(socket, async (listener) => {
      const agent = await node.startAgent([], { env });
      const pid = agent.proc.pid!;
      const ready = await listener.next((m) => m.fields.READY === '1', 'READY=1');
      // The source synced: the pod is known. Nothing ran before this agent, so none runs yet.
      assert.equal(ready.fields.STATUS, '1 static pod, 0 running');
      assert.equal(ready.pid, pid);
      assert.equal(ready.fields.MAINPID, String(pid));
      await waitFor('web running', () => node.running('web', 'main'), 60_000);

      const pings = await waitFor('two watchdog pings', () => {
        const seen = listener.messages.filter((m) => m.fields.WATCHDOG === '1');
        return seen.length >= 2 && seen;
      });
      assert.ok(pings.every((m) => m.pid === pid));
      // A heartbeat after the pod started says so.
      await listener.next((m) => m.fields.STATUS === '1 static pod, 1 running', 'STATUS with the pod running');

      assert.equal(await agent.stop('SIGTERM'), 0);
      const stopping = await listener.next((m) => m.fields.STOPPING === '1', 'STOPPING=1');
      assert.equal(stopping.pid, pid);
      assert.equal(listener.messages.filter((m) => m.fields.READY === '1').length, 1);
    });

    // A restarted agent adopts the running pod: READY=1 comes after the relist, which found it.
    const again = join(node.dir, 'notify-again.sock');
    await withListener(again, async (listener) => {
      await node.startAgent([], { env: { NOTIFY_SOCKET: again } });
      const ready = await listener.next((m) => m.fields.READY === '1', 'READY=1 after the restart');
      assert.equal(ready.fields.STATUS, '1 static pod, 1 running');
      // No WATCHDOG_USEC: no pings, only READY and the status.
      assert.ok(listener.messages.every((m) => m.fields.WATCHDOG === undefined));
    });
  });
});
