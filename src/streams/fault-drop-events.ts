// Fault injection, for the tests of the relist's safety net: with STATICLET_FAULT_INJECTION
// including `drop-runtime-events`, every runtime event is dropped while the stream still reads
// as up (the worst failure of an event stream: silent loss). Only the safety-net relist then sees
// the runtime's changes, and counts them. Without the variable this is the identity.
import { filter, type MonoTypeOperatorFunction } from 'rxjs';
import { FAULT_INJECTION_ENV } from './fault-hold.js';
import type { RuntimeSignal } from './runtime-events.js';

export function dropEventsOnFault(
  env: Readonly<Record<string, string | undefined>>,
): MonoTypeOperatorFunction<RuntimeSignal> {
  if (!(env[FAULT_INJECTION_ENV] ?? '').split(',').includes('drop-runtime-events')) return (source) => source;
  return filter((signal) => signal.stream !== undefined);
}
