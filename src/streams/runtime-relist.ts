// Source: what runs on the runtime. A relist (ListPodSandbox + ListContainers, ours only) every
// second, and at once whenever a trigger fires (a runtime event stream, where there is one); while
// that stream is up, the periodic relist is a slow safety net (relist-ticks.ts says when).
// Only changes become events, plus a heartbeat, so a quiet node keeps a quiet log.
import { catchError, defer, filter, of, tap, type Observable, type SchedulerLike } from 'rxjs';
import type { EventBody } from '../core/model/events.js';
import type { ContainerObservation, SandboxObservation } from '../core/model/observations.js';
import { ownedSelector } from '../core/runtime-labels.js';
import { observeContainer, observeSandbox } from '../runtime/cri/observations.js';
import type { CriRuntime } from '../cri-api/runtime-service.js';
import type { ContainerStatus } from '../cri-api/messages.js';
import { RuntimeStatusCache } from '../runtime/cri/status-cache.js';
import type { ExpectedExits } from '../runtime/expected-exits.js';
import { coalesceMap } from './coalesce.js';
import { relistTicks, SAFETY_NET_FACTOR, type RelistReason } from './relist-ticks.js';

export interface RelistOptions {
  /** Statuses the effects already read; the relist adds to it. */
  readonly cache?: RuntimeStatusCache;
  /** The exits the effects expect; the relist forgets the ids the runtime no longer lists. */
  readonly expectedExits?: ExpectedExits;
  readonly nodeName: string;
  /** Reads an exited container's termination message (the kubelet reports it in the status). */
  readonly terminationMessage?: (status: ContainerStatus) => Promise<string | undefined>;
  readonly intervalMs: number;
  /** The period while the event stream is up (default SAFETY_NET_FACTOR × intervalMs). */
  readonly safetyNetMs?: number;
  /** Emit an unchanged listing after this long anyway, so the state's facts are refreshed. */
  readonly heartbeatMs?: number;
  /** Told how long each relist took (ms, on the scheduler's clock), failed ones too: for the metrics. */
  readonly onRelisted?: (durationMs: number) => void;
}

/** `triggers`: runtime events, each asks for a relist; `streamUp`: whether the event stream is up
 * (none: it never is, and the relist polls every `intervalMs`). */
export function runtimeRelist(
  cri: CriRuntime,
  options: RelistOptions,
  scheduler: SchedulerLike,
  triggers: Observable<unknown> = of(),
  streamUp: Observable<boolean> = of(),
): Observable<EventBody> {
  return defer(() => {
    const selector = ownedSelector(options.nodeName);
    // Status calls are cached (and shared with the effects, which learn most of it first).
    const cache = options.cache ?? new RuntimeStatusCache();
    let lastFingerprint = '';
    let lastEmitAt = -Infinity;
    let unavailable = '';
    /** Some other reason than the safety net asked for a relist since the last one began. */
    let askedOtherwise = false;

    const relist = async (reason: RelistReason): Promise<EventBody | undefined> => {
      const startedAt = scheduler.now();
      const safetyNet = reason === 'safety-net' && !askedOtherwise;
      askedOtherwise = false;
      const [sandboxes, containers] = await Promise.all([
        cri.listPodSandbox({ labelSelector: selector }),
        cri.listContainers({ labelSelector: selector }),
      ]);
      await Promise.all(
        sandboxes
          .filter((sb) => sb.state === 'SANDBOX_READY' && !cache.sandboxIps.has(sb.id))
          .map(async (sb) => {
            const status = await cri.podSandboxStatus(sb.id).catch(() => undefined);
            if (status) cache.sandboxIps.set(sb.id, status.network?.ip ?? '');
          }),
      );
      await Promise.all(
        containers
          .filter((c) => cache.containers.get(c.id)?.state !== c.state && !cache.removing.has(c.id))
          .map(async (c) => {
            let status = await cri.containerStatus(c.id).catch(() => undefined);
            if (status?.state === 'CONTAINER_EXITED' && options.terminationMessage) {
              const message = await options.terminationMessage(status).catch(() => undefined);
              if (message) status = { ...status, message };
            }
            if (status) cache.containers.set(c.id, { state: c.state, status });
          }),
      );
      const sandboxIds = new Set(sandboxes.map((s) => s.id));
      const containerIds = new Set(containers.map((c) => c.id));
      cache.prune(sandboxIds, containerIds);
      options.expectedExits?.prune(sandboxIds, containerIds);
      const sbObs: SandboxObservation[] = sandboxes.map((sb) =>
        observeSandbox(sb, startedAt, cache.sandboxIps.get(sb.id)),
      );
      const cObs: ContainerObservation[] = containers.map((c) => {
        const cached = cache.containers.get(c.id);
        return observeContainer(c, cached?.state === c.state ? cached.status : undefined, startedAt);
      });
      sbObs.sort((a, b) => (a.id < b.id ? -1 : 1));
      cObs.sort((a, b) => (a.id < b.id ? -1 : 1));

      // What a listing says that can change: a sandbox's state and IP, a container's state and
      // what its status adds (its times, once known). The rest never changes in the runtime.
      const fingerprint = [
        ...sbObs.map((sb) => `${sb.id}:${sb.ready}:${sb.ip ?? ''}`),
        ...cObs.map((c) => `${c.id}:${c.state}:${c.startedAt ?? ''}:${c.finishedAt ?? ''}`),
      ].join(',');
      const heartbeatDue = startedAt - lastEmitAt >= (options.heartbeatMs ?? 10_000);
      const recovered = unavailable !== '';
      unavailable = '';
      if (fingerprint === lastFingerprint && !heartbeatDue && !recovered) return undefined;
      lastFingerprint = fingerprint;
      lastEmitAt = startedAt;
      return {
        type: 'RuntimeRelisted',
        startedAt,
        sandboxes: sbObs,
        containers: cObs,
        ...(safetyNet ? { safetyNet: true as const } : {}),
      };
    };

    const timed = async (reason: RelistReason): Promise<EventBody | undefined> => {
      const startedAt = scheduler.now();
      try {
        return await relist(reason);
      } finally {
        options.onRelisted?.(scheduler.now() - startedAt);
      }
    };

    const periods = {
      fastMs: options.intervalMs,
      safetyNetMs: options.safetyNetMs ?? SAFETY_NET_FACTOR * options.intervalMs,
    };
    return relistTicks(periods, scheduler, triggers, streamUp).pipe(
      tap((reason) => {
        if (reason !== 'safety-net') askedOtherwise = true;
      }),
      coalesceMap((reason) =>
        defer(() => timed(reason)).pipe(
          catchError((err: unknown) => {
            const message = err instanceof Error ? err.message : String(err);
            if (message === unavailable) return of(undefined);
            unavailable = message;
            return of<EventBody>({ type: 'RuntimeUnavailable', message });
          }),
        ),
      ),
      filter((e): e is EventBody => e !== undefined),
    );
  });
}
