// containerd's own events service, on the same socket as its CRI: task exits as they happen.
// A plug-in observer for runtimes whose CRI has no container event stream (containerd 1.6).
import { join } from 'node:path';
import { Observable } from 'rxjs';
import { grpcTarget, socketPathOf } from '../cri/endpoint.js';
import { createGrpcChannel } from '../grpc/channel.js';
import { loadProto, protoMethod, shippedProtoPath, type ProtoMethod } from '../grpc/proto-method.js';
import { decodeReceived } from '../grpc/status.js';

export interface TaskEvent {
  /** `/tasks/exit`, `/tasks/oom` or `/containers/delete`. */
  readonly topic: string;
  readonly namespace: string;
  /** The container whose task it is, or which was deleted (for a sandbox, its pause container:
   * the sandbox's id). */
  readonly containerId: string;
  /** For an exit: the process that exited, the container's main process or one of its execs. */
  readonly exit?: { readonly mainProcess: boolean; readonly exitCode: number; readonly exitedAt?: number };
}

interface WireTimestamp {
  seconds?: number;
  nanos?: number;
}

interface WireEnvelope {
  topic?: string;
  namespace?: string;
  event?: {
    typeUrl?: string;
    value?: { containerId?: string; id?: string; exitStatus?: number; exitedAt?: WireTimestamp | null } | null;
  } | null;
}

const PROTO = join('src', 'runtime', 'containerd', 'proto', 'events.proto');

/** The CRI plugin keeps Kubernetes containers in this containerd namespace. */
export const CRI_NAMESPACE = 'k8s.io';

/** Largest event envelope accepted: a task event is a few hundred bytes. */
const MAX_ENVELOPE_BYTES = 1024 * 1024;

/**
 * Subscribes to task exits, OOM kills and container deletions of the CRI namespace, over our lean
 * gRPC channel (its own connection, closed with the subscription). Errors with a GrpcCallError
 * when the stream fails: UNIMPLEMENTED when the socket has no containerd events service (CRI-O,
 * say). Unsubscribing cancels the stream and reports nothing.
 */
export function containerdTaskEvents(endpoint: string): Observable<TaskEvent> {
  return new Observable<TaskEvent>((subscriber) => {
    const subscribe = subscribeMethod();
    const request = subscribe.requestSerialize({
      filters: [
        `namespace==${CRI_NAMESPACE},topic=="/tasks/exit"`,
        `namespace==${CRI_NAMESPACE},topic=="/tasks/oom"`,
        // A removal (of a container, or of a sandbox's pause container) changes the listing too.
        `namespace==${CRI_NAMESPACE},topic=="/containers/delete"`,
      ],
    });
    const channel = createGrpcChannel(socketPathOf(grpcTarget(endpoint)), { maxReceiveBytes: MAX_ENVELOPE_BYTES });
    const stream = channel.stream(subscribe.path, request, {
      next(message) {
        const envelope = decodeReceived(subscribe.responseDeserialize, message, 'an event envelope') as WireEnvelope;
        subscriber.next(taskEventOf(envelope));
      },
      error: (err) => subscriber.error(err),
      complete: () => subscriber.complete(),
    });
    return () => {
      stream.cancel();
      channel.close();
    };
  });
}

let subscribeMethodLoaded: ProtoMethod | undefined;

/** Events.Subscribe, its proto read and parsed once, at the first subscription, not at each reconnection. */
function subscribeMethod(): ProtoMethod {
  subscribeMethodLoaded ??= protoMethod(
    loadProto(shippedProtoPath(import.meta.url, PROTO)),
    'containerd.services.events.v1.Events',
    'Subscribe',
    { longs: Number, defaults: false },
  );
  return subscribeMethodLoaded;
}

/** The wire envelope → a task event; the exit facts only from a TaskExit. */
function taskEventOf(envelope: WireEnvelope): TaskEvent {
  const topic = envelope.topic ?? '';
  const task = envelope.event?.value ?? undefined;
  const containerId = task?.containerId ?? '';
  const event = { topic, namespace: envelope.namespace ?? '', containerId };
  if (topic !== '/tasks/exit' || !envelope.event?.typeUrl?.endsWith('containerd.events.TaskExit') || !task)
    return event;
  const at = task.exitedAt;
  const exitedAt =
    at && (at.seconds || at.nanos) ? (at.seconds ?? 0) * 1000 + Math.floor((at.nanos ?? 0) / 1e6) : undefined;
  return {
    ...event,
    exit: {
      mainProcess: task.id === containerId,
      exitCode: task.exitStatus ?? 0,
      ...(exitedAt !== undefined ? { exitedAt } : {}),
    },
  };
}
