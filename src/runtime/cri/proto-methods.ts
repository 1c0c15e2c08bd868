// The CRI's gRPC methods, from our own subset of the proto (proto/runtime_v1.proto) loaded at run
// time: each method's path and its message (de)serialisers, which both transports use.
import { join } from 'node:path';
import {
  loadProto,
  protoMethod,
  shippedProtoPath,
  type DecodeOptions,
  type ProtoMethod,
} from '../grpc/proto-method.js';

/** The CRI methods this adapter calls (the gRPC method names). */
export type CriMethod =
  | 'Version'
  | 'RunPodSandbox'
  | 'StopPodSandbox'
  | 'RemovePodSandbox'
  | 'PodSandboxStatus'
  | 'ListPodSandbox'
  | 'CreateContainer'
  | 'StartContainer'
  | 'StopContainer'
  | 'RemoveContainer'
  | 'ListContainers'
  | 'ContainerStatus'
  | 'ExecSync'
  | 'Exec'
  | 'Attach'
  | 'PortForward'
  | 'ListContainerStats'
  | 'ImageStatus'
  | 'PullImage';

const SERVICE_OF: Record<CriMethod | 'GetContainerEvents', 'RuntimeService' | 'ImageService'> = {
  Version: 'RuntimeService',
  RunPodSandbox: 'RuntimeService',
  StopPodSandbox: 'RuntimeService',
  RemovePodSandbox: 'RuntimeService',
  PodSandboxStatus: 'RuntimeService',
  ListPodSandbox: 'RuntimeService',
  CreateContainer: 'RuntimeService',
  StartContainer: 'RuntimeService',
  StopContainer: 'RuntimeService',
  RemoveContainer: 'RuntimeService',
  ListContainers: 'RuntimeService',
  ContainerStatus: 'RuntimeService',
  ExecSync: 'RuntimeService',
  Exec: 'RuntimeService',
  Attach: 'RuntimeService',
  PortForward: 'RuntimeService',
  ListContainerStats: 'RuntimeService',
  GetContainerEvents: 'RuntimeService',
  ImageStatus: 'ImageService',
  PullImage: 'ImageService',
};

const PROTO_RELATIVE = join('src', 'runtime', 'cri', 'proto', 'runtime_v1.proto');

/** The proto shipped with the package. */
export function defaultProtoPath(): string {
  return shippedProtoPath(import.meta.url, PROTO_RELATIVE);
}

/** How the agent reads CRI responses: the options the converters (convert.ts) are written against. */
export const CRI_DECODE_OPTIONS: DecodeOptions = {
  longs: String,
  enums: String,
  // Fields at their default stay out of the decoded object and the converters supply them
  // (convert.ts): a large listing decodes faster without filling defaults it does not read.
  defaults: false,
  oneofs: true,
};

export type Method = ProtoMethod;
export type MethodTable = Record<CriMethod | 'GetContainerEvents', Method>;

const methodCache = new Map<string, MethodTable>();

export function loadMethods(protoPath: string): MethodTable {
  const cached = methodCache.get(protoPath);
  if (cached) return cached;
  const root = loadProto(protoPath);
  const table: Partial<MethodTable> = {};
  for (const [name, service] of Object.entries(SERVICE_OF) as [keyof MethodTable, string][])
    table[name] = protoMethod(root, `runtime.v1.${service}`, name, CRI_DECODE_OPTIONS);
  const full = table as MethodTable;
  methodCache.set(protoPath, full);
  return full;
}
