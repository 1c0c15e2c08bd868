// The pods' log directories, the kubelet's layout, read with no runtime and no API server:
// <podLogsDir>/<namespace>_<pod>_<uid>/<container>/<attempt>.log.
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';

/** A problem the user can act on (no such pod, an unreadable directory): printed as it is. */
export class PodLogsError extends Error {
  override name = 'PodLogsError';
}

export interface PodLogDir {
  readonly path: string;
  readonly namespace: string;
  readonly podName: string;
  readonly uid: string;
}

function errorCode(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | undefined)?.code;
}

/** `<namespace>_<pod>_<uid>`: namespaces and pod names are DNS names, so they hold no `_`. */
export function parsePodLogDirName(name: string): Omit<PodLogDir, 'path'> | undefined {
  const parts = name.split('_');
  if (parts.length !== 3 || parts.some((p) => p === '')) return undefined;
  return { namespace: parts[0]!, podName: parts[1]!, uid: parts[2]! };
}

function unreadable(what: string, path: string, err: unknown): PodLogsError {
  const code = errorCode(err);
  if (code === 'ENOENT') return new PodLogsError(`${what} ${path} does not exist`);
  if (code === 'EACCES' || code === 'EPERM') return new PodLogsError(`cannot read ${what} ${path}: permission denied`);
  if (code === 'ENOTDIR') return new PodLogsError(`${what} ${path} is not a directory`);
  return new PodLogsError(`cannot read ${what} ${path}: ${(err as Error).message}`);
}

async function subdirectories(path: string, what: string): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(path, { withFileTypes: true });
  } catch (err) {
    throw unreadable(what, path, err);
  }
  const names: string[] = [];
  for (const e of entries) {
    if (e.isDirectory()) names.push(e.name);
    else if (e.isSymbolicLink() && (await stat(join(path, e.name)).catch(() => undefined))?.isDirectory())
      names.push(e.name);
  }
  return names.sort();
}

/** Every pod log directory under the root. */
export async function listPodLogDirs(root: string): Promise<PodLogDir[]> {
  const dirs: PodLogDir[] = [];
  for (const name of await subdirectories(root, 'pod logs directory')) {
    const parsed = parsePodLogDirName(name);
    if (parsed) dirs.push({ ...parsed, path: join(root, name) });
  }
  return dirs;
}

/** The names of the containers that have a log directory in a pod's log directory. */
export function listContainerDirs(podDir: string): Promise<string[]> {
  return subdirectories(podDir, 'pod log directory');
}

/** The attempts that have a log file (`<attempt>.log`), in increasing order. ENOENT is thrown as is. */
export async function listAttempts(containerDir: string): Promise<number[]> {
  const attempts: number[] = [];
  for (const name of await readdir(containerDir)) {
    const m = /^(\d{1,9})\.log$/.exec(name);
    if (m) attempts.push(Number(m[1]));
  }
  return attempts.sort((a, b) => a - b);
}

/** When a pod last logged: the newest mtime of its log files (the directory's own when it has none). */
export async function lastLogTime(podDir: string): Promise<number> {
  let newest = (await stat(podDir).catch(() => undefined))?.mtimeMs ?? 0;
  let logged = -1;
  const containers = await readdir(podDir).catch(() => [] as string[]);
  for (const c of containers) {
    const files = await readdir(join(podDir, c)).catch(() => [] as string[]);
    for (const f of files) {
      if (!/^\d+\.log$/.test(f)) continue;
      const st = await stat(join(podDir, c, f)).catch(() => undefined);
      if (st) logged = Math.max(logged, st.mtimeMs);
    }
  }
  if (logged >= 0) newest = logged;
  return newest;
}
