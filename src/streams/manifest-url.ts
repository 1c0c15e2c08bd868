// Source: a manifest URL, fetched every httpCheckFrequency. A failed fetch or a bad body keeps the
// current pods (ManifestInvalid); the source counts as synced only after a good answer. No
// message it emits holds a configured header value.
import { createHash } from 'node:crypto';
import {
  defer,
  exhaustMap,
  filter,
  mergeMap,
  timer,
  type Observable,
  type ObservableInput,
  type SchedulerLike,
} from 'rxjs';
import type { EventBody } from '../core/model/events.js';
import { readManifest } from '../core/manifest/read-manifest.js';
import type { HttpPort } from '../runtime/http-fetch.js';

export interface ManifestUrlOptions {
  readonly url: string;
  readonly headers: Readonly<Record<string, string[]>>;
  readonly nodeName: string;
  readonly checkFrequencyMs: number;
  readonly timeoutMs?: number;
  readonly maxBytes?: number;
}

export const URL_TIMEOUT_MS = 10_000;
export const URL_MAX_BYTES = 10 * 1024 * 1024;

export function manifestUrl(
  http: HttpPort,
  options: ManifestUrlOptions,
  scheduler: SchedulerLike,
): Observable<EventBody> {
  return defer(() => {
    let lastGood: string | undefined;
    let lastProblem: string | undefined;
    let synced = false;

    const redact = redactor(options.headers);
    const poll = async (): Promise<EventBody[]> => {
      const origin = options.url;
      const invalid = (raw: string, line?: number, column?: number): EventBody[] => {
        const message = redact(raw);
        // Repeated identical failures are one event: the state does not change.
        if (lastProblem === message) return [];
        lastProblem = message;
        return [
          {
            type: 'ManifestInvalid',
            source: 'http',
            origin,
            problems: [{ origin, message, ...(line ? { line } : {}), ...(column ? { column } : {}) }],
          },
        ];
      };
      let body: string;
      try {
        const res = await http.get(options.url, options.headers, {
          timeoutMs: options.timeoutMs ?? URL_TIMEOUT_MS,
          maxBytes: options.maxBytes ?? URL_MAX_BYTES,
        });
        if (res.status < 200 || res.status > 299) return invalid(`HTTP status ${res.status}`);
        body = res.body;
      } catch (err) {
        return invalid(err instanceof Error ? err.message : String(err));
      }
      const hash = createHash('sha256').update(body).digest('hex');
      if (hash === lastGood) {
        lastProblem = undefined;
        return [];
      }
      const result = readManifest(body, {
        nodeName: options.nodeName,
        source: 'http',
        origin,
        seenAt: scheduler.now(),
      });
      if (!result.ok) {
        const problems = result.problems.map((p) => ({ ...p, message: redact(p.message) }));
        const lines = problems.map(
          (p) => `${p.line ? `line ${p.line}: ` : ''}${p.field ? `${p.field}: ` : ''}${p.message}`,
        );
        if (lastProblem === lines.join('; ')) return [];
        lastProblem = lines.join('; ');
        return [{ type: 'ManifestInvalid', source: 'http', origin, problems }];
      }
      lastGood = hash;
      lastProblem = undefined;
      const events: EventBody[] = [{ type: 'ManifestRead', source: 'http', origin, pods: result.pods }];
      if (!synced) {
        synced = true;
        events.push({ type: 'SourceSynced', source: 'http', sourceId: origin });
      }
      return events;
    };

    return pollEvery(options.checkFrequencyMs, scheduler, () => defer(poll)).pipe(
      filter((events) => events.length > 0),
      mergeMap((events) => events),
    );
  });
}

/**
 * Takes the configured header values (tokens) out of a message before it becomes an event, which
 * is logged, written to the event log and may become an Event in the API server: an error from
 * the HTTP stack, or a manifest problem quoting a body that echoes the request, cannot leak them.
 */
export function redactor(headers: Readonly<Record<string, readonly string[]>>): (message: string) => string {
  const secrets = [...new Set(Object.values(headers).flat())]
    .filter((v) => v !== '')
    .sort((a, b) => b.length - a.length);
  if (secrets.length === 0) return (message) => message;
  return (message) => secrets.reduce((m, secret) => m.split(secret).join('[redacted]'), message);
}

/** Runs `fetchOnce` at once and every `periodMs`; a tick that comes while one runs is skipped,
 * so a slow server never gets overlapping requests. */
export function pollEvery<T>(
  periodMs: number,
  scheduler: SchedulerLike,
  fetchOnce: () => ObservableInput<T>,
): Observable<T> {
  return timer(0, periodMs, scheduler).pipe(exhaustMap(fetchOnce));
}
