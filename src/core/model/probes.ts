// What the probes are: a container's probes as the kubelet runs them, and where they go.
export type ProbeKind = 'startup' | 'liveness' | 'readiness';

export interface ProbeSpec {
  readonly kind: ProbeKind;
  readonly handler: ProbeHandler;
  readonly initialDelayMs: number;
  readonly periodMs: number;
  readonly timeoutMs: number;
  readonly successThreshold: number;
  readonly failureThreshold: number;
}

export type ProbeHandler =
  | { readonly type: 'exec'; readonly command: string[] }
  | {
      readonly type: 'http';
      readonly scheme: 'HTTP' | 'HTTPS';
      readonly host?: string;
      readonly port: number;
      readonly path: string;
      readonly headers: { name: string; value: string }[];
    }
  | { readonly type: 'tcp'; readonly host?: string; readonly port: number }
  | { readonly type: 'grpc'; readonly port: number; readonly service?: string };

/** A running container to probe. */
export interface ProbeTarget {
  readonly containerId: string;
  readonly podUid: string;
  readonly podFullName: string;
  readonly containerName: string;
  readonly startedAt: number;
  /** Where network probes go: the pod IP, or loopback for host-network pods. */
  readonly host: string;
  readonly probes: readonly ProbeSpec[];
}
