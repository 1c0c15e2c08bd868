// The CriRuntime adapter: CRI runtime.v1 over gRPC on a unix socket, with the proto loaded at run
// time by @grpc/proto-loader from our own subset, proto/runtime_v1.proto. Unary calls go over our
// lean HTTP/2 channel (../grpc/unary-channel.ts) by default, the event stream over @grpc/grpc-js.
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import {
  child,
  containerConfigToProto,
  containerEventFromProto,
  containerFromProto,
  containerStatusFromProto,
  execSyncFromProto,
  field,
  imageStatusFromProto,
  labelSelectorToProto,
  listOf,
  podSandboxFromProto,
  podSandboxStatusFromProto,
  sandboxConfigToProto,
  versionFromProto,
  type ProtoRequest,
} from './convert.js';
import { CriError, type ContainerEventStream, type CriRuntime } from '../../cri-api/runtime-service.js';
import { createUnaryChannel, GrpcCallError } from '../grpc/unary-channel.js';

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
  GetContainerEvents: 'RuntimeService',
  ImageStatus: 'ImageService',
  PullImage: 'ImageService',
};

const SECOND = 1000;
const MINUTE = 60 * SECOND;

/**
 * Default deadlines per method. StopContainer and ExecSync get their own grace/timeout added on
 * top of their entry here (the runtime may legitimately take that long before answering).
 */
export const DEFAULT_TIMEOUTS_MS: Readonly<Record<CriMethod, number>> = {
  Version: 30 * SECOND,
  RunPodSandbox: 2 * MINUTE,
  StopPodSandbox: 30 * SECOND,
  RemovePodSandbox: 30 * SECOND,
  PodSandboxStatus: 30 * SECOND,
  ListPodSandbox: 30 * SECOND,
  CreateContainer: 30 * SECOND,
  StartContainer: 30 * SECOND,
  StopContainer: 30 * SECOND,
  RemoveContainer: 30 * SECOND,
  ListContainers: 30 * SECOND,
  ContainerStatus: 30 * SECOND,
  ExecSync: 30 * SECOND,
  ImageStatus: 30 * SECOND,
  PullImage: 2 * MINUTE,
};

export interface CriClientOptions {
  /** Override default per-method deadlines (ms). */
  timeoutsMs?: Partial<Record<CriMethod, number>>;
  /** Path to runtime_v1.proto; defaults to the one shipped in the package. */
  protoPath?: string;
  /** Extra gRPC channel options, merged over ours (the grpc-js channel). */
  channelOptions?: grpc.ChannelOptions;
  /**
   * What carries unary calls: `http2`, our lean channel (the default: about a third of grpc-js's
   * CPU per call, see bench/cri-calls.ts), or `grpc-js`. The event stream is always grpc-js.
   */
  unaryTransport?: UnaryTransport;
}

export type UnaryTransport = 'http2' | 'grpc-js';

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
  // (convert.ts): a hundred containers' listing then decodes in 0.7–0.9 ms instead of 1.0.
  defaults: false,
  oneofs: true,
};

type Method = protoLoader.MethodDefinition<object, object>;
type MethodTable = Record<CriMethod | 'GetContainerEvents', Method>;

const methodCache = new Map<string, MethodTable>();

function loadMethods(protoPath: string): MethodTable {
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

/** `unix:///run/containerd/containerd.sock`, `unix:relative.sock` or a bare path → gRPC target. */
export function grpcTarget(endpoint: string): string {
  const e = endpoint.trim();
  if (e === '') throw new Error('CRI endpoint is empty');
  if (e.startsWith('unix://')) {
    const path = e.slice('unix://'.length);
    if (!path.startsWith('/')) throw new Error(`CRI endpoint ${endpoint}: unix:// needs an absolute path`);
    return `unix://${path}`;
  }
  if (e.startsWith('unix:')) return `unix:${e.slice('unix:'.length)}`;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(e)) {
    throw new Error(`CRI endpoint ${endpoint}: only unix sockets are supported`);
  }
  return `unix://${resolve(e)}`;
}

/** The socket's path in a gRPC target from grpcTarget. */
export function socketPathOf(target: string): string {
  return target.startsWith('unix://') ? target.slice('unix://'.length) : resolve(target.slice('unix:'.length));
}

const MAX_MESSAGE_BYTES = 16 * 1024 * 1024;

const DEFAULT_CHANNEL_OPTIONS: grpc.ChannelOptions = {
  'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
  'grpc.max_send_message_length': MAX_MESSAGE_BYTES,
  // The runtime is local: reconnect quickly, but back off to a bounded interval rather than spin.
  'grpc.initial_reconnect_backoff_ms': 200,
  'grpc.max_reconnect_backoff_ms': 5000,
  // No automatic retries of calls: every method has a deadline and the caller decides.
  'grpc.enable_retries': 0,
  'grpc.default_authority': 'localhost',
  // Never route the runtime's socket through an http(s)_proxy from the environment.
  'grpc.enable_http_proxy': 0,
  // An idle channel is fine to keep: the socket is local and cheap.
  'grpc.client_idle_timeout_ms': 30 * MINUTE,
};

function isServiceError(err: unknown): err is grpc.ServiceError {
  return err instanceof Error && typeof (err as Partial<grpc.ServiceError>).code === 'number';
}

export function toCriError(method: string, err: unknown): CriError {
  if (err instanceof CriError) return err;
  if (err instanceof GrpcCallError) return new CriError(method, err.code, err.details);
  if (isServiceError(err)) {
    const name = grpc.status[err.code] ?? `CODE_${err.code}`;
    return new CriError(method, name, err.details || err.message);
  }
  return new CriError(method, 'UNKNOWN', err instanceof Error ? err.message : String(err));
}

export function createCriRuntime(endpoint: string, options: CriClientOptions = {}): CriRuntime {
  const methods = loadMethods(options.protoPath ?? defaultProtoPath());
  const timeouts: Record<CriMethod, number> = { ...DEFAULT_TIMEOUTS_MS, ...options.timeoutsMs };
  const target = grpcTarget(endpoint);
  const client = new grpc.Client(target, grpc.credentials.createInsecure(), {
    ...DEFAULT_CHANNEL_OPTIONS,
    ...options.channelOptions,
  });
  const lean =
    (options.unaryTransport ?? 'http2') === 'http2'
      ? createUnaryChannel(socketPathOf(target), { maxReceiveBytes: MAX_MESSAGE_BYTES })
      : undefined;
  const streams = new Set<grpc.ClientReadableStream<object>>();
  let closed = false;

  function unary(name: CriMethod, request: ProtoRequest, timeoutMs: number = timeouts[name]): Promise<unknown> {
    const m = methods[name];
    if (lean) {
      if (closed) return Promise.reject(new CriError(name, 'CANCELLED', 'CRI client is closed'));
      let body: Buffer;
      try {
        body = m.requestSerialize(request);
      } catch (err) {
        return Promise.reject(
          new CriError(
            name,
            'INTERNAL',
            `cannot encode the request: ${err instanceof Error ? err.message : String(err)}`,
          ),
        );
      }
      return lean
        .call(m.path, body, timeoutMs)
        .then((res) => m.responseDeserialize(res))
        .catch((err: unknown) => Promise.reject(toCriError(name, err)));
    }
    return new Promise((resolvePromise, reject) => {
      if (closed) {
        reject(new CriError(name, 'CANCELLED', 'CRI client is closed'));
        return;
      }
      try {
        client.makeUnaryRequest<object, object>(
          m.path,
          m.requestSerialize,
          m.responseDeserialize,
          request,
          new grpc.Metadata(),
          { deadline: Date.now() + Math.max(1, timeoutMs) },
          (err, value) => {
            if (err) reject(toCriError(name, err));
            else resolvePromise(value);
          },
        );
      } catch (err) {
        reject(toCriError(name, err));
      }
    });
  }

  const runtime: CriRuntime = {
    async version(timeoutMs) {
      return versionFromProto(await unary('Version', { version: '0.1.0' }, timeoutMs));
    },

    async runPodSandbox(config, runtimeHandler) {
      const res = await unary('RunPodSandbox', {
        config: sandboxConfigToProto(config),
        runtimeHandler: runtimeHandler ?? '',
      });
      const id = field(res, 'podSandboxId');
      if (!id) throw new CriError('RunPodSandbox', 'INTERNAL', 'runtime returned an empty pod sandbox id');
      return id;
    },

    async stopPodSandbox(podSandboxId) {
      await unary('StopPodSandbox', { podSandboxId });
    },

    async removePodSandbox(podSandboxId) {
      await unary('RemovePodSandbox', { podSandboxId });
    },

    async podSandboxStatus(podSandboxId) {
      const res = await unary('PodSandboxStatus', { podSandboxId, verbose: false });
      const status = child(res, 'status');
      if (!status) throw new CriError('PodSandboxStatus', 'INTERNAL', `runtime returned no status for ${podSandboxId}`);
      return podSandboxStatusFromProto(status);
    },

    async listPodSandbox(filter) {
      const res = await unary('ListPodSandbox', {
        filter: filter ? { labelSelector: labelSelectorToProto(filter.labelSelector) } : undefined,
      });
      return listOf(res, 'items').map(podSandboxFromProto);
    },

    async createContainer(podSandboxId, config, sandboxConfig) {
      const res = await unary('CreateContainer', {
        podSandboxId,
        config: containerConfigToProto(config),
        sandboxConfig: sandboxConfigToProto(sandboxConfig),
      });
      const id = field(res, 'containerId');
      if (!id) throw new CriError('CreateContainer', 'INTERNAL', 'runtime returned an empty container id');
      return id;
    },

    async startContainer(containerId) {
      await unary('StartContainer', { containerId });
    },

    async stopContainer(containerId, timeoutSeconds) {
      const grace = Math.max(0, Math.trunc(timeoutSeconds));
      await unary('StopContainer', { containerId, timeout: String(grace) }, timeouts.StopContainer + grace * SECOND);
    },

    async removeContainer(containerId) {
      await unary('RemoveContainer', { containerId });
    },

    async listContainers(filter) {
      const res = await unary('ListContainers', {
        filter: filter
          ? {
              podSandboxId: filter.podSandboxId ?? '',
              labelSelector: labelSelectorToProto(filter.labelSelector),
            }
          : undefined,
      });
      return listOf(res, 'containers').map(containerFromProto);
    },

    async containerStatus(containerId) {
      const res = await unary('ContainerStatus', { containerId, verbose: false });
      const status = child(res, 'status');
      if (!status) throw new CriError('ContainerStatus', 'INTERNAL', `runtime returned no status for ${containerId}`);
      return containerStatusFromProto(status);
    },

    async execSync(containerId, cmd, timeoutSeconds) {
      const t = Math.max(0, Math.trunc(timeoutSeconds));
      const res = await unary(
        'ExecSync',
        { containerId, cmd: [...cmd], timeout: String(t) },
        timeouts.ExecSync + t * SECOND,
      );
      return execSyncFromProto(res);
    },

    containerEvents(): ContainerEventStream {
      return {
        subscribe(handlers) {
          const m = methods.GetContainerEvents;
          let done = false;
          const finish = (fn: () => void): void => {
            if (done) return;
            done = true;
            fn();
          };
          if (closed) {
            queueMicrotask(() =>
              finish(() => handlers.error(new CriError('GetContainerEvents', 'CANCELLED', 'CRI client is closed'))),
            );
            return { unsubscribe: () => finish(() => undefined) };
          }
          let call: grpc.ClientReadableStream<object>;
          try {
            call = client.makeServerStreamRequest<object, object>(
              m.path,
              m.requestSerialize,
              m.responseDeserialize,
              {},
              new grpc.Metadata(),
              {},
            );
          } catch (err) {
            queueMicrotask(() => finish(() => handlers.error(toCriError('GetContainerEvents', err))));
            return { unsubscribe: () => finish(() => undefined) };
          }
          streams.add(call);
          call.on('data', (msg: unknown) => {
            if (done) return;
            const event = containerEventFromProto(msg);
            if (event) handlers.next(event);
          });
          call.on('error', (err: unknown) => {
            streams.delete(call);
            finish(() => handlers.error(toCriError('GetContainerEvents', err)));
          });
          call.on('end', () => {
            streams.delete(call);
            // grpc-js emits 'error' (non-OK status) in the same tick it ends the stream; 'end'
            // follows on a later tick. Wait one more turn so an error is never reported as
            // completion.
            setImmediate(() => finish(() => handlers.complete()));
          });
          return {
            unsubscribe: () => {
              finish(() => undefined);
              streams.delete(call);
              call.cancel();
            },
          };
        },
      };
    },

    async imageStatus(image) {
      const res = await unary('ImageStatus', { image: { image }, verbose: false });
      return imageStatusFromProto(res);
    },

    async pullImage(image, sandboxConfig) {
      const res = await unary('PullImage', {
        image: { image },
        sandboxConfig: sandboxConfig ? sandboxConfigToProto(sandboxConfig) : undefined,
      });
      return field(res, 'imageRef');
    },

    close() {
      if (closed) return;
      closed = true;
      for (const call of streams) call.cancel();
      streams.clear();
      lean?.close();
      client.close();
    },
  };
  return runtime;
}
