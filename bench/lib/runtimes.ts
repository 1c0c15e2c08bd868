// The CRI runtimes a benchmark can run on, and how each is started privately: by the same
// scripts the tests use, in a directory of its own, with the test images loaded.
import { execFile } from 'node:child_process';
import { readdir, readFile, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const execFileP = promisify(execFile);

export const RUNTIME_KINDS = ['containerd1', 'containerd2', 'crio'] as const;
export type RuntimeKind = (typeof RUNTIME_KINDS)[number];

export interface RuntimeRecipe {
  /** The instance directory's name in the temporary directory, before mkdtemp's six characters. */
  dirPrefix: string;
  /** What the daemon's version must look like: a start script without the version choice would
   * run another runtime, and the report would name the wrong one. */
  expect: RegExp;
  /** The script and its arguments that start the runtime in `dir` (and stop it). */
  start(dir: string): { script: string; args: string[]; env?: Record<string, string> };
  stop(dir: string): { script: string; args: string[]; env?: Record<string, string> };
  /** The CRI socket in `dir`. */
  socket(dir: string): string;
  /** The pid file the start script writes. */
  pidFile(dir: string): string;
  /** Which of the machine's processes, besides the daemon, work for this instance (containerd's
   * shims, CRI-O's conmons): a runtime's cost to a node is theirs too. */
  isHelper(exe: string, argv: readonly string[], dir: string): boolean;
  /** The images the scenarios use, loaded into the instance (undefined: the start loads them). */
  images(dir: string): { script: string; args: string[] } | undefined;
}

const containerdShim = (exe: string, argv: readonly string[], dir: string) =>
  exe.startsWith('containerd-shim') && argv[argv.indexOf('-address') + 1] === join(dir, 'containerd.sock');

function containerd(env: Record<string, string>, expect: RegExp): RuntimeRecipe {
  return {
    dirPrefix: 'staticlet-bench-ctd-',
    expect,
    start: (dir) => ({ script: 'scripts/containerd.sh', args: ['start', dir], env }),
    stop: (dir) => ({ script: 'scripts/containerd.sh', args: ['stop', dir], env }),
    socket: (dir) => join(dir, 'containerd.sock'),
    pidFile: (dir) => join(dir, 'containerd.pid'),
    isHelper: containerdShim,
    images: (dir) => ({ script: 'scripts/images.sh', args: [join(dir, 'containerd.sock')] }),
  };
}

/** CRI-O by scripts/crio.sh, which loads the images before it starts; a conmon per container. */
const crio: RuntimeRecipe = {
  // Short: conmon's attach socket paths (DIR/attach/<64 hex>/attach) must fit in 107 bytes.
  dirPrefix: 'stlt-crio-',
  expect: /^crio /,
  start: (dir) => ({ script: 'scripts/crio.sh', args: ['start', dir] }),
  stop: (dir) => ({ script: 'scripts/crio.sh', args: ['stop', dir] }),
  socket: (dir) => join(dir, 'crio.sock'),
  pidFile: (dir) => join(dir, 'crio.pid'),
  isHelper: (exe, argv, dir) => exe === 'conmon' && argv.some((a) => a.startsWith(`${dir}/`)),
  images: () => undefined,
};

export const RECIPES: Record<RuntimeKind, RuntimeRecipe> = {
  // scripts/containerd.sh picks the version by STATICLET_CONTAINERD: 1, Debian's 1.6; 2, the 2.x
  // built from the Go module proxy (scripts/containerd2/build.sh).
  containerd1: containerd({ STATICLET_CONTAINERD: '1' }, /^containerd v?1\./),
  containerd2: containerd({ STATICLET_CONTAINERD: '2' }, /^containerd v?2\./),
  crio,
};

export function parseRuntimeKinds(list: string): RuntimeKind[] {
  const kinds = list.split(',').filter(Boolean);
  for (const k of kinds)
    if (!(RUNTIME_KINDS as readonly string[]).includes(k))
      throw new Error(`--runtime: one or more of ${RUNTIME_KINDS.join(', ')}, got "${k}"`);
  if (kinds.length === 0) throw new Error('--runtime: at least one runtime');
  return kinds as RuntimeKind[];
}

/** The daemon's own answer to `--version`, by the binary it runs: "containerd v1.6.20". */
export async function daemonVersion(pid: number): Promise<string> {
  try {
    const exe = await readlink(`/proc/${pid}/exe`);
    const { stdout } = await execFileP(exe, ['--version'], { timeout: 10_000 });
    const first = stdout.trim().split('\n')[0] ?? '';
    // containerd: "containerd github.com/containerd/containerd v1.6.20 <commit>"
    const m = /^(\S+)\s+\S+\s+(v?\d+\.\d+\.\d+\S*)/.exec(first) ?? /^(\S+)\s+version\s+(\S+)/.exec(first);
    return m ? `${m[1]} ${m[2]}` : first;
  } catch {
    return 'unknown';
  }
}

/** The pids of a runtime instance's helper processes (shims, conmons) running now. */
export async function helperPids(recipe: RuntimeRecipe, dir: string): Promise<number[]> {
  const out: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const exe = (await readlink(`/proc/${entry}/exe`)).split('/').pop() ?? '';
      const argv = (await readFile(`/proc/${entry}/cmdline`, 'utf8')).split('\0');
      if (recipe.isHelper(exe, argv, dir)) out.push(Number(entry));
    } catch {
      // gone, or not ours to read
    }
  }
  return out;
}
