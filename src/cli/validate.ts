// `staticlet validate`: manifests checked as the agent would read them, with no runtime. Each path
// goes through the directory source's first scan (read-sources-once.ts), so a directory's entries
// are judged by the agent's own rules (names, symlinks, FIFOs, the size cap); then the pods of all
// paths are folded as one node's manifests, and a pod defined twice is a problem of the manifest
// the agent would ignore.
import { statSync } from 'node:fs';
import { desiredPods } from '../core/desired.js';
import { fold } from '../core/fold.js';
import { parseManifestText } from '../core/manifest/parse.js';
import type { ManifestProblem } from '../core/model/events.js';
import { initialState } from '../core/model/state.js';
import { fullName } from '../core/model/static-pod.js';
import { readEntry } from '../runtime/manifest-entry.js';
import { MANIFEST_MAX_BYTES } from '../streams/manifest-entries.js';
import { scanOnce, type SkippedEntry } from './read-sources-once.js';

export interface ValidatedPod {
  /** `namespace/name`, the name with the node suffix. */
  readonly pod: string;
  readonly uid: string;
}

export interface ValidatedManifest {
  readonly file: string;
  readonly pods: readonly ValidatedPod[];
  readonly problems: readonly ManifestProblem[];
}

export interface ValidateReport {
  readonly nodeName: string;
  readonly manifests: readonly ValidatedManifest[];
  readonly skipped: readonly SkippedEntry[];
}

export async function validatePaths(paths: readonly string[], nodeName: string): Promise<ValidateReport> {
  const manifests: ValidatedManifest[] = [];
  const skipped: SkippedEntry[] = [];
  let state = initialState(['file']);
  let seq = 0;
  for (const path of paths) {
    // The agent takes a missing path for an empty directory; a path named here must exist.
    if (!exists(path)) {
      manifests.push({ file: path, pods: [], problems: [{ origin: path, message: 'no such file or directory' }] });
      continue;
    }
    const scan = await scanOnce(path, nodeName);
    skipped.push(...scan.skipped);
    for (const e of scan.events) {
      if (e.type === 'ManifestRead') {
        manifests.push({ file: e.origin, pods: e.pods.map((p) => ({ pod: fullName(p), uid: p.uid })), problems: [] });
        state = fold(state, { ...e, seq: ++seq, at: 0 });
      } else if (e.type === 'ManifestInvalid') {
        manifests.push({ file: e.origin, pods: [], problems: e.problems });
      }
    }
  }
  // The agent runs one pod per name: of two manifests defining it, the one it would ignore has a
  // problem (with no runtime to ask, the first in name order wins, as at a first start).
  for (const c of desiredPods(state).conflicts) {
    for (const loser of c.losers) {
      const i = manifests.findIndex((m) => m.file === loser);
      const m = manifests[i]!;
      const problem: ManifestProblem = {
        origin: loser,
        ...nameLocation(loser),
        field: 'metadata.name',
        message: `pod ${c.fullName} is also defined by ${c.winner}: the agent runs one of them and ignores the other`,
      };
      manifests[i] = { file: m.file, pods: [], problems: [...m.problems, problem] };
    }
  }
  manifests.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
  return { nodeName, manifests, skipped };
}

function exists(path: string): boolean {
  try {
    statSync(path);
    return true;
  } catch {
    // A symlink to nowhere is no file either, for the agent too.
    return false;
  }
}

/** The line of `metadata.name` in a manifest already read once (it parsed, so it parses again). */
function nameLocation(file: string): { line: number; column: number } | object {
  const read = readEntry(file, MANIFEST_MAX_BYTES);
  if (read.kind !== 'text') return {};
  const parsed = parseManifestText(read.text, file);
  return (parsed.ok && parsed.documents[0]?.locate(['metadata', 'name'])) || {};
}

export function countProblems(report: ValidateReport): number {
  return report.manifests.reduce((n, m) => n + m.problems.length, 0);
}
