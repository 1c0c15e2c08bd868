// What a request to the kubelet API asks of the `nodes` resource, for its SubjectAccessReview: the
// kubelet's own mapping (pkg/kubelet/server/auth.go, GetRequestAttributes, Kubernetes 1.34 with
// KubeletFineGrainedAuthz on, its default since 1.33), so RBAC roles written for the kubelet
// (system:kubelet-api-admin, metrics-server's nodes/metrics and nodes/stats) work unchanged.
//
// A request may be allowed by any of its subresources, tried in order: /pods and /healthz ask
// for their own fine-grained subresource first, then `proxy`, which a role written before 1.33
// holds. One difference: the kubelet sends HEAD with an empty verb (no role grants it); HEAD is
// a GET without its body, so it is asked as `get` here.

export interface KubeletRequestAttributes {
  readonly verb: string;
  readonly resource: 'nodes';
  /** The node's own name: a request is always about this node. */
  readonly name: string;
  /** Tried in order; the first one allowed admits the request. */
  readonly subresources: readonly string[];
  readonly path: string;
}

const VERBS: Readonly<Record<string, string>> = {
  GET: 'get',
  HEAD: 'get',
  POST: 'create',
  PUT: 'update',
  PATCH: 'patch',
  DELETE: 'delete',
};

/** The fine-grained subresources (KEP-2862), asked before `proxy`. */
const FINE_GRAINED: readonly (readonly [string, string])[] = [
  ['/pods', 'pods'],
  ['/healthz', 'healthz'],
  ['/configz', 'configz'],
  ['/runningpods', 'pods'],
];

/** The subresources that replace `proxy`. */
const COARSE: readonly (readonly [string, string])[] = [
  ['/stats', 'stats'],
  ['/metrics', 'metrics'],
  ['/logs', 'log'],
  ['/checkpoint', 'checkpoint'],
  ['/statusz', 'statusz'],
  ['/flagz', 'configz'],
];

export function kubeletRequestAttributes(method: string, path: string, nodeName: string): KubeletRequestAttributes {
  const subresources: string[] = [];
  const fine = FINE_GRAINED.find(([prefix]) => isSubpath(path, prefix));
  if (fine) subresources.push(fine[1]);
  subresources.push(COARSE.find(([prefix]) => isSubpath(path, prefix))?.[1] ?? 'proxy');
  return { verb: VERBS[method] ?? '', resource: 'nodes', name: nodeName, subresources, path };
}

/** `path` is `prefix` or lies below it (`/stats` and `/stats/summary`, not `/statsx`). */
export function isSubpath(path: string, prefix: string): boolean {
  return path === prefix || (path.startsWith(prefix) && path[prefix.length] === '/');
}

/** The kubelet's 403 body, word for word (Go's %v of the subresource list). */
export function forbiddenBody(user: string, attributes: KubeletRequestAttributes): string {
  return `Forbidden (user=${user}, verb=${attributes.verb}, resource=${attributes.resource}, subresource(s)=[${attributes.subresources.join(' ')}])\n`;
}
