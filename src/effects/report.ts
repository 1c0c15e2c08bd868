// Turns steps of the loop into log lines a person can act on: which file, which line, what is
// wrong, and what the agent does about it.
import { desiredPods } from '../core/desired.js';
import { formatProblem } from '../core/manifest/format-problem.js';
import type { LoopStep } from '../loop.js';
import type { Logger } from '../runtime/logger.js';

export function createReporter(log: Logger): (step: LoopStep) => void {
  let conflicts = new Set<string>();
  let runtimeDown = false;
  return ({ event, state, missed }) => {
    for (const m of missed ?? [])
      log.info(
        {
          kind: m.kind,
          id: m.id.slice(0, 13),
          pod: [...state.runtime.sandboxes.values()].find((sb) => sb.podUid === m.podUid)?.podName ?? m.podUid,
          container: m.container,
          from: m.from,
          to: m.to,
        },
        'the safety-net relist found a change the runtime events did not announce',
      );
    switch (event.type) {
      case 'ManifestInvalid': {
        const kept = state.origins.get(event.origin)?.pods ?? [];
        const consequence =
          kept.length > 0
            ? `keeping the last valid version running (${kept.map((p) => p.name).join(', ')})`
            : 'nothing started from it';
        for (const p of event.problems)
          log.error(
            { origin: event.origin, line: p.line, field: p.field },
            `invalid manifest: ${formatProblem(p)}; ${consequence}`,
          );
        break;
      }
      case 'ManifestRead':
        log.info({ origin: event.origin, pods: event.pods.map((p) => `${p.namespace}/${p.name}`) }, 'manifest read');
        break;
      case 'ManifestGone':
        log.info({ origin: event.origin }, 'manifest gone: its pods will be removed');
        break;
      case 'ProbeChanged': {
        const pod = [...state.origins.values()].flatMap((o) => o.pods).find((p) => p.uid === event.podUid);
        const fields = {
          pod: pod ? `${pod.namespace}/${pod.name}` : event.podUid,
          container: event.containerName,
          probe: event.probe,
          ok: event.ok,
        };
        if (event.ok) log.info(fields, `${event.probe} probe passed`);
        else log.warn({ ...fields, result: event.message }, `${event.probe} probe failed: ${event.message}`);
        break;
      }
      case 'RuntimeUnavailable':
        runtimeDown = true;
        log.error(
          { err: event.message },
          'container runtime unavailable; retrying every relist period, pods keep running',
        );
        break;
      case 'RuntimeRelisted':
        if (runtimeDown) log.info('container runtime reachable again');
        runtimeDown = false;
        break;
      default:
        break;
    }
    if (event.type === 'ManifestRead' || event.type === 'ManifestGone' || event.type === 'RuntimeRelisted') {
      const now = new Set<string>();
      for (const c of desiredPods(state).conflicts) {
        const key = `${c.fullName}|${c.winner}|${c.losers.join(',')}`;
        now.add(key);
        if (!conflicts.has(key)) {
          log.error(
            { pod: c.fullName, winner: c.winner, ignored: c.losers },
            `pod ${c.fullName} is defined by more than one manifest: running the one from ${c.winner}, ignoring ${c.losers.join(', ')}`,
          );
        }
      }
      conflicts = now;
    }
  };
}
