// The CRI's gRPC methods, from our own subset of the proto (proto/runtime_v1.proto) loaded at run
// time by @grpc/proto-loader: each method's path and its message (de)serialisers, which both
// transports use.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as protoLoader from '@grpc/proto-loader';

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

/**
 * The proto ships as source, next to src/ (tsc does not copy it into dist/), so find it from the
 * package root: the first directory above this module that holds a package.json.
 */
export function defaultProtoPath(fromUrl: string = import.meta.url, relative: string = PROTO_RELATIVE): string {
  let dir = dirname(fileURLToPath(fromUrl));
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) {
      const candidate = join(dir, relative);
      if (existsSync(candidate)) return candidate;
      throw new Error(`proto not found at ${candidate} (package root ${dir})`);
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no package.json above ${fileURLToPath(fromUrl)}: cannot locate ${relative}`);
    dir = parent;
  }
}

export const PROTO_LOADER_OPTIONS: protoLoader.Options = {
  keepCase: false,
  longs: String,
  enums: String,
  // Fields at their default stay out of the decoded object and the converters supply them
  // (convert.ts): a large listing decodes faster without filling defaults it does not read.
  defaults: false,
  oneofs: true,
};

export type Method = protoLoader.MethodDefinition<object, object>;
export type MethodTable = Record<CriMethod | 'GetContainerEvents', Method>;

const methodCache = new Map<string, MethodTable>();

export function loadMethods(protoPath: string): MethodTable {
  const cached = methodCache.get(protoPath);
  if (cached) return cached;
  const pkg = protoLoader.loadSync(protoPath, PROTO_LOADER_OPTIONS);
  const table: Partial<MethodTable> = {};
  for (const [name, service] of Object.entries(SERVICE_OF) as [keyof MethodTable, string][]) {
    const def = pkg[`runtime.v1.${service}`];
    if (!def || 'format' in def) throw new Error(`${protoPath}: no service runtime.v1.${service}`);
    const method = (def as protoLoader.ServiceDefinition)[name];
    if (!method) throw new Error(`${protoPath}: no method ${service}.${name}`);
    table[name] = method;
  }
  const full = table as MethodTable;
  methodCache.set(protoPath, full);
  return full;
}
