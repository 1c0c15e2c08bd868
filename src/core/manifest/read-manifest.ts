// Manifest text → static pods or located problems: parse, validate, apply identity.
// A file holds one Pod; a URL may hold a Pod, a PodList or a List of pods.
// Total: any text gives pods or problems, never an exception. Only a validated pod (ValidPod)
// reaches toStaticPod; an exception would be a bug in staticlet, and is reported as one on the
// manifest rather than failing the scan of the whole directory.
import type { ManifestProblem } from '../model/events.js';
import type { SourceKind, StaticPod } from '../model/static-pod.js';
import { toStaticPod } from './identity.js';
import { errorMessage, formatFieldPath, parseManifestText, type FieldPath, type ParsedDocument } from './parse.js';
import { validatePod } from './validate.js';
import { describe } from './validator.js';

export type ReadResult =
  { readonly ok: true; readonly pods: StaticPod[] } | { readonly ok: false; readonly problems: ManifestProblem[] };

export interface ReadContext {
  readonly nodeName: string;
  readonly source: SourceKind;
  readonly origin: string;
  readonly seenAt: number;
}

export function readManifest(text: string, ctx: ReadContext): ReadResult {
  try {
    return readPods(text, ctx);
  } catch (err) {
    return fail(ctx.origin, `${INTERNAL_ERROR}: ${errorMessage(err)}`);
  }
}

/** The start of the message of a problem that is a bug in staticlet, not in the manifest. */
export const INTERNAL_ERROR = 'staticlet failed to read this manifest (a bug in staticlet: please report it)';

function readPods(text: string, ctx: ReadContext): ReadResult {
  const parsed = parseManifestText(text, ctx.origin);
  if (!parsed.ok) return parsed;
  const [doc, ...extra] = parsed.documents;
  if (!doc)
    return { ok: false, problems: [{ origin: ctx.origin, line: 1, column: 1, message: 'the manifest is empty' }] };
  if (extra.length > 0) {
    const at = extra[0]!.locate([]);
    return {
      ok: false,
      problems: [
        {
          origin: ctx.origin,
          ...(at ?? {}),
          message: `found ${parsed.documents.length} documents; a manifest holds one (a Pod${ctx.source === 'http' ? ', a PodList or a List' : ''})`,
        },
      ],
    };
  }
  const items = podsIn(doc, ctx.source);
  if (!items.ok) {
    const field = items.path.length > 0 ? { field: formatFieldPath(items.path) } : {};
    return {
      ok: false,
      problems: [{ origin: ctx.origin, ...doc.locate(items.path), ...field, message: items.message }],
    };
  }

  const pods: StaticPod[] = [];
  const problems: ManifestProblem[] = [];
  const names = new Map<string, number>();
  items.items.forEach((item, index) => {
    const prefix: FieldPath = items.isList ? ['items', index] : [];
    const result = validatePod(item, { nodeName: ctx.nodeName });
    if (!result.ok) {
      for (const p of result.problems) {
        const path = [...prefix, ...p.path];
        problems.push({
          origin: ctx.origin,
          ...(doc.locate(path) ?? {}),
          field: formatFieldPath(path),
          message: p.message,
        });
      }
      return;
    }
    const pod = toStaticPod(result.pod, ctx);
    const key = `${pod.namespace}/${pod.name}`;
    const first = names.get(key);
    if (first !== undefined) {
      const path = [...prefix, 'metadata', 'name'];
      problems.push({
        origin: ctx.origin,
        ...(doc.locate(path) ?? {}),
        field: formatFieldPath(path),
        message: `pod "${key}" is defined twice (also items[${first}])`,
      });
      return;
    }
    names.set(key, index);
    pods.push(pod);
  });
  if (problems.length > 0) return { ok: false, problems };
  return { ok: true, pods };
}

function podsIn(
  doc: ParsedDocument,
  source: SourceKind,
): { ok: true; items: unknown[]; isList: boolean } | { ok: false; path: FieldPath; message: string } {
  const value = doc.value;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return { ok: false, path: [], message: `the manifest must be a mapping (a Pod), found ${describe(value)}` };
  }
  const kind = (value as { kind?: unknown }).kind;
  if (kind === 'Pod' || kind === undefined) return { ok: true, items: [value], isList: false };
  if (source === 'http' && (kind === 'PodList' || kind === 'List')) {
    const items = (value as { items?: unknown }).items ?? [];
    if (!Array.isArray(items))
      return { ok: false, path: ['items'], message: `must be a list, found ${describe(items)}` };
    return { ok: true, items, isList: true };
  }
  const wanted = `a Pod${source === 'http' ? ', a PodList or a List' : ''}`;
  return {
    ok: false,
    path: ['kind'],
    message: typeof kind === 'string' ? `kind "${kind}" is not ${wanted}` : `must be a string, found ${describe(kind)}`,
  };
}

function fail(origin: string, message: string): ReadResult {
  return { ok: false, problems: [{ origin, message }] };
}
