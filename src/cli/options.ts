// The agent's settings: defaults, then the KubeletConfiguration file (--config), then flags.
import type { EndpointAddress } from '../runtime/http/endpoint-address.js';

export interface AgentOptions {
  readonly podManifestPath?: string;
  readonly manifestUrl?: string;
  readonly manifestUrlHeaders: Readonly<Record<string, string[]>>;
  readonly containerRuntimeEndpoint: string;
  readonly nodeName: string;
  readonly clusterDNS: readonly string[];
  readonly clusterDomain: string;
  readonly fileCheckFrequencyMs: number;
  readonly httpCheckFrequencyMs: number;
  readonly podLogsDir: string;
  readonly rootDir: string;
  readonly relistPeriodMs: number;
  readonly maxParallelPods: number;
  /** Sandbox and container starts, stops and removals in flight at once (see runtime/cri/call-gate.ts). */
  readonly maxParallelRuntimeCalls: number;
  readonly eventLog?: string;
  readonly logLevel: string;
  readonly resolvConf: string;
  /** With a kubeconfig, the agent registers its Node and mirrors its static pods. */
  readonly kubeconfig?: string;
  /** The node's address (hostIP in pod statuses, InternalIP of the Node). */
  readonly nodeIP: string;
  /** Where /healthz, /readyz, /pods are served; absent when turned off (--healthz-port=0). */
  readonly healthz?: EndpointAddress;
}

export const DEFAULTS = {
  containerRuntimeEndpoint: 'unix:///run/containerd/containerd.sock',
  clusterDomain: '',
  fileCheckFrequencyMs: 20_000,
  httpCheckFrequencyMs: 20_000,
  podLogsDir: '/var/log/pods',
  rootDir: '/var/lib/staticlet',
  relistPeriodMs: 1_000,
  maxParallelPods: 256,
  maxParallelRuntimeCalls: 8,
  logLevel: 'info',
  resolvConf: '/etc/resolv.conf',
} as const;
