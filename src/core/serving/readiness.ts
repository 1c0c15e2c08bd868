// /readyz from the loop's latest state: the static pods this node should run are running. Ready
// once the loop turns, the runtime has been listed and answers, every configured source has been
// listed (before that, what should run is not known), and every pod of a valid manifest is Ready
// as its mirror would show it (pod-status.ts), or has completed. Each pod is a check of its own,
// `pod/<namespace>/<name>`, which `?exclude=` also takes by the pod's name; a failed one says
// which container is missing and why. Invalid manifests start nothing and are not waited for:
// they are counted in an informational line (the details are in /pods).
import type { V1ContainerStatus } from '@kubernetes/client-node';
import type { Check } from './checks.js';
import { runtimeHealth, sourceCheck, syncLoopCheck, type LoopPulse } from './health.js';
import { desiredPods } from '../desired.js';
import { podStatus } from '../pod-status.js';
import { stepKey, type State, type StatusContext } from '../model/state.js';
import { fullName, type StaticPod } from '../model/static-pod.js';

export function readinessChecks(state: State | undefined, pulse: LoopPulse, ctx: StatusContext): Check[] {
  if (!state) return [syncLoopCheck(pulse), { name: 'runtime', ok: false, message: 'the loop has not started' }];
  const runtime = runtimeHealth(state);
  const checks: Check[] = [
    syncLoopCheck(pulse),
    runtime.ok && !state.runtime.synced ? { name: 'runtime', ok: false, message: 'not listed yet' } : runtime,
  ];
  for (const source of state.configuredSources) checks.push(sourceCheck(state, source));
  const invalid = [...state.origins.values()].filter((o) => o.problems?.length && o.pods.length === 0).length;
  if (invalid > 0)
    checks.push({
      name: 'manifests',
      ok: true,
      informational: true,
      message: `${invalid} invalid manifest${invalid === 1 ? '' : 's'} not counted (see /pods)`,
    });
  const pods = [...desiredPods(state).pods.values()].sort((a, b) => fullName(a).localeCompare(fullName(b)));
  for (const pod of pods) {
    const { ok, message } = podReadiness(state, pod, ctx);
    checks.push({
      name: `pod/${fullName(pod)}`,
      ok,
      aliases: [pod.name, fullName(pod)],
      ...(message ? { message } : {}),
    });
  }
  return checks;
}

export interface PodReadiness {
  readonly ok: boolean;
  /** What is missing and why; a note when a pod counts as ready without being Ready (completed). */
  readonly message?: string;
}

export function podReadiness(state: State, pod: StaticPod, ctx: StatusContext): PodReadiness {
  const status = podStatus(state, pod, ctx);
  // A pod that ran to completion (restartPolicy OnFailure or Never) did what it is for.
  if (status.phase === 'Succeeded') return { ok: true, message: 'completed' };
  if (status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')) return { ok: true };

  const missing: string[] = [];
  const sandboxFailure = state.failures.get(stepKey.sandbox(pod.uid));
  if (sandboxFailure) missing.push(`sandbox: ${sandboxFailure.reason}: ${sandboxFailure.message}`);
  const initialized = status.conditions?.some((c) => c.type === 'Initialized' && c.status === 'True');
  if (!initialized)
    for (const c of status.initContainerStatuses ?? [])
      if (!c.ready) missing.push(`init container ${c.name}: ${containerProblem(state, c, true)}`);
  for (const c of status.containerStatuses ?? [])
    if (!c.ready) missing.push(`container ${c.name}: ${containerProblem(state, c, false)}`);
  if (missing.length === 0) missing.push(`phase ${status.phase ?? 'unknown'}`);
  return { ok: false, message: missing.join('; ') };
}

function containerProblem(state: State, c: V1ContainerStatus, init: boolean): string {
  const { waiting, running, terminated } = c.state ?? {};
  if (waiting) return `waiting: ${waiting.reason ?? 'unknown reason'}${waiting.message ? `: ${waiting.message}` : ''}`;
  if (terminated) {
    const why = `terminated: ${terminated.reason ?? 'unknown reason'} (exit code ${terminated.exitCode})`;
    return `${why}${terminated.message ? `: ${terminated.message}` : ''}`;
  }
  if (running && !init) {
    const id = c.containerID?.slice(c.containerID.indexOf('://') + 3);
    const verdict = id ? state.probes.get(id) : undefined;
    const probe = c.started ? 'readiness' : 'startup';
    if (verdict?.[probe] === false)
      return `running, ${probe} probe failed${verdict.message ? `: ${verdict.message}` : ''}`;
    return `running, ${probe} probe not passed yet`;
  }
  return 'not started';
}
