// The termination message, as the kubelet reports it: what the container wrote to its
// terminationMessagePath (a host file we mount there), or with FallbackToLogsOnError and a
// failure, the tail of its log.
import { open } from 'node:fs/promises';
import { ANNOTATION } from '../core/runtime-labels.js';
import type { ContainerStatus } from '../cri-api/messages.js';

/** The kubelet's limits: 4 KiB of message file; 80 lines / 2 KiB of log. */
const MAX_MESSAGE_BYTES = 4096;
const MAX_LOG_LINES = 80;
const MAX_LOG_BYTES = 2048;

async function readTail(path: string, maxBytes: number): Promise<string | undefined> {
  const fh = await open(path, 'r').catch(() => undefined);
  if (!fh) return undefined;
  try {
    const { size } = await fh.stat();
    const length = Math.min(size, maxBytes);
    const buf = Buffer.alloc(length);
    await fh.read(buf, 0, length, size - length);
    return buf.toString('utf8');
  } finally {
    await fh.close();
  }
}

/** `2026-01-01T00:00:00.000000000Z stdout F text` → text, partial lines joined. */
export function criLogContent(text: string): string {
  let out = '';
  for (const line of text.split('\n')) {
    const m = /^\S+ (?:stdout|stderr) ([PF]) ?(.*)$/.exec(line);
    if (!m) continue;
    out += m[2]! + (m[1] === 'F' ? '\n' : '');
  }
  return out;
}

export async function readTerminationMessage(status: ContainerStatus): Promise<string | undefined> {
  if (status.state !== 'CONTAINER_EXITED') return undefined;
  const file = status.annotations[ANNOTATION.terminationMessageHostPath];
  const message = file ? (await readTail(file, MAX_MESSAGE_BYTES))?.trim() : undefined;
  if (message) return message;
  if (
    status.annotations[ANNOTATION.terminationMessagePolicy] !== 'FallbackToLogsOnError' ||
    status.exitCode === 0 ||
    !status.logPath
  )
    return undefined;
  const tail = await readTail(status.logPath, MAX_LOG_BYTES * 4);
  if (!tail) return undefined;
  const lines = criLogContent(tail)
    .split('\n')
    .filter((l, i, all) => l !== '' || i < all.length - 1);
  const joined = lines.slice(-MAX_LOG_LINES).join('\n').trim();
  return joined.length > MAX_LOG_BYTES ? joined.slice(joined.length - MAX_LOG_BYTES) : joined || undefined;
}
