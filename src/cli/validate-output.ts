// What `staticlet validate` prints: one line per problem (`file:line:col: field: reason`) and a
// summary, or one JSON document for CI (its shape is documented in docs/operations.md).
import { formatProblem } from '../core/manifest/format-problem.js';
import type { ManifestProblem } from '../core/model/events.js';
import { countProblems, type ValidateReport } from './validate.js';

/** The problem lines (stdout); the entries not read and the summary (stderr). */
export function validateText(report: ValidateReport): { lines: string[]; notes: string[]; summary: string } {
  const lines = report.manifests.flatMap((m) => m.problems.map(formatProblem));
  const notes = report.skipped.map((s) => `${s.file}: not read: ${s.why}`);
  return { lines, notes, summary: summaryLine(report) };
}

/** `3 manifests, 3 pods, no problems` / `3 manifests, 2 pods, 2 problems in 1 manifest`. */
export function summaryLine(report: ValidateReport): string {
  const manifests = report.manifests.length;
  const pods = report.manifests.reduce((n, m) => n + m.pods.length, 0);
  const problems = countProblems(report);
  const bad = report.manifests.filter((m) => m.problems.length > 0).length;
  const head = `${plural(manifests, 'manifest')}, ${plural(pods, 'pod')}`;
  const skipped = report.skipped.length > 0 ? `; ${plural(report.skipped.length, 'entry', 'entries')} skipped` : '';
  return problems === 0
    ? `${head}, no problems${skipped}`
    : `${head}, ${plural(problems, 'problem')} in ${plural(bad, 'manifest')}${skipped}`;
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** The JSON document of `--output=json`: version 1 of its shape. */
export interface ValidateJson {
  readonly apiVersion: 'staticlet.io/v1';
  readonly kind: 'ValidateResult';
  readonly nodeName: string;
  readonly valid: boolean;
  readonly manifests: {
    readonly file: string;
    readonly valid: boolean;
    readonly pods: { readonly name: string; readonly uid: string }[];
    readonly problems: ProblemJson[];
  }[];
  readonly skipped: { readonly file: string; readonly reason: string }[];
  readonly summary: { readonly manifests: number; readonly pods: number; readonly problems: number };
}

/** A problem with its parts (absent when unknown) and the line the text output prints. */
export interface ProblemJson {
  readonly file: string;
  readonly line?: number;
  readonly column?: number;
  readonly field?: string;
  readonly message: string;
  readonly text: string;
}

export function problemJson(p: ManifestProblem): ProblemJson {
  return {
    file: p.origin,
    ...(p.line !== undefined ? { line: p.line } : {}),
    ...(p.column !== undefined ? { column: p.column } : {}),
    ...(p.field !== undefined ? { field: p.field } : {}),
    message: p.message,
    text: formatProblem(p),
  };
}

export function validateJson(report: ValidateReport): ValidateJson {
  const problems = countProblems(report);
  return {
    apiVersion: 'staticlet.io/v1',
    kind: 'ValidateResult',
    nodeName: report.nodeName,
    valid: problems === 0,
    manifests: report.manifests.map((m) => ({
      file: m.file,
      valid: m.problems.length === 0,
      pods: m.pods.map((p) => ({ name: p.pod, uid: p.uid })),
      problems: m.problems.map(problemJson),
    })),
    skipped: report.skipped.map((s) => ({ file: s.file, reason: s.why })),
    summary: {
      manifests: report.manifests.length,
      pods: report.manifests.reduce((n, m) => n + m.pods.length, 0),
      problems,
    },
  };
}
