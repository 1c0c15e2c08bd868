// A client of Kubernetes' WebSocket channel protocol (`v4.channel.k8s.io`), as kubectl speaks it
// to exec, attach and port-forward: each binary message is one channel's data, its first byte
// the channel number (exec: 0 stdin, 1 stdout, 2 stderr, 3 status, 4 resize; port-forward: 0 data,
// 1 error of the first port, each starting with the port, little endian).
import WebSocket from 'ws';

export interface ChannelSession {
  /** What each channel received so far, joined. */
  received(channel: number): Buffer;
  send(channel: number, data: string | Buffer): void;
  /** Resolves when the server closes the connection. */
  readonly closed: Promise<void>;
  close(): void;
  /** The subprotocol the server chose. */
  readonly protocol: string;
}

/** Opens a channel session; rejects with the server's status and body when it does not upgrade. */
export function openChannelSession(url: string, protocol = 'v4.channel.k8s.io'): Promise<ChannelSession> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, [protocol]);
    const chunks = new Map<number, Buffer[]>();
    let onClosed: () => void = () => undefined;
    const closed = new Promise<void>((r) => (onClosed = r));
    ws.on('message', (data: Buffer) => {
      const list = chunks.get(data[0]!) ?? [];
      list.push(data.subarray(1));
      chunks.set(data[0]!, list);
    });
    ws.on('close', () => onClosed());
    ws.on('unexpected-response', (_req, res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => reject(new UpgradeRefused(res.statusCode ?? 0, body)));
    });
    ws.on('error', (err) => reject(err));
    ws.on('open', () =>
      resolve({
        received: (channel) => Buffer.concat(chunks.get(channel) ?? []),
        send: (channel, data) => ws.send(Buffer.concat([Buffer.from([channel]), Buffer.from(data)])),
        closed,
        close: () => ws.close(),
        protocol: ws.protocol,
      }),
    );
  });
}

export class UpgradeRefused extends Error {
  constructor(
    readonly status: number,
    readonly body: string,
  ) {
    super(`upgrade refused: ${status} ${body.trim()}`);
  }
}

/** The exit code in an exec's status (channel 3): 0 on Success, else the ExitCode cause. */
export function exitCodeOf(status: Buffer): number | undefined {
  if (status.length === 0) return undefined;
  const s = JSON.parse(status.toString('utf8')) as {
    status?: string;
    details?: { causes?: { reason?: string; message?: string }[] };
  };
  if (s.status === 'Success') return 0;
  const cause = s.details?.causes?.find((c) => c.reason === 'ExitCode');
  return cause?.message !== undefined ? Number(cause.message) : undefined;
}
