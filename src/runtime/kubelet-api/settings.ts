// The kubelet API's settings as the flags and the --config file give them (cli/kubelet-api-settings.ts
// reads them; serving/kubelet-api.ts acts on them).
import type { AuthorizationMode } from './authz.js';

export interface KubeletApiSettings {
  readonly address: string;
  readonly port: number;
  readonly tlsCertFile?: string;
  readonly tlsPrivateKeyFile?: string;
  readonly certDir: string;
  /** Ask the cluster for the serving certificate (needs the API server). */
  readonly rotateServerCertificates: boolean;
  readonly clientCAFile?: string;
  readonly authenticationTokenWebhook: boolean;
  readonly authenticationTokenWebhookCacheTtlMs: number;
  readonly anonymousAuth: boolean;
  readonly authorizationMode: AuthorizationMode;
  readonly authorizationWebhookCacheAuthorizedTtlMs: number;
  readonly authorizationWebhookCacheUnauthorizedTtlMs: number;
}
