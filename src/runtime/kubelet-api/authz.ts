// May this user do what the request asks of the node? --authorization-mode: AlwaysAllow (any
// authenticated user), or Webhook: a SubjectAccessReview on the API server for each of the
// request's subresources in turn (core/kubelet-api/request-attributes.ts), the first allowed one
// admitting it, as the kubelet does. Answers are cached: allowed for
// --authorization-webhook-cache-authorized-ttl (5 min), refused for -unauthorized-ttl (30 s).
import type { KubeletRequestAttributes } from '../../core/kubelet-api/request-attributes.js';
import type { KubeApi } from '../kube/types.js';
import type { KubeletApiUser } from './authn.js';
import { TtlCache } from './ttl-cache.js';

export type AuthorizationMode = 'AlwaysAllow' | 'Webhook';

export interface AuthorizationOptions {
  readonly mode: AuthorizationMode;
  readonly webhook?: {
    readonly kube: Pick<KubeApi, 'createSubjectAccessReview'>;
    readonly cacheAuthorizedTtlMs: number;
    readonly cacheUnauthorizedTtlMs: number;
  };
  readonly now?: () => number;
}

/** Resolves true (allowed) or false (403); rejects when the API server could not answer (500). */
export type Authorize = (user: KubeletApiUser, attributes: KubeletRequestAttributes) => Promise<boolean>;

export function authorizer(options: AuthorizationOptions): Authorize {
  if (options.mode === 'AlwaysAllow') return () => Promise.resolve(true);
  const webhook = options.webhook;
  if (!webhook) throw new Error('authorization mode Webhook needs the API server (--kubeconfig)');
  const answers = new TtlCache<boolean>(options.now);
  const review = async (user: KubeletApiUser, a: KubeletRequestAttributes, subresource: string): Promise<boolean> => {
    const key = JSON.stringify([user.name, user.uid, user.groups, user.extra, a.verb, a.name, subresource]);
    const cached = answers.get(key);
    if (cached !== undefined) return cached;
    const answer = await webhook.kube.createSubjectAccessReview({
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SubjectAccessReview',
      spec: {
        user: user.name,
        groups: [...user.groups],
        ...(user.uid ? { uid: user.uid } : {}),
        ...(user.extra ? { extra: { ...user.extra } } : {}),
        resourceAttributes: {
          verb: a.verb,
          group: '',
          version: 'v1',
          resource: a.resource,
          subresource,
          name: a.name,
        },
      },
    });
    const allowed = answer.status?.allowed === true;
    answers.set(key, allowed, allowed ? webhook.cacheAuthorizedTtlMs : webhook.cacheUnauthorizedTtlMs);
    return allowed;
  };
  return async (user, attributes) => {
    for (const subresource of attributes.subresources) if (await review(user, attributes, subresource)) return true;
    return false;
  };
}
