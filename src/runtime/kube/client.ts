// The KubeApi adapter: @kubernetes/client-node 1.4 against a real kube-apiserver, as the node.
// Composes the requests with deadlines (rest.ts), the node's pod list+watch (pod-watch.ts) and
// the fixes to what the library sends and parses (wire.ts). Loaded lazily by main.ts: the
// Kubernetes client is most of the agent's memory.
import {
  AuthenticationV1Api,
  AuthorizationV1Api,
  CertificatesV1Api,
  CoordinationV1Api,
  CoreV1Api,
  KubeConfig,
  PatchStrategy,
  type CoreV1Event,
  type V1CertificateSigningRequest,
  type V1Lease,
  type V1Node,
  type V1NodeStatus,
  type V1Pod,
  type V1PodList,
  type V1PodStatus,
  type V1SubjectAccessReview,
  type V1TokenReview,
} from '@kubernetes/client-node';
import type { Observable } from 'rxjs';
import { KubeApiError, type KubeApi, type PodWatchEvent } from './types.js';
import { watchNodePods, type PodWatchClient, type PodWatchSettings } from './pod-watch.js';
import { KubeRequests, orUndefinedOnNotFound } from './rest.js';
import { eventWithMicroTimes, withMicroTimes } from './wire.js';

export interface KubeApiOptions {
  log?: (msg: string) => void;
  /** The User-Agent of every request and watch: the API server's audit log tells agents apart by it. */
  userAgent?: string;
  /** Deadline of every request (connect + answer + body). Default 15 s. */
  requestTimeoutMs?: number;
  /**
   * The shortest server-side timeoutSeconds of a watch request, after which the watch is renewed;
   * each asks for a random time up to twice it. Default 300 (the kubelet's 5 to 10 minutes).
   */
  watchTimeoutSeconds?: number;
  /**
   * A watch that saw a BOOKMARK (the API server sends one about every minute) and then hears
   * nothing for this long is taken for dead. Default 150 s.
   */
  watchIdleTimeoutMs?: number;
  /** Back-off between watch reconnects: first wait, doubled up to the max. Defaults 1 s and 8 s. */
  backoffInitialMs?: number;
  backoffMaxMs?: number;
}

const DEFAULTS = {
  requestTimeoutMs: 15_000,
  watchTimeoutSeconds: 300,
  watchIdleTimeoutMs: 150_000,
  backoffInitialMs: 1_000,
  backoffMaxMs: 8_000, // at most 8 s between reconnects: mirrors converge soon after the API server is back
};

/**
 * The files a kubeconfig stands for: itself and, for its current context, the CA, the client
 * certificate and key (paths made absolute as the client reads them).
 */
function kubeconfigFiles(kubeconfigPath: string, kc: KubeConfig): string[] {
  const cluster = kc.getCurrentCluster();
  const user = kc.getCurrentUser();
  return [kubeconfigPath, cluster?.caFile, user?.certFile, user?.keyFile].filter((f): f is string => !!f);
}

export function createKubeApi(kubeconfigPath: string, options: KubeApiOptions = {}): KubeApi {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfigPath);
  const cluster = kc.getCurrentCluster();
  if (!cluster) {
    throw new Error(`${kubeconfigPath}: no current cluster (check current-context)`);
  }
  return new ClientNodeKubeApi(kc, cluster.server, kubeconfigFiles(kubeconfigPath, kc), options);
}

class ClientNodeKubeApi implements KubeApi, PodWatchClient {
  private readonly core: CoreV1Api;
  private readonly coordination: CoordinationV1Api;
  private readonly authentication: AuthenticationV1Api;
  private readonly authorization: AuthorizationV1Api;
  private readonly certificates: CertificatesV1Api;
  private readonly requests: KubeRequests;
  private readonly settings: PodWatchSettings;
  private readonly log: (msg: string) => void;
  readonly userAgent: string | undefined;

  constructor(
    readonly kubeConfig: KubeConfig,
    readonly server: string,
    readonly credentialFiles: readonly string[],
    options: KubeApiOptions,
  ) {
    this.core = kubeConfig.makeApiClient(CoreV1Api);
    this.coordination = kubeConfig.makeApiClient(CoordinationV1Api);
    this.authentication = kubeConfig.makeApiClient(AuthenticationV1Api);
    this.authorization = kubeConfig.makeApiClient(AuthorizationV1Api);
    this.certificates = kubeConfig.makeApiClient(CertificatesV1Api);
    this.log = options.log ?? (() => {});
    this.settings = {
      requestTimeoutMs: options.requestTimeoutMs ?? DEFAULTS.requestTimeoutMs,
      watchTimeoutSeconds: options.watchTimeoutSeconds ?? DEFAULTS.watchTimeoutSeconds,
      watchIdleTimeoutMs: options.watchIdleTimeoutMs ?? DEFAULTS.watchIdleTimeoutMs,
      backoffInitialMs: options.backoffInitialMs ?? DEFAULTS.backoffInitialMs,
      backoffMaxMs: options.backoffMaxMs ?? DEFAULTS.backoffMaxMs,
    };
    this.userAgent = options.userAgent;
    this.requests = new KubeRequests(server, this.settings.requestTimeoutMs, options.userAgent);
  }

  // ------------------------------------------------------------------ nodes

  async getNode(name: string): Promise<V1Node | undefined> {
    return orUndefinedOnNotFound(this.requests.call(`getNode ${name}`, (opts) => this.core.readNode({ name }, opts)));
  }

  createNode(node: V1Node): Promise<V1Node> {
    return this.requests.call(`createNode ${node.metadata?.name ?? '?'}`, (opts) =>
      this.core.createNode({ body: node }, opts),
    );
  }

  async patchNodeStatus(name: string, status: V1NodeStatus): Promise<void> {
    await this.requests.call(
      `patchNodeStatus ${name}`,
      (opts) => this.core.patchNodeStatus({ name, body: { status } }, opts),
      PatchStrategy.StrategicMergePatch,
    );
  }

  // ------------------------------------------------------------------ leases

  async getLease(namespace: string, name: string): Promise<V1Lease | undefined> {
    const lease = await orUndefinedOnNotFound(
      this.requests.call(`getLease ${namespace}/${name}`, (opts) =>
        this.coordination.readNamespacedLease({ namespace, name }, opts),
      ),
    );
    return lease && withMicroTimes(lease);
  }

  async createLease(lease: V1Lease): Promise<V1Lease> {
    const { namespace, name } = identify(lease);
    const created = await this.requests.call(`createLease ${namespace}/${name}`, (opts) =>
      this.coordination.createNamespacedLease({ namespace, body: withMicroTimes(lease) }, opts),
    );
    return withMicroTimes(created);
  }

  async replaceLease(lease: V1Lease): Promise<V1Lease> {
    const { namespace, name } = identify(lease);
    const replaced = await this.requests.call(`replaceLease ${namespace}/${name}`, (opts) =>
      this.coordination.replaceNamespacedLease({ namespace, name, body: withMicroTimes(lease) }, opts),
    );
    return withMicroTimes(replaced);
  }

  // ------------------------------------------------------------------ pods

  createPod(pod: V1Pod): Promise<V1Pod> {
    const { namespace, name } = identify(pod);
    return this.requests.call(`createPod ${namespace}/${name}`, (opts) =>
      this.core.createNamespacedPod({ namespace, body: pod }, opts),
    );
  }

  async deletePod(namespace: string, name: string, uid: string): Promise<void> {
    try {
      await this.requests.call(`deletePod ${namespace}/${name}`, (opts) =>
        this.core.deleteNamespacedPod(
          { namespace, name, body: { gracePeriodSeconds: 0, preconditions: { uid } } },
          opts,
        ),
      );
    } catch (err) {
      if (err instanceof KubeApiError && err.status === 404) return;
      throw err;
    }
  }

  async patchPodStatus(namespace: string, name: string, status: V1PodStatus): Promise<void> {
    await this.requests.call(
      `patchPodStatus ${namespace}/${name}`,
      (opts) => this.core.patchNamespacedPodStatus({ namespace, name, body: { status } }, opts),
      PatchStrategy.MergePatch,
    );
  }

  // ------------------------------------------------------------------ events

  async createEvent(namespace: string, event: CoreV1Event): Promise<void> {
    await this.requests.call(
      `createEvent ${namespace}/${event.metadata?.name ?? event.metadata?.generateName ?? '?'}`,
      (opts) => this.core.createNamespacedEvent({ namespace, body: eventWithMicroTimes(event) }, opts),
    );
  }

  // ------------------------------------------------------------------ kubelet API

  createTokenReview(review: V1TokenReview): Promise<V1TokenReview> {
    return this.requests.call('createTokenReview', (opts) =>
      this.authentication.createTokenReview({ body: review }, opts),
    );
  }

  createSubjectAccessReview(review: V1SubjectAccessReview): Promise<V1SubjectAccessReview> {
    return this.requests.call('createSubjectAccessReview', (opts) =>
      this.authorization.createSubjectAccessReview({ body: review }, opts),
    );
  }

  createCertificateSigningRequest(csr: V1CertificateSigningRequest): Promise<V1CertificateSigningRequest> {
    return this.requests.call(
      `createCertificateSigningRequest ${csr.metadata?.name ?? csr.metadata?.generateName ?? '?'}`,
      (opts) => this.certificates.createCertificateSigningRequest({ body: csr }, opts),
    );
  }

  getCertificateSigningRequest(name: string): Promise<V1CertificateSigningRequest | undefined> {
    return orUndefinedOnNotFound(
      this.requests.call(`getCertificateSigningRequest ${name}`, (opts) =>
        this.certificates.readCertificateSigningRequest({ name }, opts),
      ),
    );
  }

  // ------------------------------------------------------------------ watch

  watchNodePods(nodeName: string): Observable<PodWatchEvent> {
    return watchNodePods(this, nodeName, this.settings, this.log);
  }

  close(): void {
    this.requests.close();
  }

  // ------------------------------------------------------------------ for the watch

  get closedSignal(): AbortSignal {
    return this.requests.closedSignal;
  }

  listNodePods(nodeName: string, signal: AbortSignal): Promise<V1PodList> {
    return this.requests.call(
      `listPods spec.nodeName=${nodeName}`,
      (opts) => this.core.listPodForAllNamespaces({ fieldSelector: `spec.nodeName=${nodeName}` }, opts),
      undefined,
      signal,
    );
  }
}

function identify(obj: { metadata?: { namespace?: string; name?: string } }): { namespace: string; name: string } {
  return { namespace: obj.metadata?.namespace ?? 'default', name: obj.metadata?.name ?? '' };
}
