// The event log file: one JSON line per event, after a header line that says how to replay it.
// Version 2 writes a relist as its change since the relist before (relist-delta.ts); the reader
// rebuilds it, and still reads version 1 files, where every relist is written in full.
import { createWriteStream, fchmodSync, openSync, type WriteStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { LoggedEvent } from '../core/model/events.js';
import type { ContainerObservation, SandboxObservation } from '../core/model/observations.js';
import type { SourceKind } from '../core/model/static-pod.js';
import { applyListingDelta, listingDelta, type ListingDelta } from './relist-delta.js';

const VERSION = 2;

export interface EventLogHeader {
  readonly staticlet: 'event-log';
  readonly version: 1 | 2;
  readonly nodeName: string;
  readonly configuredSources: SourceKind[];
  readonly startedAt: string;
}

export interface EventLogWriter {
  write(event: LoggedEvent): void;
  close(): Promise<void>;
}

/** A relist as the file holds it from version 2 on: without its listings when it has a delta. */
type RelistEvent = Extract<LoggedEvent, { type: 'RuntimeRelisted' }>;
interface RelistDeltas {
  readonly sandboxes: ListingDelta<SandboxObservation>;
  readonly containers: ListingDelta<ContainerObservation>;
}
type WrittenRelist = Omit<RelistEvent, 'sandboxes' | 'containers'> & { relistDelta: RelistDeltas };

/**
 * Opens the log for appending, readable by its owner only (0600, an older file too): it holds the
 * manifests as written, their env values included, and every error the agent met.
 */
export function openEventLog(path: string, header: Omit<EventLogHeader, 'version'>): EventLogWriter {
  const fd = openSync(path, 'a', 0o600);
  fchmodSync(fd, 0o600);
  const stream: WriteStream = createWriteStream(path, { fd });
  stream.write(JSON.stringify({ ...header, version: VERSION }) + '\n');
  let lastRelist: RelistEvent | undefined;
  return {
    write: (event) => {
      let line: LoggedEvent | WrittenRelist = event;
      if (event.type === 'RuntimeRelisted') {
        if (lastRelist) {
          const { sandboxes: _s, containers: _c, ...rest } = event;
          line = { ...rest, relistDelta: relistDeltas(lastRelist, event) };
        }
        lastRelist = event;
      }
      stream.write(JSON.stringify(line) + '\n');
    },
    close: () => new Promise((resolve) => stream.end(resolve)),
  };
}

function relistDeltas(previous: RelistEvent, current: RelistEvent): RelistDeltas {
  return {
    sandboxes: listingDelta(previous.sandboxes, current.sandboxes, current.startedAt),
    containers: listingDelta(previous.containers, current.containers, current.startedAt),
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
  let lastRelist: RelistEvent | undefined;
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
      if (obj.version !== 1 && obj.version !== VERSION)
        throw new Error(`${path}:${i + 1}: event log version ${String(obj.version)}, this staticlet reads 1 and 2`);
      runs.push({ header: obj as EventLogHeader, events: [] });
      lastRelist = undefined;
    } else if (typeof obj.type === 'string' && typeof obj.seq === 'number') {
      const run = runs[runs.length - 1];
      if (!run) throw new Error(`${path}:${i + 1}: event before the header line`);
      let event = value as LoggedEvent;
      if ('relistDelta' in obj) {
        if (!lastRelist) throw new Error(`${path}:${i + 1}: a relist written as a change, with no relist before it`);
        const { relistDelta, ...rest } = value as WrittenRelist;
        event = {
          ...rest,
          sandboxes: applyListingDelta(lastRelist.sandboxes, relistDelta.sandboxes, rest.startedAt),
          containers: applyListingDelta(lastRelist.containers, relistDelta.containers, rest.startedAt),
        };
      }
      if (event.type === 'RuntimeRelisted') lastRelist = event;
      run.events.push(event);
    } else {
      throw new Error(`${path}:${i + 1}: neither a header nor an event`);
    }
  });
  return runs;
}
