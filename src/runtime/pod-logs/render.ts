// Log lines as kubectl prints them: the content, after the time with timestamps. Both streams go
// to one output.
import type { LogLine } from './cri-log-line.js';

export function renderLines(lines: readonly LogLine[], timestamps: boolean): Buffer {
  const parts: Buffer[] = [];
  for (const l of lines) {
    if (timestamps) parts.push(Buffer.from(`${l.time} `, 'latin1'));
    parts.push(l.content, NEWLINE);
  }
  return Buffer.concat(parts);
}
const NEWLINE = Buffer.from('\n');
