// systemd's side of the notify protocol, for the tests: a real AF_UNIX datagram socket (Node has
// none, so python3 holds it: notify-listener.py) and the messages it received, parsed.
import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { waitFor } from './harness.js';

export interface NotifyMessage {
  /** The sender's PID, from the datagram's credentials. */
  readonly pid: number;
  readonly fields: Readonly<Record<string, string>>;
}

export interface NotifyListener {
  /** What NOTIFY_SOCKET should say: a path, or `@name` (abstract namespace). */
  readonly socket: string;
  /** Every message so far except systemd-notify's BARRIER=1, in arrival order. */
  readonly messages: NotifyMessage[];
  /** The first message from index `from` on that `match` accepts. */
  next(match: (m: NotifyMessage) => boolean, what: string, from?: number, timeoutMs?: number): Promise<NotifyMessage>;
  close(): void;
}

const SCRIPT = join(dirname(fileURLToPath(import.meta.url)), 'notify-listener.py');

export async function listenForNotifications(socket: string): Promise<NotifyListener> {
  const proc: ChildProcess = spawn('python3', [SCRIPT, socket], { stdio: ['ignore', 'pipe', 'inherit'] });
  const messages: NotifyMessage[] = [];
  let listening = false;
  let buf = '';
  proc.stdout!.setEncoding('utf8');
  proc.stdout!.on('data', (chunk: string) => {
    buf += chunk;
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = JSON.parse(buf.slice(0, nl)) as { listening?: string; pid?: number; message?: string };
      buf = buf.slice(nl + 1);
      if (line.listening) listening = true;
      if (line.message === undefined || line.message === 'BARRIER=1') continue;
      const fields = Object.fromEntries(
        line.message.split('\n').map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
      );
      messages.push({ pid: line.pid ?? -1, fields });
    }
  });
  await waitFor('the notify listener', () => listening || proc.exitCode !== null, 10_000, 20);
  if (!listening) throw new Error(`notify listener exited with ${proc.exitCode}`);
  return {
    socket,
    messages,
    next: (match, what, from = 0, timeoutMs = 30_000) =>
      waitFor(`notify message: ${what}`, () => messages.slice(from).find(match), timeoutMs),
    close: () => {
      proc.kill('SIGKILL');
    },
  };
}
