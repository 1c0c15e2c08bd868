// Source: a manifest directory (or a single manifest file). A file event triggers a scan at once,
// and the rest of its burst one more scan when the burst is over; a periodic rescan
// (fileCheckFrequency) repairs anything the events missed. Each scan compares
// files by (inode, size, mtime) and then by content, so only real changes become events. Each
// entry is judged on its own (manifest-entries.ts): one that cannot be read as a manifest is
// reported once per reason and never stops the rest of the directory.
import { createHash } from 'node:crypto';
import { basename, extname, join } from 'node:path';
import {
  catchError,
  defer,
  from,
  groupBy,
  map,
  merge,
  mergeMap,
  of,
  Subject,
  switchMap,
  tap,
  throttleTime,
  timer,
  type Observable,
  type SchedulerLike,
} from 'rxjs';
import type { EventBody } from '../core/model/events.js';
import { readManifest } from '../core/manifest/read-manifest.js';
import type { EntryProblem, EntryRead, Listing, ManifestFsPort, WatchEvent } from '../runtime/manifest-fs.js';
import { coalesceMap } from './coalesce.js';
import { describeProblem, MANIFEST_MAX_BYTES, problemMeans } from './manifest-entries.js';

export interface ManifestDirOptions {
  readonly path: string;
  readonly nodeName: string;
  readonly checkFrequencyMs: number;
  /** After a file event's scan (at once), further events wait this long and share one scan
   * (default EVENT_THROTTLE_MS). */
  readonly eventThrottleMs?: number;
  /** How soon to look again at a file that some process still has open for writing. */
  readonly writerRecheckMs?: number;
  /** The largest manifest read (default MANIFEST_MAX_BYTES). */
  readonly maxBytes?: number;
  /**
   * Told once per entry, and again when the reason changes, that it is not read: the naming rule,
   * or a symlink to nowhere (which counts as no file). Entries with a manifest's name that cannot
   * be read otherwise are ManifestInvalid events instead.
   */
  readonly onSkipped?: (file: string, why: string) => void;
  /** Told when a scan fails as a whole (the next trigger tries again); once per distinct error. */
  readonly onScanError?: (err: unknown) => void;
}

/**
 * A scan (a listing, a stat of every file and, when any changed, a walk of /proc) costs
 * milliseconds. Every file written in a burst (a hundred manifests dropped at once, or a writer's
 * create, write and rename) would cost one; sharing one scan per 5 ms delays a burst by at most
 * that and leaves a lone file's scan at once.
 */
export const EVENT_THROTTLE_MS = 5;

/** The naming rule: no dot-files (editor swap files, atomic-write temporaries), and only the
 * manifest extensions, so backups like `pod.yaml.bak` or `pod.yaml~` are never run. */
export const MANIFEST_EXTENSIONS = ['.yaml', '.yml', '.json'] as const;

export function isManifestName(name: string): { ok: true } | { ok: false; why: string } {
  if (name.startsWith('.')) return { ok: false, why: 'its name starts with a dot' };
  const ext = extname(name).toLowerCase();
  if (!(MANIFEST_EXTENSIONS as readonly string[]).includes(ext)) {
    return { ok: false, why: `only ${MANIFEST_EXTENSIONS.join(', ')} files are read` };
  }
  return { ok: true };
}

/** A file the state has an origin for (ManifestRead or ManifestInvalid was sent). */
interface KnownFile {
  readonly fingerprint: string;
  readonly contentHash: string;
  /** The entry's problem last reported (then fingerprint and contentHash are empty). */
  readonly problem?: string;
}

/** What the watch said about a file since it was last read. */
interface FileHistory {
  /** It came, or was renamed into place. */
  entry: boolean;
  /** It was written under its name, or the watch could not say what happened. */
  content: boolean;
  /** The number of the latest event about it. */
  lastEvent: number;
}

/** A changed file as a scan sees it. */
interface ChangedFile {
  readonly file: string;
  readonly fingerprint: string;
  readonly size: number;
}

export function manifestDirectory(
  fs: ManifestFsPort,
  options: ManifestDirOptions,
  scheduler: SchedulerLike,
): Observable<EventBody> {
  return defer(() => {
    const maxBytes = options.maxBytes ?? MANIFEST_MAX_BYTES;
    const known = new Map<string, KnownFile>();
    /** What onSkipped was last told of each entry. */
    const skipped = new Map<string, string>();
    const recheck = new Subject<void>();
    // What the path is (directory, file, missing) decides how it is watched; every scan says. A
    // directory put in the place of the one watched (rm and mkdir, a symlink retargeted) is
    // watched anew, and so is the path whenever its watch has ended (see watchDecision).
    const arm = new Subject<{ kind: Listing['kind']; watch: ArmedWatch }>();
    let armed: ArmedWatch | undefined;
    /** Told when a watch that had said something ends: the scan it triggers arms the next one. */
    const watchEnded = new Subject<void>();
    let synced = false;
    let lastScanError: string | undefined;
    const histories = new Map<string, FileHistory>();
    let eventCount = 0;
    const record = (e: WatchEvent): void => {
      if (!isManifestName(basename(e.path)).ok) return;
      const h = histories.get(e.path) ?? { entry: false, content: false, lastEvent: 0 };
      if (e.change === 'entry') h.entry = true;
      else h.content = true;
      h.lastEvent = ++eventCount;
      histories.set(e.path, h);
    };
    const writtenInPlace = (file: string): boolean => histories.get(file)?.content === true;
    /**
     * Came (renamed in, or created) and not written under its name since it was last read: its
     * writer wrote it whole elsewhere and moved it in, as atomic writers do.
     */
    const movedInWhole = (file: string): boolean => histories.get(file)?.entry === true && !writtenInPlace(file);
    const readAll = (files: readonly ChangedFile[]) =>
      Promise.all(
        files.map(async (c): Promise<ChangedFile & { read: EntryRead }> => ({
          ...c,
          read: await fs.read(c.file, maxBytes),
        })),
      );

    const scan = async (): Promise<EventBody[]> => {
      const events: EventBody[] = [];
      const listedAfter = eventCount;
      const listing = await fs.list(options.path);
      const key = listing.kind === 'dir' ? `dir ${listing.id}` : listing.kind;
      if (watchDecision(armed, key) === 'arm') {
        armed = { key, ended: false };
        arm.next({ kind: listing.kind, watch: armed });
      }
      const skippedNow = new Set<string>();
      const skip = (file: string, why: string): void => {
        skippedNow.add(file);
        if (skipped.get(file) === why) return;
        skipped.set(file, why);
        options.onSkipped?.(file, why);
      };
      const files =
        listing.kind === 'dir'
          ? listing.names
              .filter((name) => {
                const rule = isManifestName(name);
                if (!rule.ok) skip(join(options.path, name), rule.why);
                return rule.ok;
              })
              .map((name) => join(options.path, name))
          : listing.kind === 'file'
            ? [options.path]
            : [];
      let waiting = false;
      const present = new Set(files);
      /** An entry with a manifest's name that cannot be read as one (see problemMeans). */
      const unusable = (file: string, problem: EntryProblem): void => {
        const why = describeProblem(problem);
        if (problemMeans(problem) === 'gone') {
          present.delete(file);
          skip(file, `${why}: as if there were no file`);
          return;
        }
        const prev = known.get(file);
        known.set(file, { fingerprint: '', contentHash: '', problem: why });
        if (prev?.problem === why) return;
        events.push({
          type: 'ManifestInvalid',
          source: 'file',
          origin: file,
          problems: [{ origin: file, message: why }],
        });
      };
      // Stat every file, then read the changed ones (see below for the files being written).
      const stats = await Promise.all(
        [...files].sort().map(async (file) => ({ file, st: await fs.stat(file, maxBytes) })),
      );
      const changed: ChangedFile[] = [];
      for (const { file, st } of stats) {
        if (st.kind === 'missing') {
          present.delete(file);
          continue;
        }
        if (st.kind === 'bad') {
          unusable(file, st.problem);
          continue;
        }
        const fingerprint = `${st.stat.ino}:${st.stat.size}:${st.stat.mtimeMs}`;
        if (known.get(file)?.fingerprint !== fingerprint) changed.push({ file, fingerprint, size: st.stat.size });
      }
      // Never read a file half-written. One that was moved in whole (and is not empty) is read at
      // once; whether it was is known only once the watch has passed on what the kernel queued
      // before the read (the rename's own event, or a write that raced the read). Any other
      // changed file waits while some process has it open for writing: a walk of /proc, which
      // costs milliseconds.
      let early = await readAll(changed.filter((c) => c.size > 0 && !writtenInPlace(c.file)));
      if (early.length > 0) {
        await fs.settle();
        early = early.filter((r) => movedInWhole(r.file));
      }
      const readEarly = new Set(early.map((r) => r.file));
      const rest = changed.filter((c) => !readEarly.has(c.file));
      const beingWritten = rest.length > 0 ? await fs.writers(rest.map((c) => c.file)) : new Set<string>();
      const reads = [...early, ...(await readAll(rest.filter((c) => !beingWritten.has(c.file))))];
      if (beingWritten.size > 0) waiting = true;
      for (const { file, read } of reads) {
        if (read.kind === 'missing') {
          present.delete(file);
          continue;
        }
        if (read.kind === 'bad') {
          unusable(file, read.problem);
          continue;
        }
        const { text, stat } = read;
        // What was read, which may have replaced what the stat saw.
        const fingerprint = `${stat.ino}:${stat.size}:${stat.mtimeMs}`;
        const prev = known.get(file);
        const contentHash = createHash('sha256').update(text).digest('hex');
        known.set(file, { fingerprint, contentHash });
        histories.delete(file);
        if (prev?.contentHash === contentHash) continue;
        const result = readManifest(text, {
          nodeName: options.nodeName,
          source: 'file',
          origin: file,
          seenAt: scheduler.now(),
        });
        events.push(
          result.ok
            ? { type: 'ManifestRead', source: 'file', origin: file, pods: result.pods }
            : { type: 'ManifestInvalid', source: 'file', origin: file, problems: result.problems },
        );
      }
      for (const file of [...known.keys()]) {
        if (!present.has(file)) {
          known.delete(file);
          events.push({ type: 'ManifestGone', source: 'file', origin: file });
        }
      }
      // Of a file that is gone, what the watch said is of no more use; of one that came after the
      // listing, it is needed by the next scan.
      for (const [file, h] of [...histories]) {
        if (!present.has(file) && h.lastEvent <= listedAfter) histories.delete(file);
      }
      // An entry skipped no more (gone, or fixed) is told again if it is skipped again.
      for (const file of [...skipped.keys()]) if (!skippedNow.has(file)) skipped.delete(file);
      lastScanError = undefined;
      if (!synced) {
        synced = true;
        events.push({ type: 'SourceSynced', source: 'file', sourceId: options.path });
      }
      if (waiting) recheck.next();
      return markScanParts(events);
    };

    const fileEvents = arm.pipe(
      switchMap(({ kind, watch }) => {
        let said = false;
        return fs.watch(options.path, kind).pipe(
          tap({
            next: () => (said = true),
            // Ended by the port (the path's name changed in its parent, or the watch broke), not
            // replaced by the next one: whatever it watched may no longer be the path, even when
            // the directory there now has the same dev and inode (ext4 hands a removed
            // directory's inode to the next mkdir at once). The next scan arms a new watch; one
            // is triggered now unless the watch never said anything (it could not be set up at
            // all), so that a watch that keeps failing costs no loop of scans.
            complete: () => {
              watch.ended = true;
              if (said) watchEnded.next();
            },
          }),
        );
      }),
      tap(record),
      map((e) => e.path),
    );
    return scanTriggers(merge(fileEvents, watchEnded.pipe(map(() => options.path))), recheck, options, scheduler).pipe(
      coalesceMap(() =>
        defer(scan).pipe(
          catchError((err: unknown) => {
            const message = err instanceof Error ? err.message : String(err);
            if (message !== lastScanError) options.onScanError?.(err);
            lastScanError = message;
            return of([]);
          }),
        ),
      ),
      mergeMap((events) => from(events)),
    );
  });
}

/** The watch the source set up last: for which listing of the path, and whether it has ended. */
export interface ArmedWatch {
  /** `dir <dev:ino>`, `file` or `missing`. */
  readonly key: string;
  ended: boolean;
}

/**
 * Whether a scan whose listing says `key` arms a new watch: when none is armed, when the path is
 * something else than what the armed one was set up for, or when the armed one has ended. An
 * ended watch is re-armed even for the same key: a directory removed and made anew at once can
 * have the same dev and inode, and the old watch saw the old one go and will never see a thing
 * again.
 */
export function watchDecision(armed: ArmedWatch | undefined, key: string): 'arm' | 'keep' {
  return armed === undefined || armed.key !== key || armed.ended ? 'arm' : 'keep';
}

/**
 * When to scan: at once and every checkFrequency; at a file event, then once more for the events
 * of the next eventThrottleMs; and writerRecheckMs after a scan that found a file still being
 * written. Events about names that cannot be manifests (an atomic writer's temporary file, a
 * `..data` swap) are throttled apart: the temporary's events must not hold back the rename that
 * follows them.
 */
export function scanTriggers(
  fileEvents: Observable<string>,
  writerRechecks: Observable<unknown>,
  options: Pick<ManifestDirOptions, 'checkFrequencyMs' | 'eventThrottleMs' | 'writerRecheckMs'>,
  scheduler: SchedulerLike,
): Observable<unknown> {
  return merge(
    timer(0, options.checkFrequencyMs, scheduler),
    fileEvents.pipe(
      groupBy((changed) => isManifestName(basename(changed)).ok),
      mergeMap((burst) =>
        burst.pipe(
          throttleTime(options.eventThrottleMs ?? EVENT_THROTTLE_MS, scheduler, { leading: true, trailing: true }),
        ),
      ),
    ),
    writerRechecks.pipe(mergeMap(() => timer(options.writerRecheckMs ?? 100, scheduler))),
  );
}

/** `more` on each manifest event that others of the same scan follow (see ScanPart). */
function markScanParts(events: readonly EventBody[]): EventBody[] {
  return events.map((e, i) =>
    i < events.length - 1 && (e.type === 'ManifestRead' || e.type === 'ManifestInvalid' || e.type === 'ManifestGone')
      ? { ...e, more: true }
      : e,
  );
}
