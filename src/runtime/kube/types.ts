// The Kubernetes API port: what the agent needs of an API server, as the node it runs on
// (user system:node:<node>, group system:nodes, under the Node authorizer and NodeRestriction).
import type {
  CoreV1Event,
  V1CertificateSigningRequest,
  V1Lease,
  V1Node,
  V1NodeStatus,
  V1Pod,
  V1PodStatus,
  V1SubjectAccessReview,
  V1TokenReview,
} from '@kubernetes/client-node';
import type { Observable } from 'rxjs';

/** Thrown by a KubeApi call the API server refused or could not answer. */
export class KubeApiError extends Error {
  constructor(
    readonly operation: string,
    /** HTTP status, or 0 when the server could not be reached. */
    readonly status: number,
    /** The Status reason (`NotFound`, `AlreadyExists`, `Forbidden`, `Conflict`, ...) when given. */
    readonly reason: string,
    message: string,
  ) {
    super(`${operation}: ${message}`);
    this.name = 'KubeApiError';
  }
}

export type PodWatchEvent =
  /** The complete list of pods bound to the node, after every (re)connect. */
  | { readonly kind: 'listed'; readonly pods: V1Pod[] }
  | { readonly kind: 'added' | 'modified' | 'deleted'; readonly pod: V1Pod }
  /** The watch broke; it reconnects by itself (with back-off) and then lists again. */
  | { readonly kind: 'disconnected'; readonly message: string };

export interface KubeApi {
  /** The API server's address, for logs. */
  readonly server: string;
  /** The files the client reads its credentials from (kubeconfig, CA, client certificate and
   * key): pods must not get them as writable mounts by accident. */
  readonly credentialFiles: readonly string[];

  getNode(name: string): Promise<V1Node | undefined>;
  createNode(node: V1Node): Promise<V1Node>;
  /** Strategic-merge patch of nodes/<name>/status. */
  patchNodeStatus(name: string, status: V1NodeStatus): Promise<void>;

  getLease(namespace: string, name: string): Promise<V1Lease | undefined>;
  createLease(lease: V1Lease): Promise<V1Lease>;
  replaceLease(lease: V1Lease): Promise<V1Lease>;

  createPod(pod: V1Pod): Promise<V1Pod>;
  /** Deletes at once (grace period 0), only if the pod still has this UID. NotFound is success. */
  deletePod(namespace: string, name: string, uid: string): Promise<void>;
  /** Merge patch of pods/<name>/status. */
  patchPodStatus(namespace: string, name: string, status: V1PodStatus): Promise<void>;

  /**
   * List then watch the pods with `spec.nodeName=<nodeName>` (the only list a node may make),
   * forever: reconnects with back-off (1 s doubling to 8 s) and lists again after each reconnect.
   */
  watchNodePods(nodeName: string): Observable<PodWatchEvent>;

  createEvent(namespace: string, event: CoreV1Event): Promise<void>;

  /** The kubelet API's authentication and authorization (a node may create both, Node authorizer). */
  createTokenReview(review: V1TokenReview): Promise<V1TokenReview>;
  createSubjectAccessReview(review: V1SubjectAccessReview): Promise<V1SubjectAccessReview>;

  /** The serving certificate's request (a node may create CSRs and read them back). */
  createCertificateSigningRequest(csr: V1CertificateSigningRequest): Promise<V1CertificateSigningRequest>;
  getCertificateSigningRequest(name: string): Promise<V1CertificateSigningRequest | undefined>;

  close(): void;
}
