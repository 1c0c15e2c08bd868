// Credentials stay out of what the agent writes: manifest-URL header values never appear in a
// usage error, an HTTP error or a manifest problem; the event log is readable by its owner only.
import assert from 'node:assert/strict';
import { chmod, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { asyncScheduler, firstValueFrom, take, toArray } from 'rxjs';
import { parseHeaders } from '../../src/cli/flags.js';
import type { EventBody } from '../../src/core/model/events.js';
import { openEventLog } from '../../src/runtime/event-log.js';
import { nodeHttp, type HttpPort } from '../../src/runtime/http-fetch.js';
import { manifestUrl, redactor } from '../../src/streams/manifest-url.js';

const SECRET = 'Bearer s3cr3t-t0ken-Zq9';

describe('manifest URL headers are never quoted', () => {
  it('a malformed --manifest-url-header names the entry, never its text', () => {
    for (const flag of [SECRET, `X-A:ok,${SECRET}`, `${SECRET}:x`, `X-Token:${SECRET}\nInjected: 1`]) {
      assert.throws(
        () => parseHeaders([flag]),
        (err: Error) => !err.message.includes('s3cr3t') && /manifest-url-header/.test(err.message),
        flag,
      );
    }
  });

  it('redactor: every configured value comes out of a message, longest first', () => {
    const redact = redactor({ Authorization: [SECRET], 'X-Part': ['s3cr3t'], Empty: [''] });
    assert.equal(redact(`got "${SECRET}" and s3cr3t`), 'got "[redacted]" and [redacted]');
    assert.equal(redactor({})('as is'), 'as is');
  });

  it('an invalid header value fails the fetch without its value', async () => {
    const err = await nodeHttp
      .get('http://127.0.0.1:9/', { 'X-Token': [`${SECRET}\r\nX: y`] }, { timeoutMs: 1000, maxBytes: 10 })
      .catch((e: unknown) => e as Error);
    assert.ok(err instanceof Error);
    assert.match(err.message, /X-Token/);
    assert.doesNotMatch(err.message, /s3cr3t/);
  });

  it('the headers go to the URL origin only: a redirect elsewhere drops them', async (t) => {
    const seen: (string | undefined)[] = [];
    const server = createServer((req, res) => {
      seen.push(`${req.headers.host?.split(':')[0]} ${req.headers['x-token'] ?? '-'}`);
      if (req.headers.host?.startsWith('127.0.0.1')) {
        const port = (server.address() as AddressInfo).port;
        res.writeHead(302, { location: req.url === '/same' ? '/done' : `http://localhost:${port}/done` }).end();
      } else res.end('ok');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    t.after(() => server.close());
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const res = await nodeHttp.get(`${base}/other`, { 'X-Token': [SECRET] }, { timeoutMs: 5000, maxBytes: 100 });
    assert.equal(res.body, 'ok');
    assert.deepEqual(seen, [`127.0.0.1 ${SECRET}`, 'localhost -']);
  });

  it('the URL source takes the header values out of fetch errors and manifest problems', async () => {
    const answers: (() => Promise<{ status: number; body: string }>)[] = [
      () => Promise.reject(new Error(`connect failed while sending ${SECRET}`)),
      // A server that echoes the request into an invalid manifest.
      () => Promise.resolve({ status: 200, body: `apiVersion: v1\nkind: Pod\nmetadata:\n  name: "${SECRET}"\n` }),
    ];
    let i = 0;
    const http: HttpPort = { get: () => answers[Math.min(i++, answers.length - 1)]!() };
    const events = await firstValueFrom(
      manifestUrl(
        http,
        { url: 'http://x/', headers: { Authorization: [SECRET] }, nodeName: 'n', checkFrequencyMs: 1 },
        asyncScheduler,
      ).pipe(take(2), toArray()),
    );
    const text = JSON.stringify(events);
    assert.equal(events.filter((e: EventBody) => e.type === 'ManifestInvalid').length, 2, text);
    assert.doesNotMatch(text, /s3cr3t/);
    assert.match(text, /\[redacted\]/);
  });
});

describe('event log file', () => {
  const header = {
    staticlet: 'event-log',
    nodeName: 'n',
    configuredSources: ['file'],
    startedAt: 'now',
  } as const;

  it('is created 0600, and an existing one is narrowed to 0600', async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'staticlet-evlog-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const fresh = join(dir, 'new.jsonl');
    const old = umaskOpen(() => openEventLog(fresh, { ...header, configuredSources: ['file'] }));
    await old.close();
    assert.equal((await stat(fresh)).mode & 0o777, 0o600);

    const existing = join(dir, 'old.jsonl');
    await writeFile(existing, '');
    await chmod(existing, 0o644);
    await openEventLog(existing, { ...header, configuredSources: ['file'] }).close();
    assert.equal((await stat(existing)).mode & 0o777, 0o600);
  });
});

/** With a permissive umask, so the mode is the agent's choice, not the umask's. */
function umaskOpen<T>(open: () => T): T {
  const previous = process.umask(0);
  try {
    return open();
  } finally {
    process.umask(previous);
  }
}
