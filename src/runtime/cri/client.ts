// The CriRuntime adapter: CRI runtime.v1 over gRPC on a unix socket. It composes the proto's
// methods (proto-methods.ts) with our lean HTTP/2 channel (http2-transport.ts), which carries the
// unary calls and the event stream; unary calls go over @grpc/grpc-js instead only when asked
// (grpc-js-transport.ts, loaded then by import()). Here each port method becomes its request and
// its answer's conversion, under a deadline.
import type * as grpc from '@grpc/grpc-js';
import { CriError, type CriRuntime } from '../../cri-api/runtime-service.js';
import { containerStatsFromProto } from './convert-stats.js';
import {
  child,
  containerConfigToProto,
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
import { grpcTarget, socketPathOf } from './endpoint.js';
import { http2Transport } from './http2-transport.js';
import { toCriError, type UnaryCall } from './transport.js';
import { defaultProtoPath, loadMethods, type CriMethod } from './proto-methods.js';

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
  Exec: 30 * SECOND,
  Attach: 30 * SECOND,
  PortForward: 30 * SECOND,
  ListContainerStats: 30 * SECOND,
  ImageStatus: 30 * SECOND,
  PullImage: 2 * MINUTE,
};

export interface CriClientOptions {
  /** Override default per-method deadlines (ms). */
  timeoutsMs?: Partial<Record<CriMethod, number>>;
  /** Path to runtime_v1.proto; defaults to the one shipped in the package. */
  protoPath?: string;
  /** Extra gRPC channel options, merged over ours (the grpc-js channel, `unaryTransport: 'grpc-js'`). */
  channelOptions?: grpc.ChannelOptions;
  /**
   * What carries unary calls: `http2`, our lean channel (the default: about a third of grpc-js's
   * CPU per call, see bench/cri-calls.ts), or `grpc-js` (then loaded by import()). The event
   * stream is always on the lean channel.
   */
  unaryTransport?: UnaryTransport;
}

/** A streaming call's answer: the URL on the runtime's streaming server, never empty. */
function streamingUrl(method: CriMethod, res: unknown): string {
  const url = field(res, 'url');
  if (!url) throw new CriError(method, 'INTERNAL', 'runtime returned an empty streaming URL');
  return url;
}

export type UnaryTransport = 'http2' | 'grpc-js';

const MAX_MESSAGE_BYTES = 16 * 1024 * 1024;

export function createCriRuntime(endpoint: string, options: CriClientOptions = {}): CriRuntime {
  const methods = loadMethods(options.protoPath ?? defaultProtoPath());
  const timeouts: Record<CriMethod, number> = { ...DEFAULT_TIMEOUTS_MS, ...options.timeoutsMs };
  const target = grpcTarget(endpoint);
  const lean = http2Transport(socketPathOf(target), MAX_MESSAGE_BYTES);
  // grpc-js only when chosen, and then by import(): on the default path it is never loaded.
  const grpcJs =
    options.unaryTransport === 'grpc-js'
      ? import('./grpc-js-transport.js').then(({ grpcJsTransport }) =>
          grpcJsTransport(target, { maxMessageBytes: MAX_MESSAGE_BYTES, channelOptions: options.channelOptions }),
        )
      : undefined;
  void grpcJs?.catch(() => undefined); // a failed import fails each call instead
  const call: UnaryCall = grpcJs
    ? (name, m, request, timeoutMs) =>
        grpcJs.then(
          (t) => t.call(name, m, request, timeoutMs),
          (err: unknown) => Promise.reject(toCriError(name, err)),
        )
    : lean.call;
  let closed = false;

  function unary(name: CriMethod, request: ProtoRequest, timeoutMs: number = timeouts[name]): Promise<unknown> {
    if (closed) return Promise.reject(new CriError(name, 'CANCELLED', 'CRI client is closed'));
    return call(name, methods[name], request, timeoutMs);
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

    async exec(request) {
      const res = await unary('Exec', {
        containerId: request.containerId,
        cmd: [...request.cmd],
        tty: request.tty,
        stdin: request.stdin,
        stdout: request.stdout,
        stderr: request.stderr,
      });
      return streamingUrl('Exec', res);
    },

    async attach(request) {
      const res = await unary('Attach', {
        containerId: request.containerId,
        tty: request.tty,
        stdin: request.stdin,
        stdout: request.stdout,
        stderr: request.stderr,
      });
      return streamingUrl('Attach', res);
    },

    async portForward(podSandboxId, ports) {
      const res = await unary('PortForward', { podSandboxId, port: [...ports] });
      return streamingUrl('PortForward', res);
    },

    async listContainerStats(filter) {
      const res = await unary('ListContainerStats', {
        filter: filter ? { labelSelector: labelSelectorToProto(filter.labelSelector) } : undefined,
      });
      return listOf(res, 'stats').map(containerStatsFromProto);
    },

    containerEvents(types) {
      return lean.containerEvents(methods.GetContainerEvents, () => closed, types);
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
      lean.close();
      void grpcJs?.then(
        (t) => t.close(),
        () => undefined,
      );
    },
  };
  return runtime;
}
