// CRI calls over our lean HTTP/2 channel (../grpc/channel.ts): the default carrier of unary calls,
// about a third of grpc-js's CPU per call (see bench/cri-calls.ts), and the only carrier of the
// container event stream.
import type { ContainerEvent } from '../../cri-api/messages.js';
import { CriError, type ContainerEventStream } from '../../cri-api/runtime-service.js';
import { createGrpcChannel } from '../grpc/channel.js';
import { decodeReceived } from '../grpc/status.js';
import { containerEventFromProto } from './convert.js';
import { EVENT_TYPE_NUMBER, peekContainerEventType } from './event-type-peek.js';
import type { Method } from './proto-methods.js';
import { toCriError, type UnaryCall } from './transport.js';

export interface Http2Transport {
  readonly call: UnaryCall;
  /** GetContainerEvents as a stream handle; `isClosed` is asked at each subscription; `types`, if
   * given, the event types to decode and pass on. */
  containerEvents(
    method: Method,
    isClosed: () => boolean,
    types?: ReadonlySet<ContainerEvent['eventType']>,
  ): ContainerEventStream;
  /** Fails the calls in flight and ends the open streams (CANCELLED), and closes the connection. */
  close(): void;
}

function encodeError(name: string, err: unknown): CriError {
  return new CriError(
    name,
    'INTERNAL',
    `cannot encode the request: ${err instanceof Error ? err.message : String(err)}`,
  );
}

export function http2Transport(socketPath: string, maxReceiveBytes: number): Http2Transport {
  const channel = createGrpcChannel(socketPath, { maxReceiveBytes });
  return {
    call(name, m, request, timeoutMs) {
      let body: Buffer;
      try {
        body = m.requestSerialize(request);
      } catch (err) {
        return Promise.reject(encodeError(name, err));
      }
      return channel
        .call(m.path, body, timeoutMs)
        .then((res) => m.responseDeserialize(res))
        .catch((err: unknown) => Promise.reject(toCriError(name, err)));
    },

    containerEvents(m, isClosed, types) {
      const NAME = 'GetContainerEvents';
      const wanted = types && new Set<number>([...types].map((t) => EVENT_TYPE_NUMBER[t]));
      return {
        subscribe(handlers) {
          let done = false;
          const settle = (fn: () => void): void => {
            if (done) return;
            done = true;
            fn();
          };
          const failLater = (err: CriError) => {
            queueMicrotask(() => settle(() => handlers.error(err)));
            return { unsubscribe: () => settle(() => undefined) };
          };
          if (isClosed()) return failLater(new CriError(NAME, 'CANCELLED', 'CRI client is closed'));
          let body: Buffer;
          try {
            body = m.requestSerialize({});
          } catch (err) {
            return failLater(encodeError(NAME, err));
          }
          const { cancel } = channel.stream(m.path, body, {
            next(message) {
              if (wanted) {
                // Not wanted: dropped undecoded (see event-type-peek.ts).
                const type = peekContainerEventType(message);
                if (type !== undefined && !wanted.has(type)) return;
              }
              const event = containerEventFromProto(decodeReceived(m.responseDeserialize, message, 'an event'));
              if (event && !done) handlers.next(event);
            },
            error: (err) => settle(() => handlers.error(toCriError(NAME, err))),
            complete: () => settle(() => handlers.complete()),
          });
          return {
            unsubscribe: () => {
              settle(() => undefined);
              cancel();
            },
          };
        },
      };
    },

    close: () => channel.close(),
  };
}
