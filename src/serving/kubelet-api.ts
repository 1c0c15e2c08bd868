// The kubelet API (--port, default 10250): the node as the API server and metrics-server reach it.
// Wires the HTTPS server of runtime/kubelet-api with its serving certificate, its authentication
// and authorization, and its routes: the agent's own (/healthz and /pods as the local endpoint
// serves them, /metrics from the same registry, /metrics/resource and /stats/summary from the
// runtime's stats) and the route sets handed in (logs, exec, attach, port-forward). main.ts
// opens it before the loop starts and closes it when the agent stops.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readFile } from 'node:fs/promises';
import type { StepWatcher } from '../agent.js';
import { buildSummary, type CpuSamples, type Summary } from '../core/kubelet-api/stats-summary.js';
import { resourceMetricsText, RESOURCE_METRICS_CONTENT_TYPE } from '../core/kubelet-api/resource-metrics.js';
import { ownedSelector } from '../core/runtime-labels.js';
import type { StatusContext } from '../core/model/state.js';
import type { CriRuntime } from '../cri-api/runtime-service.js';
import { findRoute, serveEndpointRequest, text, type EndpointRoutes } from '../runtime/http/endpoint-server.js';
import type { KubeApi } from '../runtime/kube/types.js';
import { authenticator } from '../runtime/kubelet-api/authn.js';
import { authorizer } from '../runtime/kubelet-api/authz.js';
import type { KubeletApiSettings } from '../runtime/kubelet-api/settings.js';
import { readNodeFigures } from '../runtime/kubelet-api/node-figures.js';
import type { KubeletApiRoutes } from '../runtime/kubelet-api/routes.js';
import { startKubeletApiServer } from '../runtime/kubelet-api/server.js';
import { startServingCertificates } from '../runtime/kubelet-api/serving-cert.js';
import type { Logger } from '../runtime/logger.js';
import { endpointRoutes, type MetricsAnswer } from './endpoint.js';
import { LoopView } from './loop-view.js';

export type { KubeletApiSettings };

export interface KubeletApiOptions {
  readonly settings: KubeletApiSettings;
  readonly nodeName: string;
  /** The node's addresses, subjectAltNames of the serving certificate (with the node name). */
  readonly nodeAddresses: readonly string[];
  readonly rootDir: string;
  readonly cri: CriRuntime;
  readonly kube?: KubeApi;
  readonly log: Logger;
  readonly statusContext: StatusContext;
  readonly metrics?: () => MetricsAnswer | Promise<MetricsAnswer>;
  /** The route sets of other features (logs, exec, ...), offered each request after the agent's own. */
  readonly routes?: readonly KubeletApiRoutes[];
}

export interface KubeletApi {
  readonly watcher: StepWatcher;
  close(): Promise<void>;
}

export async function openKubeletApi(options: KubeletApiOptions): Promise<KubeletApi> {
  const { settings, kube, log } = options;
  const view = new LoopView();
  const certificates = await startServingCertificates({
    ...(settings.tlsCertFile ? { certFile: settings.tlsCertFile } : {}),
    ...(settings.tlsPrivateKeyFile ? { keyFile: settings.tlsPrivateKeyFile } : {}),
    certDir: settings.certDir,
    identity: {
      commonName: `system:node:${options.nodeName}`,
      organization: 'system:nodes',
      dnsNames: [options.nodeName],
      ipAddresses: options.nodeAddresses,
    },
    ...(kube && settings.rotateServerCertificates ? { kube } : {}),
    log,
    onCertificate: (c) => server.setCertificate(c),
  });
  const clientCaPem = settings.clientCAFile ? await readFile(settings.clientCAFile, 'utf8') : undefined;
  const server = startKubeletApiServer({
    host: settings.address,
    port: settings.port,
    nodeName: options.nodeName,
    certificate: certificates.current,
    ...(clientCaPem ? { clientCaPem } : {}),
    authenticate: authenticator({
      clientCertificates: clientCaPem !== undefined,
      ...(kube && settings.authenticationTokenWebhook
        ? { tokenWebhook: { kube, cacheTtlMs: settings.authenticationTokenWebhookCacheTtlMs } }
        : {}),
      anonymous: settings.anonymousAuth,
    }),
    authorize: authorizer({
      mode: settings.authorizationMode,
      ...(kube
        ? {
            webhook: {
              kube,
              cacheAuthorizedTtlMs: settings.authorizationWebhookCacheAuthorizedTtlMs,
              cacheUnauthorizedTtlMs: settings.authorizationWebhookCacheUnauthorizedTtlMs,
            },
          }
        : {}),
    }),
    routes: [agentRoutes(view, options), ...(options.routes ?? [])],
    log,
  });
  return {
    watcher: view.watch,
    close: async () => {
      certificates.stop();
      await server.close();
    },
  };
}

/** /healthz, /pods, /metrics, /metrics/resource, /stats/summary; other paths are not ours. */
function agentRoutes(view: LoopView, options: KubeletApiOptions): KubeletApiRoutes {
  const local = endpointRoutes(view, {
    statusContext: options.statusContext,
    ...(options.metrics ? { metrics: options.metrics } : {}),
  });
  const summary = summarySampler(options);
  const exact =
    (path: string, handler: EndpointRoutes[string]): EndpointRoutes[string] =>
    (req) =>
      req.path === path ? handler(req) : text(404, '404 page not found\n');
  const routes: EndpointRoutes = {
    '/healthz': local['/healthz']!,
    '/pods': local['/pods']!,
    ...(local['/metrics'] ? { '/metrics': exact('/metrics', local['/metrics']) } : {}),
    '/metrics/resource': exact('/metrics/resource', async () => ({
      status: 200,
      contentType: RESOURCE_METRICS_CONTENT_TYPE,
      body: resourceMetricsText(await summary()),
    })),
    '/stats/summary': exact('/stats/summary', async () => ({
      status: 200,
      contentType: 'application/json',
      body: JSON.stringify(await summary()),
    })),
  };
  const onHandlerError = (path: string, err: unknown) =>
    options.log.error({ path, err: (err as Error).message }, 'kubelet API request failed');
  return {
    handleRequest: async (req: IncomingMessage, res: ServerResponse) => {
      const path = new URL(req.url ?? '/', 'https://kubelet').pathname;
      if (!findRoute(routes, path)) return false;
      await serveEndpointRequest({ routes, onHandlerError }, req, res);
      return true;
    },
    handleUpgrade: () => false,
  };
}

/** One summary per call from the runtime and /proc, keeping the CPU sample for the next one's rates. */
function summarySampler(options: KubeletApiOptions): () => Promise<Summary> {
  let previous: CpuSamples = { containers: new Map() };
  const labelSelector = ownedSelector(options.nodeName);
  return async () => {
    const [node, sandboxes, containers, stats] = await Promise.all([
      readNodeFigures(options.rootDir),
      options.cri.listPodSandbox({ labelSelector }),
      options.cri.listContainers({ labelSelector }),
      options.cri.listContainerStats({ labelSelector }),
    ]);
    const built = buildSummary({ nodeName: options.nodeName, node, sandboxes, containers, stats, previous });
    previous = built.samples;
    return built.summary;
  };
}
