// The host port: the few filesystem operations effects need, so they can be replaced in tests.
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import type { HostDns } from '../core/runtime-spec.js';

export interface HostPort {
  /** mkdir -p when `create`, else require an existing directory; rejects with a clear message. */
  ensureDirectory(path: string, create: boolean, what: string): Promise<void>;
  removeTree(path: string): Promise<void>;
  writeFile(path: string, content: string): Promise<void>;
}

export const nodeHost: HostPort = {
  async ensureDirectory(path, create, what) {
    if (create) {
      await mkdir(path, { recursive: true });
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
    await writeFile(path, content);
  },
};

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
