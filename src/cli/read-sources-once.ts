// The agent's own manifest sources, run for one look: the directory source's first scan (the same
// naming rule, entry checks, size cap and parser as the agent) and the URL source's first fetch.
// What `staticlet validate` and `staticlet plan` see is therefore what the agent would see.
import { asyncScheduler, EMPTY, firstValueFrom, merge, Subject, takeWhile, toArray, type Observable } from 'rxjs';
import type { EventBody } from '../core/model/events.js';
import { nodeHttp } from '../runtime/http-fetch.js';
import { nodeManifestFs, type ManifestFsPort } from '../runtime/manifest-fs.js';
import { manifestDirectory } from '../streams/manifest-dir.js';
import { manifestUrl } from '../streams/manifest-url.js';

/** An entry the directory source does not read (the naming rule, or a symlink to nowhere). */
export interface SkippedEntry {
  readonly file: string;
  readonly why: string;
}

/** No second scan or fetch is ever due while one look runs. */
const NEVER_AGAIN_MS = 3_600_000;

/**
 * The directory source's file system without a watch, and without waiting for writers: one look
 * reads every file as it stands now (the agent would read a file still being written a moment
 * later, once its writer closes it).
 */
const oneLookFs: ManifestFsPort = { ...nodeManifestFs, watch: () => EMPTY, writers: async () => new Set<string>() };

/** The events of the directory (or file) source's first scan, up to and with its SourceSynced. */
export async function scanOnce(
  path: string,
  nodeName: string,
): Promise<{ events: EventBody[]; skipped: SkippedEntry[] }> {
  const skipped: SkippedEntry[] = [];
  const failed = new Subject<never>();
  const source = manifestDirectory(
    oneLookFs,
    {
      path,
      nodeName,
      checkFrequencyMs: NEVER_AGAIN_MS,
      onSkipped: (file, why) => skipped.push({ file, why }),
      onScanError: (err) => failed.error(err),
    },
    asyncScheduler,
  );
  const events = await untilSynced(merge(source, failed), (e) => e.type !== 'SourceSynced');
  return { events, skipped };
}

/** The events of the URL source's first fetch: ManifestRead and SourceSynced, or ManifestInvalid. */
export async function fetchOnce(
  url: string,
  headers: Readonly<Record<string, string[]>>,
  nodeName: string,
): Promise<EventBody[]> {
  const source = manifestUrl(nodeHttp, { url, headers, nodeName, checkFrequencyMs: NEVER_AGAIN_MS }, asyncScheduler);
  return untilSynced(source, (e) => e.type === 'ManifestRead');
}

function untilSynced(source: Observable<EventBody>, more: (e: EventBody) => boolean): Promise<EventBody[]> {
  return firstValueFrom(source.pipe(takeWhile(more, true), toArray()));
}
