// What both unary transports (http2-transport.ts, grpc-js-transport.ts) provide: one call that
// resolves with the decoded answer, or rejects with the port's CriError (the gRPC status by name).
import { CriError } from '../../cri-api/runtime-service.js';
import { GrpcCallError } from '../grpc/status.js';
import type { ProtoRequest } from './convert.js';
import type { CriMethod, Method } from './proto-methods.js';

/** One unary call: resolves with the decoded answer, rejects with a CriError. */
export type UnaryCall = (name: CriMethod, method: Method, request: ProtoRequest, timeoutMs: number) => Promise<unknown>;

export function toCriError(method: string, err: unknown): CriError {
  if (err instanceof CriError) return err;
  if (err instanceof GrpcCallError) return new CriError(method, err.code, err.details);
  return new CriError(method, 'UNKNOWN', err instanceof Error ? err.message : String(err));
}
