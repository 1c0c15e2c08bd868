// The agent's own state and credentials are not a pod's to write: a writable hostPath mount that
// would reach them (the path itself, a directory above it, or a place inside it) is refused,
// unless the manifest names that exact path, which is a deliberate choice. Symlinks are resolved,
// so a link to the root directory is no way around the rule.
import { realpath } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';

/** Rejects when the writable mount of `path` would reach one of `protectedPaths`. */
export async function checkNotProtected(path: string, protectedPaths: readonly string[], what: string): Promise<void> {
  const wanted = resolve(path);
  const real = await realPathOf(wanted);
  for (const configured of protectedPaths) {
    const named = resolve(configured);
    if (wanted === named) continue; // asked for by its exact path
    const target = await realPathOf(named);
    if (overlaps(real, target) || overlaps(wanted, named)) {
      throw new Error(
        `${what}: a writable mount of ${path} would reach the agent's own ${named}; mount it readOnly, or name ${named} exactly`,
      );
    }
  }
}

/** Whether one path is the other or lies inside it. */
export function overlaps(a: string, b: string): boolean {
  const within = (inner: string, outer: string) => inner === outer || outer === '/' || inner.startsWith(`${outer}/`);
  return within(a, b) || within(b, a);
}

/** The real path of `path`; for a path not (yet) there, its nearest existing parent's plus the rest. */
async function realPathOf(path: string): Promise<string> {
  try {
    return await realpath(path);
  } catch {
    const parent = dirname(path);
    if (parent === path) return path;
    return resolve(await realPathOf(parent), basename(path));
  }
}
