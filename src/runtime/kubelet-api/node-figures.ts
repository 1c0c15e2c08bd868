// The node's own figures for /stats/summary: CPU time and boot time (/proc/stat), memory
// (/proc/meminfo), and the filesystem of the agent's root directory (statfs).
import { readFile, statfs } from 'node:fs/promises';
import { parseMeminfo, parseProcStat, type FsFigures, type NodeFigures } from '../../core/kubelet-api/stats-summary.js';

export async function readNodeFigures(fsPath: string, now: () => number = Date.now): Promise<NodeFigures> {
  const [stat, meminfo, fs] = await Promise.all([
    readFile('/proc/stat', 'utf8'),
    readFile('/proc/meminfo', 'utf8'),
    filesystem(fsPath),
  ]);
  const cpu = parseProcStat(stat);
  const memory = parseMeminfo(meminfo);
  if (!cpu || !memory) throw new Error('cannot read the node figures from /proc/stat and /proc/meminfo');
  return { at: now(), ...cpu, memory, ...(fs ? { fs } : {}) };
}

async function filesystem(path: string): Promise<FsFigures | undefined> {
  const s = await statfs(path).catch(() => undefined);
  if (!s) return undefined;
  return {
    capacityBytes: s.blocks * s.bsize,
    availableBytes: s.bavail * s.bsize,
    usedBytes: (s.blocks - s.bfree) * s.bsize,
    inodes: s.files,
    inodesFree: s.ffree,
  };
}
