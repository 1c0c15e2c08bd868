// `staticlet plan [agent flags]` as a command: reads the sources once and the runtime once, folds
// them through the real core as the agent's first events, and prints what the agent would do,
// doing none of it. Exit code 0: nothing would change; 2: something would; 1: an error.
import type { EventBody } from '../core/model/events.js';
import type { SourceKind } from '../core/model/static-pod.js';
import { describePlan, planActions } from '../core/plan.js';
import { createCriRuntime } from '../runtime/cri/client.js';
import { parseCommand, UsageError } from './flags.js';
import type { AgentOptions } from './options.js';
import { processIo, takeOutputFlag, type CommandIo, type OutputFormat } from './output-format.js';
import { hasChanges, planJson, planText } from './plan-output.js';
import { relistOnce, RuntimeUnreachable } from './plan-runtime.js';
import { fetchOnce, scanOnce } from './read-sources-once.js';

export const PLAN_USAGE = `Usage: staticlet plan [--output=text|json] [agent flags...]

Prints what the agent, run with the same flags, would do now, and does none of it. It reads the
sources once as the agent does (--pod-manifest-path, --manifest-url with its headers, --config),
lists this node's pods on the runtime once (--container-runtime-endpoint, --hostname-override),
and folds both through the agent's own reconciler. Per pod:

  start     no pod of that name runs: its sandbox and containers would be created
  replace   the manifest changed: the running pod is stopped, then the new one started (with what
            changed, as far as the runtime shows it: images, containers, labels, grace period)
  remove    no manifest defines it any more (its file is gone, or its source is not configured)
  repair    it runs, but a container or its sandbox would be started again, or old ones removed
  keep      it runs as its manifest says
  refuse    a manifest with problems (file:line:col: field: reason), or a second manifest for a pod

  -o, --output=FORMAT   text (default), or json: one document (docs/operations.md)

Exit code: 0 when nothing would change, 2 when something would, 1 on an error (a runtime that
cannot be reached, a directory that cannot be listed).

What plan cannot know: the running agent's memory. It does not see restart back-offs
(CrashLoopBackOff) or failed steps waiting for their retry, so a container the agent is backing
off shows as repair; nor work in flight (a pod being started or stopped right now); nor mirror
pods in the API server (--kubeconfig is accepted and not used). A manifest that is invalid now
shows as refuse, and its running pod as keep: the running agent keeps the last valid version.`;

export async function runPlanCommand(argv: readonly string[], io: CommandIo = processIo): Promise<number> {
  let format: OutputFormat;
  let options: AgentOptions;
  try {
    const output = takeOutputFlag(argv);
    format = output.format;
    const command = await parseCommand(output.rest);
    if (command.kind === 'help') {
      io.stdout(PLAN_USAGE + '\n');
      return 0;
    }
    if (command.kind !== 'run') throw new UsageError(`plan: unexpected argument "${output.rest[0]}"`);
    options = command.options;
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    io.stderr(`staticlet: ${err.message}\n(see staticlet plan --help)\n`);
    return 2;
  }

  const cri = createCriRuntime(options.containerRuntimeEndpoint);
  try {
    const events: EventBody[] = [];
    const sources: SourceKind[] = [];
    if (options.podManifestPath) {
      sources.push('file');
      events.push(...(await scanOnce(options.podManifestPath, options.nodeName)).events);
    }
    if (options.manifestUrl) {
      sources.push('http');
      events.push(...(await fetchOnce(options.manifestUrl, options.manifestUrlHeaders, options.nodeName)));
    }
    const runtime = await relistOnce(cri, options.nodeName);
    // The relist last: the agent decides nothing before it, then everything at once.
    const { state, actions } = planActions(sources, [...events, runtime.event], Date.now());
    const entries = describePlan(state, actions, runtime.facts);
    if (format === 'json') io.stdout(JSON.stringify(planJson(options.nodeName, entries), null, 2) + '\n');
    else for (const line of planText(entries)) io.stdout(line + '\n');
    return hasChanges(entries) ? 2 : 0;
  } catch (err) {
    const message = (err as Error).message;
    io.stderr(
      err instanceof RuntimeUnreachable
        ? `staticlet plan: cannot reach the container runtime at ${options.containerRuntimeEndpoint}: ${message}\n`
        : `staticlet plan: ${message}\n`,
    );
    return 1;
  } finally {
    cri.close();
  }
}
