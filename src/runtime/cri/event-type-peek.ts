// The type of a GetContainerEvents message, read from its bytes without decoding it. containerd
// 2.x and CRI-O put the pod's sandbox status and every container status in each event, and most
// events (creations, starts) are of no use to the agent: those are dropped before that decode.
import type { ContainerEvent } from '../../cri-api/messages.js';

/** ContainerEventType's numbers on the wire (runtime_v1.proto; checked against the proto in the tests). */
export const EVENT_TYPE_NUMBER = {
  CONTAINER_CREATED_EVENT: 0,
  CONTAINER_STARTED_EVENT: 1,
  CONTAINER_STOPPED_EVENT: 2,
  CONTAINER_DELETED_EVENT: 3,
} as const satisfies Record<ContainerEvent['eventType'], number>;

/** ContainerEventResponse's `container_event_type` field. */
const EVENT_TYPE_FIELD = 2;

const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_LENGTH_DELIMITED = 2;
const WIRE_FIXED32 = 5;

/**
 * The event type's number in a ContainerEventResponse (an absent field is 0, the proto3 default;
 * the last occurrence wins, as in any decoder), or `undefined` where the bytes are not well-formed
 * protobuf: the full decode then says what is wrong.
 */
export function peekContainerEventType(message: Uint8Array): number | undefined {
  let type = 0;
  let pos = 0;
  const varint = (): number | undefined => {
    let value = 0;
    for (let shift = 0; shift < 70; shift += 7) {
      if (pos >= message.length) return undefined;
      const b = message[pos++]!;
      value += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) return value;
    }
    return undefined;
  };
  while (pos < message.length) {
    const tag = varint();
    if (tag === undefined) return undefined;
    const field = Math.floor(tag / 8);
    const wire = tag % 8;
    if (wire === WIRE_VARINT) {
      const value = varint();
      if (value === undefined) return undefined;
      if (field === EVENT_TYPE_FIELD) type = value;
    } else if (wire === WIRE_LENGTH_DELIMITED) {
      const length = varint();
      if (length === undefined || pos + length > message.length) return undefined;
      pos += length;
    } else if (wire === WIRE_FIXED64 || wire === WIRE_FIXED32) {
      pos += wire === WIRE_FIXED64 ? 8 : 4;
      if (pos > message.length) return undefined;
    } else {
      return undefined;
    }
  }
  return type;
}
