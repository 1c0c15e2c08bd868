// What the pod actions work with (the runtime, the host, the spec options, the shared status cache)
// and the small helpers they share.
import type { RuntimeSpecOptions } from '../../core/runtime-spec.js';
import { CriError, type CriRuntime } from '../../cri-api/runtime-service.js';
import type { ExpectedExits } from '../../runtime/expected-exits.js';
import type { RuntimeStatusCache } from '../../runtime/cri/status-cache.js';
import type { HostPort } from '../../runtime/host.js';
import type { Logger } from '../../runtime/logger.js';
import type { ProbePort } from '../../runtime/probe-port.js';
import type { ImageLookup } from '../images.js';

export interface PodActionDeps {
  readonly cri: CriRuntime;
  readonly host: HostPort;
  readonly spec: RuntimeSpecOptions;
  readonly log: Logger;
  readonly now: () => number;
  /** How many pods may be worked on at once. */
  readonly concurrency: number;
  /** Exec / HTTP / TCP, for lifecycle hooks. */
  readonly probes: ProbePort;
  /** Where what the effects learn is shared with the relist, which then need not ask again. */
  readonly statusCache?: RuntimeStatusCache;
  /** Where the effects note the containers and sandboxes they stop, whose exits are then no news. */
  readonly expectedExits?: ExpectedExits;
}

/** The deps, with the image lookup the actions share. */
export interface Effects extends PodActionDeps {
  readonly images: ImageLookup;
}

/** Where hooks without a host go: the pod IP, or loopback for host-network pods. */
export async function hookHost(deps: Effects, sandboxId: string): Promise<string> {
  const status = await deps.cri.podSandboxStatus(sandboxId).catch(() => undefined);
  return status?.network?.ip || '127.0.0.1';
}

export function messageOf(err: unknown): string {
  return err instanceof CriError ? err.details || err.message : err instanceof Error ? err.message : String(err);
}

export function short(id: string): string {
  return id.slice(0, 13);
}
