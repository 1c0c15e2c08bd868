// ListContainerStats answers → staticlet's ContainerStats (see convert.ts for how answers are read:
// defensively, a missing field is absent or its default). A uint64 wrapper (UInt64Value) that the
// runtime leaves out is a figure it does not know, and stays absent rather than zero.
import type { ContainerStats, CpuUsage, FilesystemUsage, MemoryUsage } from '../../cri-api/messages.js';
import { asObj, containerMetadata, int64, str, strMap } from './convert.js';

type Obj = Record<string, unknown>;

/** A UInt64Value field as a number (exact up to 2^53: 9 PB, 104 days of one core in ns). */
function uint64(o: Obj | undefined, key: string): number | undefined {
  const wrapper = asObj(o?.[key]);
  if (!wrapper) return undefined;
  const n = Number(int64(wrapper, 'value'));
  return Number.isFinite(n) ? n : undefined;
}

function withFigures<T>(base: T, figures: Record<string, number | undefined>): T {
  const out: Record<string, unknown> = { ...(base as Record<string, unknown>) };
  for (const [k, v] of Object.entries(figures)) if (v !== undefined) out[k] = v;
  return out as T;
}

function cpuUsage(v: unknown): CpuUsage | undefined {
  const o = asObj(v);
  if (!o) return undefined;
  return withFigures<CpuUsage>(
    { timestamp: int64(o, 'timestamp') },
    { usageCoreNanoSeconds: uint64(o, 'usageCoreNanoSeconds'), usageNanoCores: uint64(o, 'usageNanoCores') },
  );
}

function memoryUsage(v: unknown): MemoryUsage | undefined {
  const o = asObj(v);
  if (!o) return undefined;
  return withFigures<MemoryUsage>(
    { timestamp: int64(o, 'timestamp') },
    {
      workingSetBytes: uint64(o, 'workingSetBytes'),
      availableBytes: uint64(o, 'availableBytes'),
      usageBytes: uint64(o, 'usageBytes'),
      rssBytes: uint64(o, 'rssBytes'),
    },
  );
}

function filesystemUsage(v: unknown): FilesystemUsage | undefined {
  const o = asObj(v);
  if (!o) return undefined;
  return withFigures<FilesystemUsage>(
    { timestamp: int64(o, 'timestamp'), mountpoint: str(asObj(o['fsId']), 'mountpoint') },
    { usedBytes: uint64(o, 'usedBytes'), inodesUsed: uint64(o, 'inodesUsed') },
  );
}

export function containerStatsFromProto(v: unknown): ContainerStats {
  const o = asObj(v);
  const attributes = asObj(o?.['attributes']);
  const cpu = cpuUsage(o?.['cpu']);
  const memory = memoryUsage(o?.['memory']);
  const writableLayer = filesystemUsage(o?.['writableLayer']);
  return {
    id: str(attributes, 'id'),
    metadata: containerMetadata(attributes?.['metadata']),
    labels: strMap(attributes, 'labels'),
    ...(cpu ? { cpu } : {}),
    ...(memory ? { memory } : {}),
    ...(writableLayer ? { writableLayer } : {}),
  };
}
