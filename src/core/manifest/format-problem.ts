// A manifest problem as one line, `file:line:col: field: reason`: how the agent logs it and how
// `staticlet validate` and `plan` print it (editors and CI annotators read this form).
import type { ManifestProblem } from '../model/events.js';

export function formatProblem(p: ManifestProblem): string {
  const where =
    p.line !== undefined ? `${p.origin}:${p.line}${p.column !== undefined ? `:${p.column}` : ''}` : p.origin;
  return `${where}: ${p.field ? `${p.field}: ` : ''}${p.message}`;
}
