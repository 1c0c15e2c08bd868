// Volume mounts → CRI mounts, and what the host must prepare before the container is created:
// hostPath type checks, emptyDir directories (tmpfs for medium Memory), subPaths, the managed
// /etc/hosts.
import type { V1Container, V1Pod, V1VolumeMount } from '@kubernetes/client-node';
import type { Mount, MountPropagation } from '../../cri-api/messages.js';
import { containerResources } from '../qos.js';
import { add, compare, isZero, parseQuantity, value, type Quantity } from '../quantity.js';

export type HostPathType =
  '' | 'Directory' | 'DirectoryOrCreate' | 'File' | 'FileOrCreate' | 'Socket' | 'CharDevice' | 'BlockDevice';

/** One thing the effect does on the host before creating the container; `what` names it in errors. */
export type HostPreparation =
  /** Check (and for *OrCreate, create) a hostPath volume's path. */
  | { readonly kind: 'hostPath'; readonly path: string; readonly type: HostPathType; readonly what: string }
  /** An emptyDir: a world-writable directory; with medium Memory a tmpfs of `sizeBytes` on it. */
  | {
      readonly kind: 'emptyDir';
      readonly path: string;
      readonly medium: '' | 'Memory';
      readonly sizeBytes?: number;
      readonly what: string;
    }
  /**
   * A subPath of a volume: created as a directory when missing, and required to stay inside the
   * volume once symlinks are resolved. Mount number `mount` of the config gets the resolved path.
   */
  | {
      readonly kind: 'subPath';
      readonly volumePath: string;
      readonly subPath: string;
      readonly mount: number;
      readonly what: string;
    }
  /**
   * A writable hostPath mount (its subPath included) must not reach the agent's own state or
   * credentials (`protectedPaths`), symlinks resolved, unless it names one of them exactly.
   */
  | {
      readonly kind: 'notProtected';
      readonly path: string;
      readonly protectedPaths: readonly string[];
      readonly what: string;
    }
  /** A file the agent manages (the pod's /etc/hosts), written before each container start. */
  | { readonly kind: 'file'; readonly path: string; readonly content: string; readonly what: string };

/** A pod's directory below the agent's root directory: its volumes, hosts file, termination messages. */
export function podDirectory(rootDir: string, uid: string): string {
  return `${rootDir}/pods/${uid}`;
}

/** Where a pod's volumes live; the only place the agent mounts anything (memory-backed emptyDirs). */
export function podVolumesDirectory(rootDir: string, uid: string): string {
  return `${podDirectory(rootDir, uid)}/volumes`;
}

export function emptyDirPath(rootDir: string, uid: string, volume: string): string {
  return `${podVolumesDirectory(rootDir, uid)}/kubernetes.io~empty-dir/${volume}`;
}

export function etcHostsPath(rootDir: string, uid: string): string {
  return `${podDirectory(rootDir, uid)}/etc-hosts`;
}

const PROPAGATION: Record<string, MountPropagation> = {
  None: 'PROPAGATION_PRIVATE',
  HostToContainer: 'PROPAGATION_HOST_TO_CONTAINER',
  Bidirectional: 'PROPAGATION_BIDIRECTIONAL',
};

export interface MountContext {
  readonly rootDir: string;
  readonly uid: string;
  /** The node's allocatable memory, the largest a memory-backed emptyDir may be. */
  readonly allocatableMemory?: number;
  /** See RuntimeSpecOptions.protectedPaths. */
  readonly protectedPaths?: readonly string[];
}

export function volumeMounts(
  pod: V1Pod,
  container: V1Container,
  ctx: MountContext,
): { mounts: Mount[]; prepare: HostPreparation[] } {
  const volumes = new Map((pod.spec?.volumes ?? []).map((v) => [v.name, v]));
  const mounts: Mount[] = [];
  const prepare: HostPreparation[] = [];
  const prepared = new Set<string>();
  for (const m of container.volumeMounts ?? []) {
    const vol = volumes.get(m.name);
    if (!vol) continue; // validation guarantees the volume exists
    let volumePath: string;
    if (vol.hostPath) {
      volumePath = vol.hostPath.path;
      const type = (vol.hostPath.type ?? '') as HostPathType;
      if (type !== '' && !prepared.has(vol.name)) {
        prepare.push({ kind: 'hostPath', path: volumePath, type, what: `volume "${vol.name}" (hostPath ${type})` });
      }
    } else {
      volumePath = emptyDirPath(ctx.rootDir, ctx.uid, vol.name);
      if (!prepared.has(vol.name)) {
        const medium = vol.emptyDir?.medium === 'Memory' ? 'Memory' : '';
        const sizeBytes =
          medium === 'Memory' ? memoryEmptyDirSize(pod, vol.emptyDir?.sizeLimit, ctx.allocatableMemory) : undefined;
        prepare.push({
          kind: 'emptyDir',
          path: volumePath,
          medium,
          ...(sizeBytes !== undefined ? { sizeBytes } : {}),
          what: `volume "${vol.name}" (emptyDir${medium ? ` medium ${medium}` : ''})`,
        });
      }
    }
    prepared.add(vol.name);
    let hostPath = volumePath;
    if (m.subPath) {
      hostPath = `${volumePath.replace(/\/+$/, '')}/${m.subPath}`;
      prepare.push({
        kind: 'subPath',
        volumePath,
        subPath: m.subPath,
        mount: mounts.length,
        what: `volume "${vol.name}" subPath "${m.subPath}"`,
      });
    }
    if (vol.hostPath && m.readOnly !== true && ctx.protectedPaths?.length) {
      // First, before any preparation creates a directory there.
      prepare.unshift({
        kind: 'notProtected',
        path: hostPath,
        protectedPaths: ctx.protectedPaths,
        what: `volume "${vol.name}" (hostPath ${hostPath})`,
      });
    }
    mounts.push({
      containerPath: m.mountPath,
      hostPath,
      readonly: m.readOnly === true,
      ...(m.mountPropagation ? { propagation: propagation(m) } : {}),
    });
  }
  return { mounts, prepare };
}

function propagation(m: V1VolumeMount): MountPropagation {
  return PROPAGATION[m.mountPropagation ?? 'None'] ?? 'PROPAGATION_PRIVATE';
}

/**
 * The kubelet's size of a memory-backed emptyDir: the node's allocatable memory, or less: the
 * pod's memory limit when every container has one, and the volume's sizeLimit when smaller still.
 * Undefined: no size option (the kernel's default, half the RAM).
 */
export function memoryEmptyDirSize(
  pod: V1Pod,
  sizeLimit: unknown,
  allocatableMemory: number | undefined,
): number | undefined {
  let size: Quantity | undefined =
    allocatableMemory !== undefined ? { num: BigInt(allocatableMemory), den: 1n } : undefined;
  const fits = (q: Quantity | undefined): q is Quantity =>
    q !== undefined && !isZero(q) && q.num > 0n && (size === undefined || compare(q, size) <= 0);
  const podLimit = podMemoryLimit(pod);
  if (fits(podLimit)) size = podLimit;
  const volumeLimit = sizeLimit === undefined || sizeLimit === null ? undefined : parseQuantity(sizeLimit);
  if (fits(volumeLimit)) size = volumeLimit;
  return size === undefined ? undefined : Number(value(size));
}

/** Sum of the app containers' memory limits, at least each init container's; undefined unless all have one. */
function podMemoryLimit(pod: V1Pod): Quantity | undefined {
  let sum: Quantity = { num: 0n, den: 1n };
  for (const c of pod.spec?.containers ?? []) {
    const lim = containerResources(c).limits['memory'];
    if (isZero(lim)) return undefined;
    sum = add(sum, lim!);
  }
  for (const c of pod.spec?.initContainers ?? []) {
    const lim = containerResources(c).limits['memory'];
    if (isZero(lim)) return undefined;
    if (compare(lim!, sum) > 0) sum = lim!;
  }
  return sum;
}
