// Unary CRI calls over our lean HTTP/2 channel (../grpc/unary-channel.ts): the default carrier of
// unary calls, about a third of grpc-js's CPU per call (see bench/cri-calls.ts).
import { CriError } from '../../cri-api/runtime-service.js';
import { createUnaryChannel } from '../grpc/unary-channel.js';
import { toCriError, type UnaryCall } from './transport.js';

export function http2Transport(socketPath: string, maxReceiveBytes: number): { call: UnaryCall; close(): void } {
  const channel = createUnaryChannel(socketPath, { maxReceiveBytes });
  return {
    call(name, m, request, timeoutMs) {
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
      return channel
        .call(m.path, body, timeoutMs)
        .then((res) => m.responseDeserialize(res))
        .catch((err: unknown) => Promise.reject(toCriError(name, err)));
    },
    close: () => channel.close(),
  };
}
