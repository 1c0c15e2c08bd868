// systemd's notify protocol (sd_notify(3)): READY=1, WATCHDOG=1, STOPPING=1, STATUS=... sent as
// one datagram per message to the AF_UNIX socket named by $NOTIFY_SOCKET (a path, or `@name` in
// the abstract namespace).
//
// How: each message is one run of systemd-notify(1), given our PID with --pid. Node has no AF_UNIX
// datagram socket in its core, and the alternatives are worse on a node: a native addon (such as
// unix-dgram) must be compiled on every machine it is installed on, or shipped prebuilt per
// platform; python3 or socat are not there on every node. systemd-notify is there wherever
// systemd is, and speaks every form of the protocol (paths, abstract names, credentials):
// - `--pid=<ours>` makes the datagram carry our PID (we run as root, which may set the sender's
//   credentials), so systemd counts it as the main process's, and adds MAINPID=<ours>, which is
//   the main PID already (the launcher execs node). Where the PID cannot be set, the datagram
//   carries systemd-notify's own, which the unit's NotifyAccess=all accepts;
// - without --no-block it then waits (BARRIER=1, at most 5 s) until systemd has read the
//   message, so the process the message names still exists when systemd looks it up: no race
//   with a short-lived sender.
// One message is in flight at a time, in order; what comes meanwhile is merged into the next one
// (later fields win), so a slow systemd never piles up processes. A run costs the agent about
// 4 ms of CPU; the watchdog pings are spaced accordingly (src/effects/systemd-watcher.ts).
import { execFile } from 'node:child_process';
import type { Logger } from './logger.js';

/** What this process tells its service manager. */
export interface SystemdNotifier {
  /** The watchdog interval (ms) when systemd watches this process (WatchdogSec=), else undefined. */
  readonly watchdogMs: number | undefined;
  /** Sends `KEY=VALUE` fields as one message, after those sent before; never throws or waits. */
  notify(fields: Readonly<Record<string, string>>): void;
  /** Resolves once every message handed over so far has been sent (or has failed). */
  flush(): Promise<void>;
}

export interface NotifyEnvironment {
  readonly socket: string;
  readonly watchdogMs: number | undefined;
}

/** How long one systemd-notify may take (its own wait for systemd is 5 s). */
const SEND_TIMEOUT_MS = 10_000;

/**
 * Reads and removes $NOTIFY_SOCKET, $WATCHDOG_USEC and $WATCHDOG_PID from `env`: whatever the agent
 * runs (mount, umount) never inherits them. The watchdog is ours only when $WATCHDOG_USEC is set and
 * $WATCHDOG_PID is unset or our PID (sd_watchdog_enabled's rule). Undefined without a socket.
 */
export function takeNotifyEnvironment(env: NodeJS.ProcessEnv, pid: number): NotifyEnvironment | undefined {
  const socket = env.NOTIFY_SOCKET;
  const usec = env.WATCHDOG_USEC;
  const watchdogPid = env.WATCHDOG_PID;
  delete env.NOTIFY_SOCKET;
  delete env.WATCHDOG_USEC;
  delete env.WATCHDOG_PID;
  if (!socket || !(socket.startsWith('/') || socket.startsWith('@'))) return undefined;
  const micros = usec !== undefined && /^\d+$/.test(usec) ? Number(usec) : 0;
  const ours = watchdogPid === undefined || watchdogPid === '' || Number(watchdogPid) === pid;
  return { socket, watchdogMs: micros > 0 && ours ? micros / 1000 : undefined };
}

/** A notifier that runs `command` (systemd-notify) once per message. */
export function createSystemdNotifier(
  environment: NotifyEnvironment,
  options: { pid: number; log: Logger; command?: string },
): SystemdNotifier {
  const { log, pid } = options;
  const command = options.command ?? 'systemd-notify';
  let pending: Record<string, string> | undefined;
  let sending: Promise<void> | undefined;
  let disabled = false;
  let lastError: string | undefined;

  const send = (fields: Record<string, string>) =>
    new Promise<void>((resolve) => {
      // One field per argument; a newline in a value would start a field of its own.
      const args = [`--pid=${pid}`, ...Object.entries(fields).map(([k, v]) => `${k}=${v.replace(/\n/g, ' ')}`)];
      // Only what systemd-notify needs: the socket, and PATH to be found by.
      const env = { NOTIFY_SOCKET: environment.socket, ...(process.env.PATH ? { PATH: process.env.PATH } : {}) };
      execFile(command, args, { env, timeout: SEND_TIMEOUT_MS }, (err, _stdout, stderr) => {
        if (!err) {
          if (lastError !== undefined) log.info('systemd notifications go through again');
          lastError = undefined;
        } else if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
          disabled = true;
          log.warn({ command }, 'systemd-notify not found: systemd will not hear READY=1 or WATCHDOG=1');
        } else {
          const message = (stderr.trim() || err.message).split('\n')[0]!;
          // Said once per distinct failure: a watchdog ping every few seconds must not flood the log.
          if (message !== lastError) log.warn({ err: message }, 'systemd notification failed');
          lastError = message;
        }
        resolve();
      });
    });

  const pump = async () => {
    while (pending && !disabled) {
      const fields = pending;
      pending = undefined;
      await send(fields);
    }
    pending = undefined;
    sending = undefined;
  };

  return {
    watchdogMs: environment.watchdogMs,
    notify(fields) {
      if (disabled) return;
      pending = { ...pending, ...fields };
      sending ??= pump();
    },
    flush: () => sending ?? Promise.resolve(),
  };
}
