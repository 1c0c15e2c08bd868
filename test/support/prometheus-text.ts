// Reads a /metrics answer as Prometheus would, twice:
// - parse-prometheus-text-format (a port of the Python client's parser) reads the whole text and
//   throws on any line it cannot read; every family must have a HELP and a TYPE;
// - a strict reader here gives the samples with all their labels, because that library flattens a
//   histogram's series into one and drops their labels (it is written for unlabelled histograms),
//   and kubelet_runtime_operations_duration_seconds is labelled. It checks each sample line against
//   the exposition grammar, that each belongs to a family with a TYPE, and that each histogram's
//   buckets are cumulative and end at +Inf with its count.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';

interface LibraryFamily {
  readonly name: string;
  readonly help: string;
  readonly type: string;
}
// A CommonJS module without types: its one export is the parse function.
const parseWithLibrary = createRequire(import.meta.url)('parse-prometheus-text-format') as (
  text: string,
) => LibraryFamily[];

export interface Sample {
  /** The sample's own name: `x`, or `x_bucket`, `x_sum`, `x_count` of histogram `x`. */
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

export interface MetricFamily {
  readonly name: string;
  readonly help: string;
  readonly type: string;
  readonly samples: Sample[];
}

export type Scrape = ReadonlyMap<string, MetricFamily>;

const NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*';
const LABEL = `([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\\\\n]|\\\\[\\\\"n])*)"`;
// Prometheus reads values with Go's ParseFloat, which takes NaN and Inf in any case (prom-client
// writes `Nan`).
const VALUE = '([+-]?(?:\\d+(?:\\.\\d*)?|\\.\\d+)(?:[eE][+-]?\\d+)?|[+-]?[iI][nN][fF]|[nN][aA][nN])';
const SAMPLE_LINE = new RegExp(`^(${NAME})(?:\\{((?:${LABEL})(?:,${LABEL})*,?)?\\})? ${VALUE}(?: -?\\d+)?$`);
const COMMENT_LINE = new RegExp(`^# (HELP|TYPE) (${NAME}) ?(.*)$`);
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);

function floatOf(v: string): number {
  return /nan/i.test(v) ? NaN : Number(v.replace(/inf$/i, 'Infinity'));
}

function unescape(v: string): string {
  return v.replace(/\\(.)/g, (_m, c: string) => (c === 'n' ? '\n' : c));
}

/** Parses a scrape; fails the test on a line either parser rejects, or a family without HELP or TYPE. */
export function parseScrape(text: string): Scrape {
  for (const f of parseWithLibrary(text)) {
    assert.ok(f.help.trim().length > 0, `${f.name} has no HELP`);
    assert.notEqual(f.type, 'UNTYPED', `${f.name} has no TYPE`);
  }
  const families = new Map<string, MetricFamily>();
  const help = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const comment = COMMENT_LINE.exec(line);
    if (comment) {
      const [, kind, name, rest] = comment as unknown as [string, string, string, string];
      if (kind === 'HELP') help.set(name, rest);
      else {
        assert.ok(TYPES.has(rest), `${line}: a known type`);
        assert.ok(!families.has(name), `${name} is declared once`);
        families.set(name, { name, help: help.get(name) ?? '', type: rest, samples: [] });
      }
      continue;
    }
    assert.ok(!line.startsWith('#'), `${line}: only HELP and TYPE comments are written`);
    const m = SAMPLE_LINE.exec(line);
    assert.ok(m, `${line}: a sample line of the text format`);
    const name = m[1]!;
    const labels: Record<string, string> = {};
    for (const [, k, v] of (m[2] ?? '').matchAll(new RegExp(LABEL, 'g'))) labels[k!] = unescape(v!);
    const familyName = name.replace(/_(bucket|sum|count)$/, '');
    const family = families.get(name) ?? families.get(familyName);
    assert.ok(family, `${line}: follows the TYPE of its family`);
    family.samples.push({ name, labels, value: floatOf(m[m.length - 1]!) });
  }
  for (const f of families.values()) {
    assert.ok(f.help.length > 0, `${f.name} has a HELP`);
    if (f.type === 'histogram') checkHistogram(f);
  }
  return families;
}

function seriesKey(labels: Readonly<Record<string, string>>): string {
  return JSON.stringify(Object.entries(labels).filter(([k]) => k !== 'le'));
}

function checkHistogram(f: MetricFamily): void {
  const counts = new Map(f.samples.filter((s) => s.name.endsWith('_count')).map((s) => [seriesKey(s.labels), s.value]));
  const buckets = new Map<string, Sample[]>();
  for (const s of f.samples.filter((s) => s.name.endsWith('_bucket'))) {
    const key = seriesKey(s.labels);
    buckets.set(key, [...(buckets.get(key) ?? []), s]);
  }
  for (const [key, bs] of buckets) {
    for (let i = 1; i < bs.length; i++) assert.ok(bs[i]!.value >= bs[i - 1]!.value, `${f.name}${key}: cumulative`);
    assert.equal(bs[bs.length - 1]!.labels.le, '+Inf', `${f.name}${key}: ends at +Inf`);
    assert.equal(bs[bs.length - 1]!.value, counts.get(key), `${f.name}${key}: +Inf bucket is the count`);
  }
}

function matches(sample: Sample, labels: Record<string, string>): boolean {
  return Object.entries(labels).every(([k, v]) => (sample.labels[k] ?? '') === v);
}

/** The sum of a counter's or gauge's samples that carry `labels` (0 when none). For a histogram:
 * its observation count, or with `part: 'sum'` the sum of its observations. */
export function metricValue(
  scrape: Scrape,
  name: string,
  labels: Record<string, string> = {},
  part: 'count' | 'sum' = 'count',
): number {
  const family = scrape.get(name);
  assert.ok(family, `${name} is exported`);
  const sampleName = family.type === 'histogram' ? `${name}_${part}` : name;
  return family.samples.filter((s) => s.name === sampleName && matches(s, labels)).reduce((n, s) => n + s.value, 0);
}
