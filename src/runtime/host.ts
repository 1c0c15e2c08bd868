// The host port: the few filesystem operations effects need, so they can be replaced in tests.
import { execFile } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { chmod, lstat, mkdir, open, readFile, realpath, rm, stat } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import { dirname } from 'node:path';
import { promisify } from 'node:util';
import type { HostDns, HostPathType, HostPreparation } from '../core/runtime-spec.js';
import { checkNotProtected } from './protected-paths.js';

export interface HostPort {
  /** mkdir -p when `create`, else require an existing directory; rejects with a clear message. */
  ensureDirectory(path: string, create: boolean, what: string): Promise<void>;
  removeTree(path: string): Promise<void>;
  writeFile(path: string, content: string): Promise<void>;
  /**
   * Carries out one preparation before a container is created (hostPath checks, emptyDirs, tmpfs,
   * subPaths, managed files); rejects with a message naming it. A subPath resolves to the path
   * to mount.
   */
  prepare(item: HostPreparation): Promise<string | undefined>;
  readFile(path: string): Promise<string>;
  /** Unmounts every mount at or below `path`, deepest first (a pod's tmpfs volumes). */
  unmountUnder(path: string): Promise<void>;
}

/**
 * The agent's own files (log directories, the pod directory's managed files under --root-dir, the
 * node's /etc/hosts) are made and read synchronously: they are local and tiny, a synchronous call
 * takes microseconds, and each trip through the thread pool costs the event loop a share of a
 * millisecond, on the cores the runtime is starting the pod with (docs/benchmarks.md, "Reacting to
 * a new manifest"). What a pod's volumes name (hostPath, emptyDir, subPath) may lie on any
 * filesystem and stays asynchronous.
 */
export const nodeHost: HostPort = {
  async ensureDirectory(path, create, what) {
    if (create) {
      mkdirSync(path, { recursive: true });
      return;
    }
    const st = await stat(path).catch(() => undefined);
    if (!st) throw new Error(`${what}: directory ${path} does not exist`);
    if (!st.isDirectory()) throw new Error(`${what}: ${path} is not a directory`);
  },
  async removeTree(path) {
    await rm(path, { recursive: true, force: true });
  },
  async writeFile(path, content) {
    writeFileSync(path, content);
  },
  async prepare(item) {
    switch (item.kind) {
      case 'hostPath':
        await checkHostPath(item.path, item.type, item.what);
        return undefined;
      case 'emptyDir':
        await prepareEmptyDir(item.path, item.medium, item.sizeBytes, item.what);
        return undefined;
      case 'subPath':
        return prepareSubPath(item.volumePath, item.subPath, item.what);
      case 'notProtected':
        await checkNotProtected(item.path, item.protectedPaths, item.what);
        return undefined;
      case 'file':
        mkdirSync(dirname(item.path), { recursive: true });
        writeFileSync(item.path, item.content, { mode: 0o644 });
        chmodSync(item.path, 0o644);
        return undefined;
    }
  },
  async readFile(path) {
    return readFileSync(path, 'utf8');
  },
  async unmountUnder(path) {
    await unmountUnder(path);
  },
};

const execFileP = promisify(execFile);

async function statOrUndefined(path: string) {
  try {
    return await stat(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

const TYPE_WORDS: Record<string, string> = {
  Directory: 'a directory',
  File: 'a file',
  Socket: 'a socket file',
  CharDevice: 'a character device',
  BlockDevice: 'a block device',
};

/**
 * The kubelet's hostPath type check: DirectoryOrCreate makes a missing directory (0755, parents
 * too), FileOrCreate a missing empty file (0644; its directory must exist); the other types require
 * what they name. Symlinks are followed.
 */
export async function checkHostPath(path: string, type: HostPathType, what: string): Promise<void> {
  if (type === '') return;
  const st = await statOrUndefined(path);
  if (!st && type === 'DirectoryOrCreate') {
    await mkdir(path, { recursive: true, mode: 0o755 });
    return;
  }
  if (!st && type === 'FileOrCreate') {
    try {
      await (await open(path, 'a', 0o644)).close();
    } catch (err) {
      throw new Error(`${what}: cannot create ${path}: ${(err as Error).message}`);
    }
    return;
  }
  const base = type.replace(/OrCreate$/, '');
  const ok =
    base === 'Directory'
      ? st?.isDirectory()
      : base === 'File'
        ? st?.isFile()
        : base === 'Socket'
          ? st?.isSocket()
          : base === 'CharDevice'
            ? st?.isCharacterDevice()
            : base === 'BlockDevice'
              ? st?.isBlockDevice()
              : false;
  if (!ok)
    throw new Error(
      `${what}: hostPath type check failed: ${path} ${st ? 'is not' : 'does not exist; it must be'} ${TYPE_WORDS[base] ?? base}`,
    );
}

/**
 * An emptyDir: a directory every user may write (0777, like the kubelet's); with medium Memory, a
 * tmpfs mounted on it (once: an agent restart finds it mounted).
 */
export async function prepareEmptyDir(
  path: string,
  medium: '' | 'Memory',
  sizeBytes: number | undefined,
  what: string,
): Promise<void> {
  await mkdir(path, { recursive: true, mode: 0o777 });
  if (medium !== 'Memory') {
    const st = await stat(path);
    if ((st.mode & 0o7777) !== 0o777) await chmod(path, 0o777);
    return;
  }
  const real = await realpath(path);
  const mounts = await readMountInfo();
  if (mounts.some((m) => m.mountPoint === real && m.fsType === 'tmpfs')) return;
  const options = sizeBytes !== undefined && sizeBytes > 0 ? ['-o', `size=${sizeBytes}`] : [];
  try {
    await execFileP('mount', ['-t', 'tmpfs', ...options, 'tmpfs', real], { timeout: 30_000 });
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`${what}: mounting a tmpfs on ${real}: ${(e.stderr || e.message).trim()}`);
  }
}

/**
 * A subPath of a volume, as the kubelet prepares it: missing directories are created with the
 * volume's own mode, and the path, symlinks resolved, must stay inside the volume. Returns the
 * resolved path, which is what gets mounted.
 */
export async function prepareSubPath(volumePath: string, subPath: string, what: string): Promise<string> {
  let base: string;
  try {
    base = await realpath(volumePath);
  } catch (err) {
    throw new Error(
      `${what}: the volume's path ${volumePath} is not there (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
    );
  }
  const inside = (p: string) => p === base || p.startsWith(base.endsWith('/') ? base : `${base}/`);
  const mode = (await stat(base)).mode & 0o7777;
  let current = base;
  for (const part of subPath.split('/').filter((p) => p !== '' && p !== '.')) {
    if (part === '..') throw new Error(`${what}: a subPath may not contain '..'`);
    const next = `${current === '/' ? '' : current}/${part}`;
    const st = await lstat(next).catch(() => undefined);
    if (!st) {
      await mkdir(next, { mode });
      await chmod(next, mode);
      current = next;
      continue;
    }
    const resolved = await realpath(next);
    if (!inside(resolved)) throw new Error(`${what}: ${next} resolves to ${resolved}, outside the volume ${base}`);
    current = resolved;
  }
  return current;
}

interface MountEntry {
  readonly mountPoint: string;
  readonly fsType: string;
}

async function readMountInfo(): Promise<MountEntry[]> {
  const text = await readFile('/proc/self/mountinfo', 'utf8');
  const out: MountEntry[] = [];
  for (const line of text.split('\n')) {
    const fields = line.split(' ');
    const dash = fields.indexOf('-');
    if (fields.length < 5 || dash < 0) continue;
    out.push({ mountPoint: unescapeMount(fields[4]!), fsType: fields[dash + 1] ?? '' });
  }
  return out;
}

function unescapeMount(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

/** Unmounts everything mounted at or below `path`, deepest first; a busy mount is detached lazily. */
export async function unmountUnder(path: string): Promise<void> {
  // Most pods have no volumes: a missing path is answered here, without reading the node's mount
  // table (hundreds of lines with a hundred containers) or a trip through the thread pool.
  let real: string;
  try {
    real = realpathSync(path);
  } catch {
    return;
  }
  const under = (await readMountInfo())
    .map((m) => m.mountPoint)
    .filter((p) => p === real || p.startsWith(`${real}/`))
    .sort((a, b) => b.length - a.length);
  // Stacked mounts on one path appear once each: each umount takes the top one off.
  for (const mountPoint of under) {
    try {
      await execFileP('umount', [mountPoint], { timeout: 30_000 });
    } catch {
      try {
        await execFileP('umount', ['-l', mountPoint], { timeout: 30_000 });
      } catch (err) {
        const e = err as { stderr?: string; message: string };
        throw new Error(`unmounting ${mountPoint}: ${(e.stderr || e.message).trim()}`);
      }
    }
  }
}

/** What the node offers its pods: all of its CPUs and memory (staticlet reserves nothing). */
export function nodeAllocatable(): { cpuMilli: number; memoryBytes: number } {
  return { cpuMilli: cpus().length * 1000, memoryBytes: totalmem() };
}

/** The node's resolver settings, for pods with dnsPolicy Default. A missing file means none. */
export async function readHostDns(path = '/etc/resolv.conf'): Promise<HostDns> {
  const text = await readFile(path, 'utf8').catch(() => '');
  return parseResolvConf(text);
}

export function parseResolvConf(text: string): HostDns {
  const servers: string[] = [];
  let searches: string[] = [];
  const options: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/[#;].*$/, '').trim();
    const [key, ...rest] = line.split(/\s+/);
    if (key === 'nameserver' && rest[0]) servers.push(rest[0]);
    else if (key === 'search' || key === 'domain') searches = rest;
    else if (key === 'options') options.push(...rest);
  }
  return { servers, searches, options };
}
