// Source: probe verdicts. The containers to probe are a pure function of the state; one prober
// per container runs each of its probes on its period (startup first, then liveness and
// readiness), counts results against the thresholds, and emits an event only when a verdict
// changes. A container that stops running stops being probed.
import {
  concat,
  defer,
  distinctUntilChanged,
  exhaustMap,
  filter,
  map,
  merge,
  mergeMap,
  Observable,
  of,
  scan,
  take,
  takeWhile,
  tap,
  timer,
  type SchedulerLike,
} from 'rxjs';
import type { EventBody } from '../core/model/events.js';
import { countProbe, INITIAL_COUNTER, probeTargets } from '../core/probes.js';
import type { ProbeKind, ProbeSpec, ProbeTarget } from '../core/model/probes.js';
import type { State } from '../core/model/state.js';
import type { ProbeOutcome, ProbePort } from '../runtime/probe-port.js';

type ProbeEvent = Extract<EventBody, { type: 'ProbeChanged' }>;

/** Told of every probe run and its result (the metrics count them); verdicts are still events. */
export type ProbeRunObserver = (target: ProbeTarget, kind: ProbeKind, success: boolean) => void;

export function probers(
  state$: Observable<State>,
  port: ProbePort,
  scheduler: SchedulerLike,
  onRun?: ProbeRunObserver,
): Observable<EventBody> {
  return new Observable<EventBody>((subscriber) => {
    const running = new Map<string, { unsubscribe(): void; key: string }>();
    const sub = state$
      .pipe(
        // The targets follow from the manifests and the runtime view alone; most steps change
        // neither (the fold keeps untouched maps), so most steps cost no recomputation.
        distinctUntilChanged(
          (a, b) =>
            a.origins === b.origins &&
            a.runtime.sandboxes === b.runtime.sandboxes &&
            a.runtime.containers === b.runtime.containers,
        ),
        map(probeTargets),
        distinctUntilChanged((a, b) => targetsKey(a) === targetsKey(b)),
      )
      .subscribe({
        next: (targets) => {
          const wanted = new Map(targets.map((t) => [t.containerId, t]));
          for (const [id, p] of running) {
            const t = wanted.get(id);
            if (!t || targetKey(t) !== p.key) {
              p.unsubscribe();
              running.delete(id);
            }
          }
          for (const t of targets) {
            if (running.has(t.containerId)) continue;
            const s = probeContainer(t, port, scheduler, onRun).subscribe({ next: (e) => subscriber.next(e) });
            running.set(t.containerId, { unsubscribe: () => s.unsubscribe(), key: targetKey(t) });
          }
        },
        error: (err) => subscriber.error(err),
        complete: () => subscriber.complete(),
      });
    return () => {
      sub.unsubscribe();
      for (const p of running.values()) p.unsubscribe();
    };
  });
}

function targetKey(t: ProbeTarget): string {
  return `${t.containerId}@${t.host}`;
}

function targetsKey(ts: readonly ProbeTarget[]): string {
  return ts.map(targetKey).join(',');
}

export function probeContainer(
  target: ProbeTarget,
  port: ProbePort,
  scheduler: SchedulerLike,
  onRun?: ProbeRunObserver,
): Observable<ProbeEvent> {
  const startup = target.probes.find((p) => p.kind === 'startup');
  const others = target.probes.filter((p) => p.kind !== 'startup');
  const rest = () =>
    merge(
      ...others.map((spec) =>
        verdicts(target, spec, port, scheduler, onRun).pipe(
          // A failed liveness verdict ends that probe: the container is about to be restarted.
          takeWhile((e) => spec.kind !== 'liveness' || e.ok, true),
        ),
      ),
    );
  if (!startup) return rest();
  return verdicts(target, startup, port, scheduler, onRun).pipe(
    take(1),
    mergeMap((e) => (e.ok ? concat(of(e), rest()) : of(e))),
  );
}

function verdicts(
  target: ProbeTarget,
  spec: ProbeSpec,
  port: ProbePort,
  scheduler: SchedulerLike,
  onRun?: ProbeRunObserver,
): Observable<ProbeEvent> {
  const firstAt = target.startedAt + spec.initialDelayMs;
  return timer(Math.max(0, firstAt - scheduler.now()), spec.periodMs, scheduler).pipe(
    exhaustMap(() => defer(() => runProbe(spec, target, port))),
    tap((outcome) => onRun?.(target, spec.kind, outcome.success)),
    scan((acc, outcome) => ({ counter: countProbe(acc.counter, outcome.success, spec), outcome }), {
      counter: INITIAL_COUNTER,
      outcome: { success: false, message: '' } as ProbeOutcome,
    }),
    filter((acc) => acc.counter.ok !== undefined),
    distinctUntilChanged((a, b) => a.counter.ok === b.counter.ok),
    map((acc): ProbeEvent => ({
      type: 'ProbeChanged',
      podUid: target.podUid,
      containerId: target.containerId,
      containerName: target.containerName,
      probe: spec.kind,
      ok: acc.counter.ok!,
      message: acc.outcome.message,
    })),
  );
}

function runProbe(spec: ProbeSpec, target: ProbeTarget, port: ProbePort): Promise<ProbeOutcome> {
  const h = spec.handler;
  switch (h.type) {
    case 'exec':
      return port.exec(target.containerId, h.command, spec.timeoutMs);
    case 'http':
      return port.http(
        { scheme: h.scheme, host: h.host ?? target.host, port: h.port, path: h.path, headers: h.headers },
        spec.timeoutMs,
      );
    case 'tcp':
      return port.tcp(h.host ?? target.host, h.port, spec.timeoutMs);
    case 'grpc':
      return Promise.resolve({ success: false, message: 'gRPC probes are not supported' });
  }
}
