// Fixes to what @kubernetes/client-node 1.4 sends and parses, and safe reads of untyped objects.
//
// - MicroTime fields (Lease acquire/renewTime, Event eventTime/series.lastObservedTime): the API
//   server only parses them with exactly six fractional digits ("...05.000000Z"), but a plain Date
//   serializes with three ("parsing time ... as \"2006-01-02T15:04:05.000000Z07:00\": cannot parse
//   \".689Z\" as \".000000\""). client-node's V1MicroTime serializes right; its deserializer does
//   not know the type and leaves the string. So: V1MicroTime instances both ways.
// - Watch hands over the raw JSON objects (timestamps as strings); the list call returns
//   deserialized models (timestamps as Date). Watch objects go through the library's
//   ObjectSerializer so every V1Pod the adapter emits has the same shape.
import { V1MicroTime, type CoreV1Event, type V1Lease, type V1Pod } from '@kubernetes/client-node';
// Not re-exported from the package index; the package has no "exports" map, so the deep import
// resolves (pinned to ~1.4.0 in package.json, and tsc checks the path).
import { ObjectSerializer } from '@kubernetes/client-node/dist/gen/models/ObjectSerializer.js';

function toMicroTime(v: Date | string | undefined): V1MicroTime | undefined {
  if (v === undefined || v instanceof V1MicroTime) return v;
  const t = new V1MicroTime(v instanceof Date ? v.getTime() : v);
  return Number.isNaN(t.getTime()) ? undefined : t;
}

export function withMicroTimes(lease: V1Lease): V1Lease {
  const spec = lease.spec;
  if (!spec) return lease;
  // (As read back, these are strings whatever the declared type says.)
  const acquireTime = toMicroTime(spec.acquireTime as Date | string | undefined);
  const renewTime = toMicroTime(spec.renewTime as Date | string | undefined);
  return {
    ...lease,
    spec: { ...spec, ...(acquireTime ? { acquireTime } : {}), ...(renewTime ? { renewTime } : {}) },
  };
}

export function eventWithMicroTimes(event: CoreV1Event): CoreV1Event {
  const eventTime = toMicroTime(event.eventTime);
  const lastObservedTime = toMicroTime(event.series?.lastObservedTime);
  return {
    ...event,
    ...(eventTime ? { eventTime } : {}),
    ...(event.series ? { series: { ...event.series, ...(lastObservedTime ? { lastObservedTime } : {}) } } : {}),
  };
}

/** A pod as a watch hands it over (raw JSON), as the list call returns it (a model). */
export function podFromWatch(obj: unknown): V1Pod {
  return ObjectSerializer.deserialize(obj, 'V1Pod', '') as V1Pod;
}

export function readString(obj: unknown, ...path: string[]): string | undefined {
  const v = readPath(obj, path);
  return typeof v === 'string' ? v : undefined;
}

export function readNumber(obj: unknown, ...path: string[]): number | undefined {
  const v = readPath(obj, path);
  return typeof v === 'number' ? v : undefined;
}

function readPath(obj: unknown, path: string[]): unknown {
  let cur = obj;
  for (const key of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur;
}
