// The kubelet API's settings from the flags and the --config file (flags win), with the
// kubelet's names, and defaults chosen for an agent that may have no cluster:
// - it is served (on --address, default 0.0.0.0, --port, default 10250; 0 turns it off) when the
//   agent has a cluster (--kubeconfig) or a certificate of its own (--tls-cert-file); otherwise
//   nobody could be authenticated but by a client CA, and the port stays closed;
// - anonymous requests are refused (--anonymous-auth=false; the kubelet's default is true);
// - with a cluster: bearer tokens are checked by TokenReview and requests authorized by
//   SubjectAccessReview (the KubeletConfiguration file's defaults), and the serving certificate
//   is asked of the cluster (--rotate-server-certificates defaults to true; the kubelet's false);
// - without one: --authorization-mode=AlwaysAllow, a client certificate from --client-ca-file is
//   the only way in, and the certificate is self-signed unless given.
import { isIP } from 'node:net';
import { join } from 'node:path';
import type { KubeletApiSettings } from '../runtime/kubelet-api/settings.js';
import type { ConfigFileSettings } from './config-file.js';
import { parseDuration } from './duration.js';

export const KUBELET_API_DEFAULTS = {
  port: 10250,
  address: '0.0.0.0',
  authenticationTokenWebhookCacheTtlMs: 2 * 60_000,
  authorizationWebhookCacheAuthorizedTtlMs: 5 * 60_000,
  authorizationWebhookCacheUnauthorizedTtlMs: 30_000,
} as const;

export interface KubeletApiFlags {
  readonly port?: string;
  readonly address?: string;
  readonly tlsCertFile?: string;
  readonly tlsPrivateKeyFile?: string;
  readonly certDir?: string;
  readonly rotateServerCertificates?: boolean;
  readonly clientCaFile?: string;
  readonly authenticationTokenWebhook?: boolean;
  readonly authenticationTokenWebhookCacheTtl?: string;
  readonly anonymousAuth?: boolean;
  readonly authorizationMode?: string;
  readonly authorizationWebhookCacheAuthorizedTtl?: string;
  readonly authorizationWebhookCacheUnauthorizedTtl?: string;
}

/** undefined when not served; an Error naming the flag (or field) at fault. */
export function kubeletApiSettings(
  flags: KubeletApiFlags,
  file: ConfigFileSettings,
  context: { readonly kubeconfig: boolean; readonly rootDir: string },
): KubeletApiSettings | undefined | Error {
  const port = flags.port !== undefined ? Number(flags.port) : (file.port ?? KUBELET_API_DEFAULTS.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535 || flags.port?.trim() === '')
    return new Error(`--port: "${flags.port}" is not a port number`);
  const address = (flags.address ?? file.address ?? KUBELET_API_DEFAULTS.address).replace(/^\[(.*)\]$/, '$1');
  if (isIP(address) === 0) return new Error(`--address: "${address}" is not an IP address`);
  const tlsCertFile = flags.tlsCertFile ?? file.tlsCertFile;
  const tlsPrivateKeyFile = flags.tlsPrivateKeyFile ?? file.tlsPrivateKeyFile;
  if ((tlsCertFile === undefined) !== (tlsPrivateKeyFile === undefined))
    return new Error('--tls-cert-file and --tls-private-key-file go together');
  if (port === 0 || (!context.kubeconfig && tlsCertFile === undefined)) return undefined;

  const mode = flags.authorizationMode ?? file.authorizationMode ?? (context.kubeconfig ? 'Webhook' : 'AlwaysAllow');
  if (mode !== 'Webhook' && mode !== 'AlwaysAllow')
    return new Error(`--authorization-mode: "${mode}" is not one of AlwaysAllow, Webhook`);
  if (mode === 'Webhook' && !context.kubeconfig)
    return new Error('--authorization-mode=Webhook asks the API server: it needs --kubeconfig');
  const tokenWebhook = flags.authenticationTokenWebhook ?? file.authenticationWebhookEnabled ?? context.kubeconfig;
  if (tokenWebhook && !context.kubeconfig)
    return new Error('--authentication-token-webhook asks the API server: it needs --kubeconfig');

  const duration = (name: string, text: string | undefined, fromFile: number | undefined, fallback: number) => {
    if (text === undefined) return fromFile ?? fallback;
    const ms = parseDuration(text);
    if (ms instanceof Error) throw new Error(`--${name}: ${ms.message}`);
    return ms;
  };
  try {
    const clientCAFile = flags.clientCaFile ?? file.clientCAFile;
    return {
      address,
      port,
      ...(tlsCertFile ? { tlsCertFile } : {}),
      ...(tlsPrivateKeyFile ? { tlsPrivateKeyFile } : {}),
      certDir: flags.certDir ?? join(context.rootDir, 'pki'),
      rotateServerCertificates:
        context.kubeconfig && (flags.rotateServerCertificates ?? file.serverTLSBootstrap ?? true),
      ...(clientCAFile ? { clientCAFile } : {}),
      authenticationTokenWebhook: tokenWebhook,
      authenticationTokenWebhookCacheTtlMs: duration(
        'authentication-token-webhook-cache-ttl',
        flags.authenticationTokenWebhookCacheTtl,
        file.authenticationWebhookCacheTtlMs,
        KUBELET_API_DEFAULTS.authenticationTokenWebhookCacheTtlMs,
      ),
      anonymousAuth: flags.anonymousAuth ?? file.anonymousAuthEnabled ?? false,
      authorizationMode: mode,
      authorizationWebhookCacheAuthorizedTtlMs: duration(
        'authorization-webhook-cache-authorized-ttl',
        flags.authorizationWebhookCacheAuthorizedTtl,
        file.authorizationWebhookCacheAuthorizedTtlMs,
        KUBELET_API_DEFAULTS.authorizationWebhookCacheAuthorizedTtlMs,
      ),
      authorizationWebhookCacheUnauthorizedTtlMs: duration(
        'authorization-webhook-cache-unauthorized-ttl',
        flags.authorizationWebhookCacheUnauthorizedTtl,
        file.authorizationWebhookCacheUnauthorizedTtlMs,
        KUBELET_API_DEFAULTS.authorizationWebhookCacheUnauthorizedTtlMs,
      ),
    };
  } catch (err) {
    return err as Error;
  }
}
