// Our own types for the CRI (runtime.v1) messages staticlet uses. Field names follow the proto in
// camelCase. int64 nanosecond timestamps stay decimal strings: they do not fit a JS number.

export type SandboxState = 'SANDBOX_READY' | 'SANDBOX_NOTREADY';
export type ContainerState = 'CONTAINER_CREATED' | 'CONTAINER_RUNNING' | 'CONTAINER_EXITED' | 'CONTAINER_UNKNOWN';

/** NamespaceMode: POD (0), CONTAINER (1), NODE (2), TARGET (3). */
export type NamespaceMode = 'POD' | 'CONTAINER' | 'NODE' | 'TARGET';

export interface NamespaceOptions {
  network?: NamespaceMode;
  pid?: NamespaceMode;
  ipc?: NamespaceMode;
}

export interface PodSandboxMetadata {
  name: string;
  uid: string;
  namespace: string;
  attempt: number;
}

export interface DnsConfig {
  servers: string[];
  searches: string[];
  options: string[];
}

export interface PortMapping {
  protocol: 'TCP' | 'UDP' | 'SCTP';
  containerPort: number;
  hostPort: number;
  hostIp: string;
}

/** A seccomp (or AppArmor) profile: the runtime's default, none, or a file on the node. */
export interface SecurityProfile {
  profileType: 'RuntimeDefault' | 'Unconfined' | 'Localhost';
  /** For Localhost: the profile's absolute path on the node. */
  localhostRef?: string;
}

export interface PodSandboxConfig {
  metadata: PodSandboxMetadata;
  hostname: string;
  logDirectory: string;
  dnsConfig?: DnsConfig;
  portMappings: PortMapping[];
  labels: Record<string, string>;
  annotations: Record<string, string>;
  linux?: {
    cgroupParent?: string;
    securityContext?: {
      namespaceOptions?: NamespaceOptions;
      runAsUser?: { value: string }; // int64
      runAsGroup?: { value: string }; // int64
      supplementalGroups?: string[]; // int64
      privileged?: boolean;
      seccomp?: SecurityProfile;
    };
    sysctls?: Record<string, string>;
  };
}

export interface ContainerMetadata {
  name: string;
  attempt: number;
}

export interface KeyValue {
  key: string;
  value: string;
}

export type MountPropagation = 'PROPAGATION_PRIVATE' | 'PROPAGATION_HOST_TO_CONTAINER' | 'PROPAGATION_BIDIRECTIONAL';

export interface Mount {
  containerPath: string;
  hostPath: string;
  readonly: boolean;
  selinuxRelabel?: boolean;
  propagation?: MountPropagation;
}

export interface LinuxContainerResources {
  cpuPeriod?: string; // int64
  cpuQuota?: string; // int64
  cpuShares?: string; // int64
  memoryLimitInBytes?: string; // int64
  oomScoreAdj?: string; // int64
}

export interface Capability {
  addCapabilities: string[];
  dropCapabilities: string[];
}

export interface LinuxContainerSecurityContext {
  capabilities?: Capability;
  privileged?: boolean;
  namespaceOptions?: NamespaceOptions;
  runAsUser?: { value: string }; // int64
  runAsGroup?: { value: string }; // int64
  readonlyRootfs?: boolean;
  supplementalGroups?: string[]; // int64
  noNewPrivs?: boolean;
  maskedPaths?: readonly string[];
  readonlyPaths?: readonly string[];
  seccomp?: SecurityProfile;
}

export interface ContainerConfig {
  metadata: ContainerMetadata;
  image: { image: string };
  command: string[];
  args: string[];
  workingDir: string;
  envs: KeyValue[];
  mounts: Mount[];
  labels: Record<string, string>;
  annotations: Record<string, string>;
  /** Relative to the sandbox's log directory. */
  logPath: string;
  stdin?: boolean;
  tty?: boolean;
  linux?: {
    resources?: LinuxContainerResources;
    securityContext?: LinuxContainerSecurityContext;
  };
}

export interface PodSandbox {
  id: string;
  metadata: PodSandboxMetadata;
  state: SandboxState;
  createdAt: string; // int64 ns
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

export interface PodSandboxStatus {
  id: string;
  metadata: PodSandboxMetadata;
  state: SandboxState;
  createdAt: string; // int64 ns
  network?: { ip: string; additionalIps: string[] };
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

export interface Container {
  id: string;
  podSandboxId: string;
  metadata: ContainerMetadata;
  image: string;
  imageRef: string;
  state: ContainerState;
  createdAt: string; // int64 ns
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

export interface ContainerStatus {
  id: string;
  metadata: ContainerMetadata;
  state: ContainerState;
  createdAt: string; // int64 ns
  startedAt: string; // int64 ns
  finishedAt: string; // int64 ns
  exitCode: number;
  image: string;
  imageRef: string;
  reason: string;
  message: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  logPath: string;
}

export interface ContainerEvent {
  containerId: string;
  eventType:
    'CONTAINER_CREATED_EVENT' | 'CONTAINER_STARTED_EVENT' | 'CONTAINER_STOPPED_EVENT' | 'CONTAINER_DELETED_EVENT';
  createdAt: string; // int64 ns
  podSandboxId: string;
}

export interface ImageStatus {
  id: string;
  size: string; // uint64
  uid?: string; // int64
  username?: string;
}

export interface ExecSyncResult {
  stdout: Buffer;
  stderr: Buffer;
  exitCode: number;
}

export interface VersionInfo {
  version: string;
  runtimeName: string;
  runtimeVersion: string;
  runtimeApiVersion: string;
}

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

  /**
   * Server stream of container events. The returned observable-like handle errors with a
   * CriError whose code is 'UNIMPLEMENTED' on runtimes without it (containerd 1.6).
   */
  containerEvents(): ContainerEventStream;

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
