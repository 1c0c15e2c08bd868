// What the manifest directory source makes of an entry that has a manifest's name but cannot be
// read as one (a directory, a FIFO, a device, a symlink loop or one to nowhere, a file too large or
// unreadable): the reason it gives, and whether the entry counts as gone or as an invalid manifest.
import type { EntryProblem } from '../runtime/manifest-fs.js';

/**
 * The largest manifest file read: 1 MiB. One file holds one pod, and a pod object larger than
 * about 1.5 MiB cannot be stored by the API server (etcd's default request limit), so no working
 * pod comes near it; the bound keeps a runaway file (or a /proc-like file that says it is empty)
 * from costing more than a few milliseconds to read and parse. A manifest URL, which holds lists of
 * pods, has its own cap of 10 MiB (URL_MAX_BYTES).
 */
export const MANIFEST_MAX_BYTES = 1024 * 1024;

function bytes(n: number): string {
  return n % (1024 * 1024) === 0 ? `${n / (1024 * 1024)} MiB` : `${n} bytes`;
}

/** The reason, as the log says it after the file's name. */
export function describeProblem(p: EntryProblem): string {
  switch (p.kind) {
    case 'not-a-file':
      return p.target !== undefined
        ? `a symlink to ${p.target}, which is a ${p.type}, not a regular file`
        : `a ${p.type}, not a regular file`;
    case 'dangling-symlink':
      return `a symlink to ${p.target}, which does not exist`;
    case 'symlink-loop':
      return 'a symlink loop (too many levels of symbolic links)';
    case 'too-large':
      return `larger than ${bytes(p.cap)}, the limit on a manifest`;
    case 'unreadable':
      return `cannot read it: ${p.message}`;
  }
}

/**
 * `gone`: as if there were no file; a pod it ran is removed. Only a symlink to nowhere: the file it
 * named was deleted (or, in a Kubernetes volume, the key was dropped and the link is next), and
 * deleting a manifest is what removes a pod.
 * `invalid`: something is at that name but cannot be run; like a broken edit, the last valid pod
 * keeps running and the reason is reported, until the entry is a manifest again or is deleted.
 */
export function problemMeans(p: EntryProblem): 'gone' | 'invalid' {
  return p.kind === 'dangling-symlink' ? 'gone' : 'invalid';
}
