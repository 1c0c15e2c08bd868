// Manifest text → plain values, remembering where each value stood so that a problem can name its
// line. JSON is parsed by the same YAML 1.2 parser (JSON is a subset), so both get line numbers.
// A plain manifest (the usual case) is read by js-yaml, which is about ten times faster and gives
// the same values; the `yaml` library, which keeps every node's position, reads it again only
// when a line must be named, and reads anything unusual in the first place.
import jsyaml from 'js-yaml';
import { createRequire } from 'node:module';
import type * as YamlLibrary from 'yaml';
import type { Document, LineCounter } from 'yaml';
import { YAML_CORE_SCHEMA } from './yaml-core-schema.js';
import type { ManifestProblem } from '../model/events.js';

export type FieldPath = readonly (string | number)[];

/** One parsed document: its value, and a way back from a field path to a line. */
export interface ParsedDocument {
  readonly value: unknown;
  /** Line and column (1-based) of the field at `path`, or of its nearest present parent. */
  locate(path: FieldPath): { line: number; column: number } | undefined;
}

export type ParseResult =
  | { readonly ok: true; readonly documents: ParsedDocument[] }
  | { readonly ok: false; readonly problems: ManifestProblem[] };

/** Guards against alias bombs: a manifest never needs more than a few aliases. */
const MAX_ALIAS_COUNT = 100;

export function parseManifestText(text: string, origin: string): ParseResult {
  const fast = readPlainDocument(text, origin);
  return fast ? { ok: true, documents: [fast] } : parseWithPositions(text, origin);
}

/**
 * What only the `yaml` path reads: directives (a `%YAML 1.1` changes the schema), and keys that
 * are null or collections (the two libraries spell those keys differently). A false alarm, such
 * as the same characters inside a quoted string, only costs speed.
 */
const NEEDS_FULL_PARSER = /^%|[\]}]\s*:(?:\s|$)|^\s*\?(?:\s|$)|(?:^|[\s{,[])(?:~|null|Null|NULL)\s*:(?:\s|$)/m;

/** One mapping read by js-yaml, or `undefined` to leave the text to the full parser (which also
 * reports every error, with its line). */
export function readPlainDocument(text: string, origin: string): ParsedDocument | undefined {
  if (NEEDS_FULL_PARSER.test(text) || countAsterisks(text) > MAX_ALIAS_COUNT) return undefined;
  let docs: unknown[];
  try {
    docs = jsyaml.loadAll(text, null, { schema: YAML_CORE_SCHEMA });
  } catch {
    return undefined;
  }
  const value = docs.length === 1 ? docs[0] : undefined;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  // An alias of a mapping or a list is one shared object in js-yaml; the `yaml` path copies it
  // and enforces the alias limit that stops a billion-laughs manifest.
  if (sharesObjects(value)) return undefined;
  // Positions are needed only to name a problem's line: the full parse runs then, and once.
  let positioned: { doc: ParsedDocument | undefined } | undefined;
  return {
    value,
    locate: (path) => {
      if (!positioned) {
        const full = parseWithPositions(text, origin);
        positioned = { doc: full.ok ? full.documents[0] : undefined };
      }
      return positioned.doc?.locate(path);
    },
  };
}

function countAsterisks(text: string): number {
  let n = 0;
  for (let i = text.indexOf('*'); i !== -1; i = text.indexOf('*', i + 1)) n++;
  return n;
}

/** Whether any object is reachable twice (which only an alias makes). */
function sharesObjects(root: object): boolean {
  const seen = new Set<object>();
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const v = stack.pop();
    if (v === null || typeof v !== 'object') continue;
    if (seen.has(v)) return true;
    seen.add(v);
    for (const child of Object.values(v)) stack.push(child);
  }
  return false;
}

/**
 * The `yaml` library, loaded at its first use: a node whose manifests are all plain never needs it
 * (it is about 2 MiB of the agent's memory). It is a CommonJS package, so require() gives the same
 * module an import would.
 */
let yamlLibrary: typeof YamlLibrary | undefined;
function yaml(): typeof YamlLibrary {
  return (yamlLibrary ??= createRequire(import.meta.url)('yaml') as typeof YamlLibrary);
}

/** The `yaml` library's parse: slower, and it knows where every value stood. */
export function parseWithPositions(text: string, origin: string): ParseResult {
  const { LineCounter, parseAllDocuments } = yaml();
  const lineCounter = new LineCounter();
  // A UTF-8 byte-order mark is not part of the text: without it, line 1's columns are right.
  const docs = parseAllDocuments(text.startsWith('\uFEFF') ? text.slice(1) : text, {
    lineCounter,
    prettyErrors: false,
    uniqueKeys: true,
  });
  const list: Document.Parsed[] = Array.isArray(docs) ? docs : [];
  const problems: ManifestProblem[] = [];
  for (const doc of list) {
    for (const error of doc.errors) {
      const pos = lineCounter.linePos(error.pos[0]);
      problems.push({ origin, line: pos.line, column: pos.col, message: firstLine(error.message) });
    }
  }
  if (problems.length > 0) return { ok: false, problems };

  const documents: ParsedDocument[] = [];
  for (const doc of list) {
    // A trailing `---` or a comment-only document is not a document of its own.
    if (isEmptyDocument(doc)) continue;
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
    } catch (err) {
      const pos = lineCounter.linePos(doc.range[0]);
      problems.push({ origin, line: pos.line, column: pos.col, message: errorMessage(err) });
      continue;
    }
    documents.push({ value, locate: (path) => locate(doc, lineCounter, path) });
  }
  if (problems.length > 0) return { ok: false, problems };
  return { ok: true, documents };
}

/** No content at all: only a `---` marker, comments or `...` (an explicit `null` or `~` is content). */
function isEmptyDocument(doc: Document.Parsed): boolean {
  const c = doc.contents;
  if (c === null) return true;
  return yaml().isScalar(c) && c.value === null && c.source === '' && !c.tag && !c.anchor;
}

function locate(
  doc: Document.Parsed,
  lineCounter: LineCounter,
  path: FieldPath,
): { line: number; column: number } | undefined {
  for (let n = path.length; n >= 0; n--) {
    const node = n === 0 ? doc.contents : doc.getIn(path.slice(0, n), true);
    if (yaml().isNode(node) && node.range) {
      const pos = lineCounter.linePos(node.range[0]);
      return { line: pos.line, column: pos.col };
    }
  }
  return undefined;
}

/** `spec.containers[0].image` from ['spec', 'containers', 0, 'image']; an empty key is `""`. */
export function formatFieldPath(path: FieldPath): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else {
      const key = part === '' ? '""' : part;
      out += out === '' ? key : `.${key}`;
    }
  }
  return out;
}

function firstLine(message: string): string {
  return message.split('\n')[0] ?? message;
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
