// The agent's settings: defaults, then the KubeletConfiguration file (--config), then flags.
import type { V1Taint } from '@kubernetes/client-node';
import type { EndpointAddress } from '../runtime/http/endpoint-address.js';
import type { KubeletApiSettings } from '../runtime/kubelet-api/settings.js';

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
  /** Labels the Node is created with (--node-labels), over the kubelet's own; never applied later. */
  readonly nodeLabels: Readonly<Record<string, string>>;
  /** Taints the Node is created with (--register-with-taints), besides staticlet's own. */
  readonly registerWithTaints: readonly V1Taint[];
  /** false (--register-node=false): never create the Node; mirror pods wait until someone else does. */
  readonly registerNode: boolean;
  /** How often the Node's status is computed (--node-status-update-frequency, nodeStatusUpdateFrequency). */
  readonly nodeStatusUpdateFrequencyMs: number;
  /** How often an unchanged Node status is written anyway (nodeStatusReportFrequency). */
  readonly nodeStatusReportFrequencyMs: number;
  /** Where /healthz, /readyz, /pods are served; absent when turned off (--healthz-port=0). */
  readonly healthz?: EndpointAddress;
  /** The kubelet API (--port): absent when not served (see cli/kubelet-api-settings.ts). */
  readonly kubeletApi?: KubeletApiSettings;
}

export const DEFAULTS = {
  containerRuntimeEndpoint: 'unix:///run/containerd/containerd.sock',
  clusterDomain: '',
  fileCheckFrequencyMs: 20_000,
  httpCheckFrequencyMs: 20_000,
  nodeStatusUpdateFrequencyMs: 10_000,
  nodeStatusReportFrequencyMs: 300_000,
  podLogsDir: '/var/log/pods',
  rootDir: '/var/lib/staticlet',
  relistPeriodMs: 1_000,
  maxParallelPods: 256,
  maxParallelRuntimeCalls: 8,
  logLevel: 'info',
  resolvConf: '/etc/resolv.conf',
} as const;
