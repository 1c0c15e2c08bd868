// The manifest directory source with a scripted filesystem: how the watch follows the path.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { asyncScheduler, Subject, take, toArray, firstValueFrom } from 'rxjs';
import type { EventBody } from '../../src/core/events.js';
import type { Listing, ManifestFsPort } from '../../src/runtime/manifest-fs.js';
import { manifestDirectory } from '../../src/streams/manifest-dir.js';
import { podYaml } from '../support/fixtures.js';

/** A directory that is missing until `create()`, then holds web.yaml. */
function scriptedFs() {
  let exists = false;
  const watches: Listing['kind'][] = [];
  const events = new Subject<string>();
  const fs: ManifestFsPort = {
    list: async () => (exists ? { kind: 'dir', names: ['web.yaml'] } : { kind: 'missing' }),
    stat: async () => (exists ? { ino: 1, size: 10, mtimeMs: 1 } : undefined),
    read: async () => (exists ? podYaml('web') : undefined),
    watch: (_path, kind) => {
      watches.push(kind);
      return events;
    },
    writers: async () => new Set(),
  };
  return { fs, watches, create: () => { exists = true; events.next('/m'); } };
}

describe('manifest directory source', () => {
  it('watches a missing path until it appears, then watches it as a directory', async () => {
    const { fs, watches, create } = scriptedFs();
    // A periodic rescan far away: only the watch can bring the file in.
    const source = manifestDirectory(fs, { path: '/m', nodeName: 'node1', checkFrequencyMs: 600_000 }, asyncScheduler);
    const firstTwo = firstValueFrom(source.pipe(take(2), toArray()));
    await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(watches, ['missing']);
    create();
    const events: EventBody[] = await firstTwo;
    assert.deepEqual(events.map((e) => e.type), ['SourceSynced', 'ManifestRead']);
    assert.deepEqual(watches, ['missing', 'dir'], 're-armed for what the path now is');
  });

  it('marks a scan\'s manifest events but its last with more, so the loop diffs a burst once', async () => {
    let names = ['a.yaml', 'b.yaml', 'c.yaml'];
    const events = new Subject<string>();
    const fs: ManifestFsPort = {
      list: async () => ({ kind: 'dir', names }),
      stat: async (file) => (names.some((n) => file.endsWith(`/${n}`)) ? { ino: 1, size: 10, mtimeMs: 1 } : undefined),
      read: async (file) => podYaml(file.slice(file.lastIndexOf('/') + 1, -'.yaml'.length)),
      watch: () => events,
      writers: async () => new Set(),
    };
    const source = manifestDirectory(fs, { path: '/m', nodeName: 'node1', checkFrequencyMs: 600_000 }, asyncScheduler);
    const seen = firstValueFrom(source.pipe(take(7), toArray()));
    await new Promise((r) => setTimeout(r, 20));
    names = [];
    events.next('/m/a.yaml');
    const all: EventBody[] = await seen;
    const marks = all.map((e) => `${e.type}${'more' in e && e.more ? '+' : ''}`);
    assert.deepEqual(marks, ['ManifestRead+', 'ManifestRead+', 'ManifestRead+', 'SourceSynced', 'ManifestGone+', 'ManifestGone+', 'ManifestGone']);
  });
});
