// Conversions between the plain objects protobufjs decodes (field names in camelCase; longs String,
// enums String, defaults false, oneofs true: CRI_DECODE_OPTIONS) and staticlet's CRI types. One
// mapping in both directions, for every message the agent sends or reads: one file past 350 lines.
//
// Responses are read defensively from `unknown`: a field that is missing or of an unexpected type
// becomes the proto3 default, so nothing untyped leaks past this file. The decoder leaves fields
// at their default out (filling them in is a good part of decoding a listing), so a missing enum
// is its zero value: a ready sandbox, a created container. Requests are built
// explicitly, field by field, so a property that our proto does not declare is never sent by
// accident (protobufjs would silently drop it anyway).
import type {
  Container,
  ContainerConfig,
  ContainerEvent,
  ContainerState,
  ContainerStatus,
  ExecSyncResult,
  ImageStatus,
  NamespaceOptions,
  PodSandbox,
  PodSandboxConfig,
  PodSandboxMetadata,
  PodSandboxStatus,
  SandboxState,
  VersionInfo,
  ContainerMetadata,
  SecurityProfile,
} from '../../cri-api/messages.js';

/** A request object as protobufjs `fromObject` accepts it (camelCase keys). */
export type ProtoRequest = Record<string, unknown>;

type Obj = Record<string, unknown>;

// ---------------------------------------------------------------------------------------------
// Readers over unknown values

export function asObj(v: unknown): Obj | undefined {
  if (v === null || typeof v !== 'object' || Array.isArray(v) || v instanceof Uint8Array) return undefined;
  return v as Obj;
}

export function str(o: Obj | undefined, key: string): string {
  const v = o?.[key];
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'bigint') return String(v);
  return '';
}

/** int32/uint32 (a JS number) or, defensively, a decimal string. */
function int(o: Obj | undefined, key: string): number {
  const v = o?.[key];
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && v !== '') {
    const n = Number(v);
    return Number.isFinite(n) ? n : 0;
  }
  return 0;
}

/** int64/uint64 as a decimal string ('0' when unset). */
export function int64(o: Obj | undefined, key: string): string {
  const v = o?.[key];
  if (typeof v === 'string' && v !== '') return v;
  if (typeof v === 'number' && Number.isFinite(v)) return String(Math.trunc(v));
  if (typeof v === 'bigint') return v.toString();
  // A Long-like object, should `longs: String` ever be lost.
  const long = asObj(v);
  if (long && typeof long['toString'] === 'function' && 'low' in long && 'high' in long) return String(long);
  return '0';
}

function objList(o: Obj | undefined, key: string): Obj[] {
  const v = o?.[key];
  if (!Array.isArray(v)) return [];
  const out: Obj[] = [];
  for (const item of v) {
    const x = asObj(item);
    if (x) out.push(x);
  }
  return out;
}

export function strMap(o: Obj | undefined, key: string): Record<string, string> {
  const v = asObj(o?.[key]);
  const out: Record<string, string> = {};
  if (!v) return out;
  for (const [k, val] of Object.entries(v)) {
    if (typeof val === 'string') out[k] = val;
  }
  return out;
}

/** `allowed` lists the enum's names from its zero value on: a field left out is the zero value;
 * a value we do not know (a newer runtime's, which the decoder gives as a number) is undefined. */
function enumOf<T extends string>(o: Obj | undefined, key: string, allowed: readonly T[]): T | undefined {
  const v = o?.[key];
  if (v === undefined || v === null) return allowed[0];
  return typeof v === 'string' && (allowed as readonly string[]).includes(v) ? (v as T) : undefined;
}

function bytes(o: Obj | undefined, key: string): Buffer {
  const v = o?.[key];
  if (Buffer.isBuffer(v)) return v;
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  if (typeof v === 'string') return Buffer.from(v, 'base64');
  if (Array.isArray(v)) return Buffer.from(v.filter((x): x is number => typeof x === 'number'));
  return Buffer.alloc(0);
}

// ---------------------------------------------------------------------------------------------
// Enums, each in the proto's order: the zero value first (see enumOf)

const SANDBOX_STATES = ['SANDBOX_READY', 'SANDBOX_NOTREADY'] as const satisfies readonly SandboxState[];
const CONTAINER_STATES = [
  'CONTAINER_CREATED',
  'CONTAINER_RUNNING',
  'CONTAINER_EXITED',
  'CONTAINER_UNKNOWN',
] as const satisfies readonly ContainerState[];
const EVENT_TYPES = [
  'CONTAINER_CREATED_EVENT',
  'CONTAINER_STARTED_EVENT',
  'CONTAINER_STOPPED_EVENT',
  'CONTAINER_DELETED_EVENT',
] as const satisfies readonly ContainerEvent['eventType'][];

function sandboxState(o: Obj | undefined, key: string): SandboxState {
  // A state we do not know (a newer runtime) is treated as not ready.
  return enumOf(o, key, SANDBOX_STATES) ?? 'SANDBOX_NOTREADY';
}

function containerState(o: Obj | undefined, key: string): ContainerState {
  return enumOf(o, key, CONTAINER_STATES) ?? 'CONTAINER_UNKNOWN';
}

// ---------------------------------------------------------------------------------------------
// Responses → our types

export function versionFromProto(v: unknown): VersionInfo {
  const o = asObj(v);
  return {
    version: str(o, 'version'),
    runtimeName: str(o, 'runtimeName'),
    runtimeVersion: str(o, 'runtimeVersion'),
    runtimeApiVersion: str(o, 'runtimeApiVersion'),
  };
}

function sandboxMetadata(v: unknown): PodSandboxMetadata {
  const o = asObj(v);
  return { name: str(o, 'name'), uid: str(o, 'uid'), namespace: str(o, 'namespace'), attempt: int(o, 'attempt') };
}

export function containerMetadata(v: unknown): ContainerMetadata {
  const o = asObj(v);
  return { name: str(o, 'name'), attempt: int(o, 'attempt') };
}

export function podSandboxFromProto(v: unknown): PodSandbox {
  const o = asObj(v);
  return {
    id: str(o, 'id'),
    metadata: sandboxMetadata(o?.['metadata']),
    state: sandboxState(o, 'state'),
    createdAt: int64(o, 'createdAt'),
    labels: strMap(o, 'labels'),
    annotations: strMap(o, 'annotations'),
  };
}

export function podSandboxStatusFromProto(v: unknown): PodSandboxStatus {
  const o = asObj(v);
  const net = asObj(o?.['network']);
  return {
    id: str(o, 'id'),
    metadata: sandboxMetadata(o?.['metadata']),
    state: sandboxState(o, 'state'),
    createdAt: int64(o, 'createdAt'),
    ...(net
      ? { network: { ip: str(net, 'ip'), additionalIps: objList(net, 'additionalIps').map((p) => str(p, 'ip')) } }
      : {}),
    labels: strMap(o, 'labels'),
    annotations: strMap(o, 'annotations'),
  };
}

export function containerFromProto(v: unknown): Container {
  const o = asObj(v);
  return {
    id: str(o, 'id'),
    podSandboxId: str(o, 'podSandboxId'),
    metadata: containerMetadata(o?.['metadata']),
    image: str(asObj(o?.['image']), 'image'),
    imageRef: str(o, 'imageRef'),
    state: containerState(o, 'state'),
    createdAt: int64(o, 'createdAt'),
    labels: strMap(o, 'labels'),
    annotations: strMap(o, 'annotations'),
  };
}

export function containerStatusFromProto(v: unknown): ContainerStatus {
  const o = asObj(v);
  return {
    id: str(o, 'id'),
    metadata: containerMetadata(o?.['metadata']),
    state: containerState(o, 'state'),
    createdAt: int64(o, 'createdAt'),
    startedAt: int64(o, 'startedAt'),
    finishedAt: int64(o, 'finishedAt'),
    exitCode: int(o, 'exitCode'),
    image: str(asObj(o?.['image']), 'image'),
    imageRef: str(o, 'imageRef'),
    reason: str(o, 'reason'),
    message: str(o, 'message'),
    labels: strMap(o, 'labels'),
    annotations: strMap(o, 'annotations'),
    logPath: str(o, 'logPath'),
  };
}

export function execSyncFromProto(v: unknown): ExecSyncResult {
  const o = asObj(v);
  return { stdout: bytes(o, 'stdout'), stderr: bytes(o, 'stderr'), exitCode: int(o, 'exitCode') };
}

/** An event of a type we do not know (a newer runtime) gives undefined: the caller drops it. */
export function containerEventFromProto(v: unknown): ContainerEvent | undefined {
  const o = asObj(v);
  const eventType = enumOf(o, 'containerEventType', EVENT_TYPES);
  if (!eventType) return undefined;
  return {
    containerId: str(o, 'containerId'),
    eventType,
    createdAt: int64(o, 'createdAt'),
    podSandboxId: str(asObj(o?.['podSandboxStatus']), 'id'),
    containersStatuses: listOf(o, 'containersStatuses').map(containerStatusFromProto),
  };
}

/** ImageStatusResponse → undefined when the image is not present (the runtime sends no image). */
export function imageStatusFromProto(v: unknown): ImageStatus | undefined {
  const image = asObj(asObj(v)?.['image']);
  const id = str(image, 'id');
  if (!image || id === '') return undefined;
  const uid = asObj(image['uid']);
  const username = str(image, 'username');
  return {
    id,
    size: int64(image, 'size'),
    ...(uid ? { uid: int64(uid, 'value') } : {}),
    ...(username ? { username } : {}),
  };
}

export function field(v: unknown, key: string): string {
  return str(asObj(v), key);
}

export function child(v: unknown, key: string): unknown {
  return asObj(v)?.[key];
}

export function listOf(v: unknown, key: string): unknown[] {
  return objList(asObj(v), key);
}

// ---------------------------------------------------------------------------------------------
// Our types → requests

function namespaceOptionsToProto(ns: NamespaceOptions | undefined): ProtoRequest | undefined {
  if (!ns) return undefined;
  return { network: ns.network ?? 'POD', pid: ns.pid ?? 'POD', ipc: ns.ipc ?? 'POD' };
}

function securityProfileToProto(p: SecurityProfile | undefined): ProtoRequest | undefined {
  if (!p) return undefined;
  return { profileType: p.profileType, localhostRef: p.localhostRef ?? '' };
}

function stripUndefined(o: ProtoRequest): ProtoRequest {
  for (const k of Object.keys(o)) if (o[k] === undefined) delete o[k];
  return o;
}

export function sandboxConfigToProto(c: PodSandboxConfig): ProtoRequest {
  const linux = c.linux;
  const sc = linux?.securityContext;
  return stripUndefined({
    metadata: {
      name: c.metadata.name,
      uid: c.metadata.uid,
      namespace: c.metadata.namespace,
      attempt: c.metadata.attempt,
    },
    hostname: c.hostname,
    logDirectory: c.logDirectory,
    dnsConfig: c.dnsConfig
      ? { servers: [...c.dnsConfig.servers], searches: [...c.dnsConfig.searches], options: [...c.dnsConfig.options] }
      : undefined,
    portMappings: c.portMappings.map((p) => ({
      protocol: p.protocol,
      containerPort: p.containerPort,
      hostPort: p.hostPort,
      hostIp: p.hostIp,
    })),
    labels: { ...c.labels },
    annotations: { ...c.annotations },
    linux: linux
      ? stripUndefined({
          cgroupParent: linux.cgroupParent ?? '',
          securityContext: sc
            ? stripUndefined({
                namespaceOptions: namespaceOptionsToProto(sc.namespaceOptions),
                runAsUser: sc.runAsUser ? { value: sc.runAsUser.value } : undefined,
                runAsGroup: sc.runAsGroup ? { value: sc.runAsGroup.value } : undefined,
                supplementalGroups: [...(sc.supplementalGroups ?? [])],
                privileged: sc.privileged ?? false,
                seccomp: securityProfileToProto(sc.seccomp),
              })
            : undefined,
          sysctls: { ...(linux.sysctls ?? {}) },
        })
      : undefined,
  });
}

export function containerConfigToProto(c: ContainerConfig): ProtoRequest {
  const res = c.linux?.resources;
  const sc = c.linux?.securityContext;
  return stripUndefined({
    metadata: { name: c.metadata.name, attempt: c.metadata.attempt },
    image: {
      image: c.image.image,
      ...(c.image.userSpecifiedImage ? { userSpecifiedImage: c.image.userSpecifiedImage } : {}),
    },
    command: [...c.command],
    args: [...c.args],
    workingDir: c.workingDir,
    envs: c.envs.map((e) => ({ key: e.key, value: e.value })),
    mounts: c.mounts.map((m) => ({
      containerPath: m.containerPath,
      hostPath: m.hostPath,
      readonly: m.readonly,
      selinuxRelabel: m.selinuxRelabel ?? false,
      propagation: m.propagation ?? 'PROPAGATION_PRIVATE',
    })),
    labels: { ...c.labels },
    annotations: { ...c.annotations },
    logPath: c.logPath,
    stdin: c.stdin ?? false,
    tty: c.tty ?? false,
    linux: c.linux
      ? stripUndefined({
          resources: res
            ? stripUndefined({
                cpuPeriod: res.cpuPeriod,
                cpuQuota: res.cpuQuota,
                cpuShares: res.cpuShares,
                memoryLimitInBytes: res.memoryLimitInBytes,
                oomScoreAdj: res.oomScoreAdj,
              })
            : undefined,
          securityContext: sc
            ? stripUndefined({
                capabilities: sc.capabilities
                  ? {
                      addCapabilities: [...sc.capabilities.addCapabilities],
                      dropCapabilities: [...sc.capabilities.dropCapabilities],
                    }
                  : undefined,
                privileged: sc.privileged ?? false,
                namespaceOptions: namespaceOptionsToProto(sc.namespaceOptions),
                runAsUser: sc.runAsUser ? { value: sc.runAsUser.value } : undefined,
                runAsGroup: sc.runAsGroup ? { value: sc.runAsGroup.value } : undefined,
                readonlyRootfs: sc.readonlyRootfs ?? false,
                supplementalGroups: [...(sc.supplementalGroups ?? [])],
                noNewPrivs: sc.noNewPrivs ?? false,
                maskedPaths: [...(sc.maskedPaths ?? [])],
                readonlyPaths: [...(sc.readonlyPaths ?? [])],
                seccomp: securityProfileToProto(sc.seccomp),
              })
            : undefined,
        })
      : undefined,
  });
}

export function labelSelectorToProto(sel: Record<string, string> | undefined): Record<string, string> {
  return { ...(sel ?? {}) };
}
