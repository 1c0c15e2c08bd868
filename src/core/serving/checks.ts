// A health or readiness check list and its answer in the format of the Kubernetes healthz
// package (k8s.io/apiserver/pkg/server/healthz), which the kubelet's /healthz serves and
// supervisors and scripts already read:
//   ok                                  all passed, not verbose
//   [+]ping ok                          one line a check with ?verbose, and always on failure
//   [+]syncloop excluded: ok            a check left out with ?exclude=NAME
//   [-]runtime failed: REASON           a failed check
//   healthz check failed                the last line (or "... check passed")
// Two differences: the reason of a failed check is shown (the kubelet withholds it; this endpoint
// is local to the node and its reasons are what an operator needs), and a check may be
// informational: its line reads `[+]NAME ok: NOTE` and it never fails the answer.

export interface Check {
  readonly name: string;
  readonly ok: boolean;
  /** Why a check failed, or a note on an informational one. */
  readonly message?: string;
  /** Shown in the list, never fails the answer. */
  readonly informational?: boolean;
  /** Other names `?exclude=` takes for this check (a pod's name, say). */
  readonly aliases?: readonly string[];
}

export interface CheckAnswer {
  readonly status: number;
  readonly body: string;
}

export interface CheckQuery {
  readonly verbose: boolean;
  readonly exclude: readonly string[];
}

/** The answer to `/<name>` (`healthz`, `readyz`): `failStatus` when a check that counts failed. */
export function answerChecks(name: string, checks: readonly Check[], query: CheckQuery, failStatus = 500): CheckAnswer {
  const excluded = new Set(query.exclude);
  const unmatched = new Set(query.exclude);
  const lines: string[] = [];
  let failed = false;
  for (const check of checks) {
    const names = [check.name, ...(check.aliases ?? [])];
    if (names.some((n) => excluded.has(n))) {
      for (const n of names) unmatched.delete(n);
      lines.push(`[+]${check.name} excluded: ok`);
    } else if (check.ok || check.informational) {
      lines.push(`[+]${check.name} ok${check.message ? `: ${oneLine(check.message)}` : ''}`);
    } else {
      failed = true;
      lines.push(`[-]${check.name} failed: ${oneLine(check.message ?? 'failed')}`);
    }
  }
  if (unmatched.size > 0)
    lines.push(
      `warn: some health checks cannot be excluded: no matches for ${[...unmatched].map((n) => JSON.stringify(n)).join(',')}`,
    );
  if (failed) return { status: failStatus, body: `${lines.join('\n')}\n${name} check failed\n` };
  if (!query.verbose) return { status: 200, body: 'ok' };
  return { status: 200, body: `${lines.join('\n')}\n${name} check passed\n` };
}

/** The answer to `/<name>/<check>`: `ok`, or the reason; undefined when there is no such check. */
export function answerOneCheck(checks: readonly Check[], name: string, failStatus = 500): CheckAnswer | undefined {
  const check = checks.find((c) => c.name === name);
  if (!check) return undefined;
  if (check.ok || check.informational) return { status: 200, body: 'ok' };
  return { status: failStatus, body: `internal server error: ${oneLine(check.message ?? 'failed')}\n` };
}

/** One line per check: a reason with line breaks (a runtime's error text) would break the format. */
function oneLine(text: string): string {
  return text.replace(/\s*[\r\n]+\s*/g, ' ');
}
