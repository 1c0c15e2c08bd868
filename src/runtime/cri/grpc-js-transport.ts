// The @grpc/grpc-js channel: it carries the container event stream (a server stream, which our
// lean channel does not do), and unary calls too when asked (`unaryTransport: 'grpc-js'`).
import * as grpc from '@grpc/grpc-js';
import { CriError, type ContainerEventStream } from '../../cri-api/runtime-service.js';
import { containerEventFromProto } from './convert.js';
import type { Method } from './proto-methods.js';
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
  /** GetContainerEvents as a stream handle; `isClosed` is asked at each subscription. */
  containerEvents(method: Method, isClosed: () => boolean): ContainerEventStream;
  /** Cancels the open streams and closes the channel. */
  close(): void;
}

export function grpcJsTransport(
  target: string,
  options: { maxMessageBytes: number; channelOptions?: grpc.ChannelOptions },
): GrpcJsTransport {
  const client = new grpc.Client(target, grpc.credentials.createInsecure(), {
    ...channelDefaults(options.maxMessageBytes),
    ...options.channelOptions,
  });
  const streams = new Set<grpc.ClientReadableStream<object>>();

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
              if (err) reject(toCriError(name, err));
              else resolvePromise(value);
            },
          );
        } catch (err) {
          reject(toCriError(name, err));
        }
      });
    },

    containerEvents(m, isClosed) {
      return {
        subscribe(handlers) {
          let done = false;
          const finish = (fn: () => void): void => {
            if (done) return;
            done = true;
            fn();
          };
          if (isClosed()) {
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

    close() {
      for (const call of streams) call.cancel();
      streams.clear();
      client.close();
    },
  };
}
