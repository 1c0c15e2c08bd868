// The runtime port: what the agent asks of a CRI runtime (RuntimeService and ImageService, the
// calls staticlet makes), apart from any client. The gRPC adapter is src/runtime/cri/client.ts;
// tests and benches put their own runtimes behind it.
import type {
  ContainerConfig,
  Container,
  ContainerEvent,
  ContainerStats,
  ContainerStatus,
  AttachRequest,
  ExecRequest,
  ExecSyncResult,
  ImageStatus,
  PodSandbox,
  PodSandboxConfig,
  PodSandboxStatus,
  VersionInfo,
} from './messages.js';

/** Thrown by a CriRuntime when the runtime answers with a gRPC error. */
export class CriError extends Error {
  constructor(
    readonly method: string,
    /** gRPC status code name, e.g. 'NOT_FOUND', 'UNIMPLEMENTED', 'UNAVAILABLE'. */
    readonly code: string,
    readonly details: string,
  ) {
    super(`CRI ${method}: ${code}: ${details}`);
    this.name = 'CriError';
  }
}

/**
 * The port the agent uses to talk to a CRI runtime. Every method rejects with a CriError on a
 * gRPC error. `timeoutMs` bounds each call (the adapter has a default per method).
 */
export interface CriRuntime {
  version(timeoutMs?: number): Promise<VersionInfo>;

  runPodSandbox(config: PodSandboxConfig, runtimeHandler?: string): Promise<string>;
  stopPodSandbox(podSandboxId: string): Promise<void>;
  removePodSandbox(podSandboxId: string): Promise<void>;
  podSandboxStatus(podSandboxId: string): Promise<PodSandboxStatus>;
  listPodSandbox(filter?: { labelSelector?: Record<string, string> }): Promise<PodSandbox[]>;

  createContainer(podSandboxId: string, config: ContainerConfig, sandboxConfig: PodSandboxConfig): Promise<string>;
  startContainer(containerId: string): Promise<void>;
  /** timeoutSeconds: grace period before SIGKILL; 0 kills at once. */
  stopContainer(containerId: string, timeoutSeconds: number): Promise<void>;
  removeContainer(containerId: string): Promise<void>;
  listContainers(filter?: { podSandboxId?: string; labelSelector?: Record<string, string> }): Promise<Container[]>;
  containerStatus(containerId: string): Promise<ContainerStatus>;
  execSync(containerId: string, cmd: string[], timeoutSeconds: number): Promise<ExecSyncResult>;
  /** The runtime's CPU, memory and writable-layer figures of its containers (the kubelet API's /stats/summary). */
  listContainerStats(filter?: { labelSelector?: Record<string, string> }): Promise<ContainerStats[]>;

  /** Exec, Attach, PortForward: each answers with a URL on the runtime's streaming server. */
  exec(request: ExecRequest): Promise<string>;
  attach(request: AttachRequest): Promise<string>;
  portForward(podSandboxId: string, ports: readonly number[]): Promise<string>;

  /**
   * Server stream of container events. The returned observable-like handle errors with a
   * CriError whose code is 'UNIMPLEMENTED' on runtimes without it (containerd 1.6). With `types`,
   * only events of those types come; the others are dropped before they are decoded.
   */
  containerEvents(types?: ReadonlySet<ContainerEvent['eventType']>): ContainerEventStream;

  /** `uid` (int64, decimal) or `username`: the image's user, when the image names one. */
  imageStatus(image: string): Promise<ImageStatus | undefined>;
  pullImage(image: string, sandboxConfig?: PodSandboxConfig): Promise<string>;

  close(): void;
}

export interface ContainerEventStream {
  /** Called for each event; `onError` once when the stream fails; `onEnd` when the server ends it. */
  subscribe(handlers: {
    next: (event: ContainerEvent) => void;
    error: (err: CriError) => void;
    complete: () => void;
  }): { unsubscribe: () => void };
}
