// Our own types for the CRI (runtime.v1) messages staticlet uses, the contract shared by the core
// (which builds configs), the effects and the adapters: this module imports nothing of ours.
// Field names follow the proto in camelCase. int64 nanosecond timestamps stay decimal strings:
// they do not fit a JS number.

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
  /** `userSpecifiedImage`: the image as the manifest names it (the kubelet sends it; CRI-O needs it to
   * check the image against its signature policy, and refuses the container without it). */
  image: { image: string; userSpecifiedImage?: string };
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
  /** The statuses of the pod's containers when the event was made (containerd 2.x fills them in):
   * a stopped container's exit code and time come from here. */
  containersStatuses: ContainerStatus[];
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

/** Which streams an Exec or Attach session carries. With `tty`, stderr is merged into stdout. */
export interface StreamOptions {
  readonly stdin: boolean;
  readonly stdout: boolean;
  readonly stderr: boolean;
  readonly tty: boolean;
}

export interface ExecRequest extends StreamOptions {
  readonly containerId: string;
  readonly cmd: readonly string[];
}

export interface AttachRequest extends StreamOptions {
  readonly containerId: string;
}

/** A figure of a stats sample, with its time (int64 ns, as a decimal string). */
export interface CpuUsage {
  timestamp: string;
  /** Cumulative CPU time, ns; absent when the runtime does not know it. */
  usageCoreNanoSeconds?: number;
  /** CPU use over the runtime's last sampling window, in billionths of a core. */
  usageNanoCores?: number;
}

export interface MemoryUsage {
  timestamp: string;
  workingSetBytes?: number;
  availableBytes?: number;
  usageBytes?: number;
  rssBytes?: number;
}

export interface FilesystemUsage {
  timestamp: string;
  mountpoint: string;
  usedBytes?: number;
  inodesUsed?: number;
}

/** ListContainerStats: one container's sample (its attributes and figures). */
export interface ContainerStats {
  id: string;
  metadata: ContainerMetadata;
  labels: Record<string, string>;
  cpu?: CpuUsage;
  memory?: MemoryUsage;
  writableLayer?: FilesystemUsage;
}
