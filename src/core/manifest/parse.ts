// Manifest text → plain values, remembering where each value stood so that a problem can name its
// line. JSON is parsed by the same YAML 1.2 parser (JSON is a subset), so both get line numbers.
import { LineCounter, isNode, parseAllDocuments, type Document } from 'yaml';
import type { ManifestProblem } from '../events.js';

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
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
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
    if (doc.contents === null) continue;
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

function locate(
  doc: Document.Parsed,
  lineCounter: LineCounter,
  path: FieldPath,
): { line: number; column: number } | undefined {
  for (let n = path.length; n >= 0; n--) {
    const node = n === 0 ? doc.contents : doc.getIn(path.slice(0, n), true);
    if (isNode(node) && node.range) {
      const pos = lineCounter.linePos(node.range[0]);
      return { line: pos.line, column: pos.col };
    }
  }
  return undefined;
}

/** `spec.containers[0].image` from ['spec', 'containers', 0, 'image']. */
export function formatFieldPath(path: FieldPath): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? part : `.${part}`;
  }
  return out;
}

function firstLine(message: string): string {
  return message.split('\n')[0] ?? message;
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
