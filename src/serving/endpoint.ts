// The local endpoint (--healthz-bind-address, --healthz-port): /healthz, /readyz and /pods from
// the loop's latest state (LoopView), /metrics when a handler is given, on the bounded server of
// runtime/http. main.ts opens it before the loop starts and closes it when the agent stops.
import type { StepWatcher } from '../agent.js';
import { answerChecks, answerOneCheck, type Check, type CheckAnswer } from '../core/serving/checks.js';
import { healthChecks } from '../core/serving/health.js';
import { kubernetesJson, staticPodList } from '../core/serving/pod-list.js';
import { readinessChecks } from '../core/serving/readiness.js';
import type { StatusContext } from '../core/model/state.js';
import { describeEndpointAddress, type EndpointAddress } from '../runtime/http/endpoint-address.js';
import {
  startEndpointServer,
  text,
  type EndpointHandler,
  type EndpointRequest,
  type EndpointResponse,
  type EndpointRoutes,
} from '../runtime/http/endpoint-server.js';
import type { Logger } from '../runtime/logger.js';
import { LoopView } from './loop-view.js';

/** A Prometheus scrape: the registry's content type and text (prom-client's `contentType`, `metrics()`). */
export interface MetricsAnswer {
  readonly contentType: string;
  readonly body: string;
}

export interface EndpointOptions {
  readonly address: EndpointAddress;
  readonly log: Logger;
  /** What the pod statuses need: the node's address and the runtime's name. */
  readonly statusContext: StatusContext;
  /** Served at /metrics. */
  readonly metrics?: () => MetricsAnswer | Promise<MetricsAnswer>;
  /** More routes, by path; a route also answers the paths below it. */
  readonly routes?: EndpointRoutes;
  readonly now?: () => number;
}

export interface Endpoint {
  /** Give it to runAgent (deps.watchers): it feeds the endpoint every step. */
  readonly watcher: StepWatcher;
  /** Stops listening and ends every connection. */
  close(): Promise<void>;
}

export function openEndpoint(options: EndpointOptions): Endpoint {
  const { log } = options;
  const view = new LoopView(options.now);
  const where = describeEndpointAddress(options.address);
  let lastError = '';
  const server = startEndpointServer({
    address: options.address,
    routes: endpointRoutes(view, options),
    onListening: () => {
      log.info({ address: where }, 'serving /healthz, /readyz, /pods' + (options.metrics ? ', /metrics' : ''));
      lastError = '';
    },
    onListenError: (err) => {
      // Said once; the retries every few seconds are quiet until something changes.
      if (err.message !== lastError)
        log.error({ address: where, err: err.message }, 'cannot serve the health endpoint; retrying');
      lastError = err.message;
    },
    onHandlerError: (path, err) => log.error({ path, err: (err as Error).message }, 'endpoint request failed'),
  });
  return { watcher: view.watch, close: () => server.close() };
}

export function endpointRoutes(
  view: LoopView,
  options: Pick<EndpointOptions, 'statusContext' | 'metrics' | 'routes'>,
): EndpointRoutes {
  const { metrics } = options;
  return {
    '/healthz': checkRoute('healthz', 500, () => healthChecks(view.state, view.pulse())),
    '/readyz': checkRoute('readyz', 503, () => readinessChecks(view.state, view.pulse(), options.statusContext)),
    '/pods': (req) =>
      req.path === '/pods'
        ? {
            status: 200,
            contentType: 'application/json',
            body: kubernetesJson(staticPodList(view.state, options.statusContext)),
          }
        : text(404, `not found: ${req.path}\n`),
    ...(metrics ? { '/metrics': async (): Promise<EndpointResponse> => ({ status: 200, ...(await metrics()) }) } : {}),
    ...options.routes,
  };
}

/** `/NAME` with the whole list, `/NAME/CHECK` with one check (CHECK may hold slashes: pod/ns/name). */
function checkRoute(name: string, failStatus: number, checks: () => Check[]): EndpointHandler {
  return (req: EndpointRequest) => {
    let answer: CheckAnswer | undefined;
    if (req.path === `/${name}`) {
      answer = answerChecks(
        name,
        checks(),
        { verbose: req.query.has('verbose'), exclude: req.query.getAll('exclude') },
        failStatus,
      );
    } else {
      const check = safeDecode(req.path.slice(name.length + 2));
      answer = check === undefined ? undefined : answerOneCheck(checks(), check, failStatus);
    }
    return answer ? text(answer.status, answer.body) : text(404, `no such check: ${req.path}\n`);
  };
}

function safeDecode(text: string): string | undefined {
  try {
    return decodeURIComponent(text);
  } catch {
    return undefined;
  }
}
