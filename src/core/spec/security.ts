// Security contexts and namespaces, as the kubelet turns them into CRI settings. The pod-level
// context gives runAsUser, runAsGroup, runAsNonRoot and seccompProfile to every container; the
// container's own context wins field by field.
import type { V1Container, V1Pod, V1SeccompProfile } from '@kubernetes/client-node';
import type { LinuxContainerSecurityContext, NamespaceOptions, SecurityProfile } from '../../cri-api/messages.js';
import { ContainerConfigError } from './errors.js';

/** The effective security context of a container (Kubernetes' DetermineEffectiveSecurityContext). */
export interface EffectiveSecurity {
  readonly privileged?: boolean;
  readonly runAsUser?: number;
  readonly runAsGroup?: number;
  readonly runAsNonRoot?: boolean;
  readonly readOnlyRootFilesystem?: boolean;
  readonly allowPrivilegeEscalation?: boolean;
  readonly capabilities?: { readonly add?: readonly string[]; readonly drop?: readonly string[] };
}

export function effectiveSecurity(pod: V1Pod, container: V1Container): EffectiveSecurity {
  const p = pod.spec?.securityContext;
  const c = container.securityContext;
  const pick = <T>(own: T | undefined, inherited: T | undefined): T | undefined =>
    own !== undefined && own !== null ? own : (inherited ?? undefined);
  return {
    privileged: c?.privileged ?? undefined,
    runAsUser: pick(c?.runAsUser, p?.runAsUser),
    runAsGroup: pick(c?.runAsGroup, p?.runAsGroup),
    runAsNonRoot: pick(c?.runAsNonRoot, p?.runAsNonRoot),
    readOnlyRootFilesystem: c?.readOnlyRootFilesystem ?? undefined,
    allowPrivilegeEscalation: c?.allowPrivilegeEscalation ?? undefined,
    capabilities: c?.capabilities ?? undefined,
  };
}

/** The kubelet's namespaces: hostNetwork/hostPID/hostIPC share the node's; shareProcessNamespace the pod's. */
export function namespacesFor(pod: V1Pod): Required<NamespaceOptions> {
  const spec = pod.spec;
  return {
    network: spec?.hostNetwork ? 'NODE' : 'POD',
    pid: spec?.hostPID ? 'NODE' : spec?.shareProcessNamespace ? 'POD' : 'CONTAINER',
    ipc: spec?.hostIPC ? 'NODE' : 'POD',
  };
}

/** Any container (init included) privileged: the sandbox must be privileged too. */
export function hasPrivilegedContainer(pod: V1Pod): boolean {
  return [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])].some(
    (c) => c.securityContext?.privileged === true,
  );
}

/** fsGroup (as a supplemental group only), then supplementalGroups, as int64 strings. */
export function supplementalGroups(pod: V1Pod): string[] {
  const sc = pod.spec?.securityContext;
  return [
    ...(sc?.fsGroup !== undefined && sc.fsGroup !== null ? [sc.fsGroup] : []),
    ...(sc?.supplementalGroups ?? []),
  ].map(String);
}

/**
 * The container's seccomp profile: its own, else the pod's, else Unconfined (the kubelet's default
 * without --seccomp-default). Localhost profiles live under `<root dir>/seccomp`.
 */
export function seccompFor(pod: V1Pod, container: V1Container | undefined, rootDir: string): SecurityProfile {
  const profile = container?.securityContext?.seccompProfile ?? pod.spec?.securityContext?.seccompProfile;
  return seccompProfile(profile, rootDir);
}

export function seccompProfile(profile: V1SeccompProfile | undefined, rootDir: string): SecurityProfile {
  switch (profile?.type) {
    case 'RuntimeDefault':
      return { profileType: 'RuntimeDefault' };
    case 'Localhost':
      if (!profile.localhostProfile)
        throw new ContainerConfigError('seccompProfile: localhostProfile must be set when the type is Localhost');
      return {
        profileType: 'Localhost',
        localhostRef: `${rootDir.replace(/\/+$/, '')}/seccomp/${profile.localhostProfile}`,
      };
    default:
      return { profileType: 'Unconfined' };
  }
}

export function containerSecurityContext(
  pod: V1Pod,
  container: V1Container,
  rootDir: string,
): LinuxContainerSecurityContext {
  const sc = effectiveSecurity(pod, container);
  const caps = sc.capabilities;
  const groups = supplementalGroups(pod);
  return {
    ...(caps
      ? {
          capabilities: {
            addCapabilities: (caps.add ?? []).map(capability),
            dropCapabilities: (caps.drop ?? []).map(capability),
          },
        }
      : {}),
    privileged: sc.privileged === true,
    namespaceOptions: namespacesFor(pod),
    ...(sc.runAsUser !== undefined ? { runAsUser: { value: String(sc.runAsUser) } } : {}),
    ...(sc.runAsGroup !== undefined ? { runAsGroup: { value: String(sc.runAsGroup) } } : {}),
    readonlyRootfs: sc.readOnlyRootFilesystem === true,
    ...(groups.length > 0 ? { supplementalGroups: groups } : {}),
    // Only an explicit allowPrivilegeEscalation: false sets no_new_privs.
    noNewPrivs: sc.allowPrivilegeEscalation === false,
    // procMount Default (the only one accepted): like the kubelet, always sent; the runtime drops
    // them for a privileged container.
    maskedPaths: DEFAULT_MASKED_PATHS,
    readonlyPaths: DEFAULT_READONLY_PATHS,
    seccomp: seccompFor(pod, container, rootDir),
  };
}

/** What the kubelet masks for procMount Default: kernel and hardware details a container has no
 * business reading. */
export const DEFAULT_MASKED_PATHS = [
  '/proc/asound',
  '/proc/acpi',
  '/proc/interrupts',
  '/proc/kcore',
  '/proc/keys',
  '/proc/latency_stats',
  '/proc/timer_list',
  '/proc/timer_stats',
  '/proc/sched_debug',
  '/proc/scsi',
  '/sys/firmware',
  '/sys/devices/virtual/powercap',
] as const;

/** What the kubelet makes read-only for procMount Default: the node's kernel settings among them. */
export const DEFAULT_READONLY_PATHS = [
  '/proc/bus',
  '/proc/fs',
  '/proc/irq',
  '/proc/sys',
  '/proc/sysrq-trigger',
] as const;

/**
 * A capability as the CRI takes it: without the `CAP_` prefix, which the runtime adds (containerd
 * 1.6 would turn `CAP_SYS_TIME` into the unknown `CAP_CAP_SYS_TIME` and drop it without a word).
 */
function capability(name: string): string {
  return name.replace(/^CAP_/i, '');
}

/** The image's user as the runtime reports it (ImageStatus uid or username). */
export interface ImageUser {
  readonly uid?: string;
  readonly username?: string;
}

/** runAsNonRoot needs the image's user only when the container does not name one itself. */
export function needsImageUser(pod: V1Pod, container: V1Container): boolean {
  const sc = effectiveSecurity(pod, container);
  return sc.runAsNonRoot === true && sc.runAsUser === undefined;
}

/**
 * The kubelet's runAsNonRoot check: a container that would run as root (its runAsUser is 0, or the
 * image's user is root or unknown, or a name that cannot be verified) is not created.
 */
export function verifyRunAsNonRoot(pod: V1Pod, container: V1Container, image: ImageUser | undefined): void {
  const sc = effectiveSecurity(pod, container);
  if (sc.runAsNonRoot !== true) return;
  const who = `(pod: "${pod.metadata?.name}_${pod.metadata?.namespace}(${pod.metadata?.uid})", container: ${container.name})`;
  if (sc.runAsUser !== undefined) {
    if (sc.runAsUser === 0) throw new ContainerConfigError(`container's runAsUser breaks non-root policy ${who}`);
    return;
  }
  // An image that names no user runs as root.
  const uid = image?.uid ?? (image?.username ? undefined : '0');
  if (uid === '0') throw new ContainerConfigError(`container has runAsNonRoot and image will run as root ${who}`);
  if (uid === undefined) {
    throw new ContainerConfigError(
      `container has runAsNonRoot and image has non-numeric user (${image?.username}), cannot verify user is non-root ${who}`,
    );
  }
}
