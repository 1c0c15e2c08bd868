// Who is asking the kubelet API, as the kubelet finds out (its --client-ca-file, then
// --authentication-token-webhook, then --anonymous-auth):
// - a client certificate that verifies against the client CA: user = its CN, groups = its O's
//   (the API server's kubelet client certificate, kube-apiserver-kubelet-client);
// - a bearer token: the API server's TokenReview says whose it is (cached, --authentication-
//   token-webhook-cache-ttl, default 2 min; a refused token for a tenth of that);
// - nothing: system:anonymous (group system:unauthenticated) when anonymous requests are allowed,
//   otherwise refused with 401. The kubelet allows them by default; staticlet does not (a node
//   agent without a cluster has no authorizer but AlwaysAllow to guard them).
import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { KubeApi } from '../kube/types.js';
import { TtlCache } from './ttl-cache.js';

export interface KubeletApiUser {
  readonly name: string;
  readonly uid?: string;
  readonly groups: readonly string[];
  readonly extra?: Readonly<Record<string, string[]>>;
}

export interface AuthenticationOptions {
  /** Client certificates are verified by the TLS layer against the client CA: is one set? */
  readonly clientCertificates: boolean;
  /** TokenReview through the API server (--authentication-token-webhook). */
  readonly tokenWebhook?: { readonly kube: Pick<KubeApi, 'createTokenReview'>; readonly cacheTtlMs: number };
  readonly anonymous: boolean;
  readonly now?: () => number;
}

/** undefined: not authenticated (401). */
export type Authenticate = (req: IncomingMessage) => Promise<KubeletApiUser | undefined>;

export const ANONYMOUS: KubeletApiUser = { name: 'system:anonymous', groups: ['system:unauthenticated'] };

export function authenticator(options: AuthenticationOptions): Authenticate {
  const tokens = new TtlCache<KubeletApiUser | null>(options.now);
  return async (req) => {
    if (options.clientCertificates) {
      const user = certificateUser(req.socket as TLSSocket);
      if (user) return user;
    }
    const token = bearerToken(req.headers.authorization);
    if (token !== undefined) {
      const webhook = options.tokenWebhook;
      if (!webhook) return undefined;
      const key = createHash('sha256').update(token).digest('hex');
      const cached = tokens.get(key);
      if (cached !== undefined) return cached ?? undefined;
      const review = await webhook.kube.createTokenReview({
        apiVersion: 'authentication.k8s.io/v1',
        kind: 'TokenReview',
        spec: { token },
      });
      const status = review.status;
      const user: KubeletApiUser | null =
        status?.authenticated && status.user?.username
          ? {
              name: status.user.username,
              ...(status.user.uid ? { uid: status.user.uid } : {}),
              groups: status.user.groups ?? [],
              ...(status.user.extra ? { extra: status.user.extra } : {}),
            }
          : null;
      tokens.set(key, user, user ? webhook.cacheTtlMs : webhook.cacheTtlMs / 10);
      return user ?? undefined;
    }
    return options.anonymous ? ANONYMOUS : undefined;
  };
}

/** The verified client certificate's CN and O's; undefined when none was shown or it did not verify. */
function certificateUser(socket: TLSSocket): KubeletApiUser | undefined {
  if (!socket.authorized) return undefined;
  const subject = socket.getPeerCertificate().subject as Record<string, string | string[] | undefined> | undefined;
  const cn = first(subject?.['CN']);
  if (!cn) return undefined;
  const o = subject?.['O'];
  return { name: cn, groups: o === undefined ? [] : Array.isArray(o) ? o : [o] };
}

function first(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

function bearerToken(header: string | undefined): string | undefined {
  const m = header?.match(/^Bearer\s+(\S+)\s*$/i);
  return m?.[1];
}
