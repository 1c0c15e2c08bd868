// The event log file: one JSON line per event, after a header line that says how to replay it.
import { createWriteStream, fchmodSync, openSync, type WriteStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { LoggedEvent } from '../core/model/events.js';
import type { SourceKind } from '../core/model/static-pod.js';

export interface EventLogHeader {
  readonly staticlet: 'event-log';
  readonly version: 1;
  readonly nodeName: string;
  readonly configuredSources: SourceKind[];
  readonly startedAt: string;
}

export interface EventLogWriter {
  write(event: LoggedEvent): void;
  close(): Promise<void>;
}

/**
 * Opens the log for appending, readable by its owner only (0600, an older file too): it holds the
 * manifests as written, their env values included, and every error the agent met.
 */
export function openEventLog(path: string, header: EventLogHeader): EventLogWriter {
  const fd = openSync(path, 'a', 0o600);
  fchmodSync(fd, 0o600);
  const stream: WriteStream = createWriteStream(path, { fd });
  stream.write(JSON.stringify(header) + '\n');
  return {
    write: (event) => {
      stream.write(JSON.stringify(event) + '\n');
    },
    close: () => new Promise((resolve) => stream.end(resolve)),
  };
}

export interface RecordedRun {
  readonly header: EventLogHeader;
  readonly events: LoggedEvent[];
}

/** Reads a log; a file appended to by several runs gives several recorded runs. */
export async function readEventLog(path: string): Promise<RecordedRun[]> {
  const text = await readFile(path, 'utf8');
  const runs: { header: EventLogHeader; events: LoggedEvent[] }[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      throw new Error(`${path}:${i + 1}: not a JSON line`);
    }
    const obj = value as Partial<EventLogHeader> & Partial<LoggedEvent>;
    if (obj.staticlet === 'event-log') {
      runs.push({ header: obj as EventLogHeader, events: [] });
    } else if (typeof obj.type === 'string' && typeof obj.seq === 'number') {
      const run = runs[runs.length - 1];
      if (!run) throw new Error(`${path}:${i + 1}: event before the header line`);
      run.events.push(obj as LoggedEvent);
    } else {
      throw new Error(`${path}:${i + 1}: neither a header nor an event`);
    }
  });
  return runs;
}
