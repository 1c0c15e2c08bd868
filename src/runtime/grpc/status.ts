// gRPC status codes by name, ours: the 17 codes of the gRPC spec (doc/statuscodes.md), named as
// the other implementations name them (grpc-js's `status` enum, Go's codes.Code strings in upper
// snake case), so an error's name reads the same whichever transport carried the call. Kept here
// so that nothing on the default path loads @grpc/grpc-js for a table.

/** The names in code order: a name's index is its code. */
const NAMES = [
  'OK',
  'CANCELLED',
  'UNKNOWN',
  'INVALID_ARGUMENT',
  'DEADLINE_EXCEEDED',
  'NOT_FOUND',
  'ALREADY_EXISTS',
  'PERMISSION_DENIED',
  'RESOURCE_EXHAUSTED',
  'FAILED_PRECONDITION',
  'ABORTED',
  'OUT_OF_RANGE',
  'UNIMPLEMENTED',
  'INTERNAL',
  'UNAVAILABLE',
  'DATA_LOSS',
  'UNAUTHENTICATED',
] as const;

/** A gRPC status by name. */
export type GrpcStatusName = (typeof NAMES)[number];

/** Each name's code. */
export const GRPC_STATUS: Readonly<Record<GrpcStatusName, number>> = Object.freeze(
  Object.fromEntries(NAMES.map((name, code) => [name, code])) as Record<GrpcStatusName, number>,
);

/** A code's name; a code outside the spec is UNKNOWN, as the spec says a client should take it. */
export function grpcStatusName(code: number): GrpcStatusName {
  return (Number.isInteger(code) ? NAMES[code] : undefined) ?? 'UNKNOWN';
}

/** A call that ended with a status other than OK (from the server, the connection or the deadline). */
export class GrpcCallError extends Error {
  constructor(
    readonly code: GrpcStatusName,
    readonly details: string,
  ) {
    super(`${code}: ${details}`);
    this.name = 'GrpcCallError';
  }
}

/** Decodes one received message; a message that does not decode fails the call as INTERNAL. */
export function decodeReceived<T>(decode: (message: Buffer) => T, message: Buffer, what: string): T {
  try {
    return decode(message);
  } catch (err) {
    throw new GrpcCallError('INTERNAL', `cannot decode ${what}: ${err instanceof Error ? err.message : String(err)}`);
  }
}
