// Unary CRI calls over @grpc/grpc-js, only when asked (`unaryTransport: 'grpc-js'`, for comparison
// in bench/cri-calls.ts). Loaded by import() from client.ts only then: grpc-js costs the idle agent
// about 2 MiB of heap, and nothing else needs it (the lean channel carries calls and streams).
import * as grpc from '@grpc/grpc-js';
import { CriError } from '../../cri-api/runtime-service.js';
import { grpcStatusName } from '../grpc/status.js';
import { toCriError, type UnaryCall } from './transport.js';

const MINUTE = 60_000;

function channelDefaults(maxMessageBytes: number): grpc.ChannelOptions {
  return {
    'grpc.max_receive_message_length': maxMessageBytes,
    'grpc.max_send_message_length': maxMessageBytes,
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
}

export interface GrpcJsTransport {
  readonly call: UnaryCall;
  close(): void;
}

function isServiceError(err: unknown): err is grpc.ServiceError {
  return err instanceof Error && typeof (err as Partial<grpc.ServiceError>).code === 'number';
}

/** A grpc-js error as the port's CriError, its code by our table's name. */
function criErrorOf(method: string, err: unknown): CriError {
  if (isServiceError(err)) return new CriError(method, grpcStatusName(err.code), err.details || err.message);
  return toCriError(method, err);
}

export function grpcJsTransport(
  target: string,
  options: { maxMessageBytes: number; channelOptions?: grpc.ChannelOptions },
): GrpcJsTransport {
  const client = new grpc.Client(target, grpc.credentials.createInsecure(), {
    ...channelDefaults(options.maxMessageBytes),
    ...options.channelOptions,
  });

  return {
    call(name, m, request, timeoutMs) {
      return new Promise((resolvePromise, reject) => {
        try {
          client.makeUnaryRequest<object, object>(
            m.path,
            m.requestSerialize,
            m.responseDeserialize,
            request,
            new grpc.Metadata(),
            { deadline: Date.now() + Math.max(1, timeoutMs) },
            (err, value) => {
              if (err) reject(criErrorOf(name, err));
              else resolvePromise(value);
            },
          );
        } catch (err) {
          reject(criErrorOf(name, err));
        }
      });
    },
    close: () => client.close(),
  };
}
