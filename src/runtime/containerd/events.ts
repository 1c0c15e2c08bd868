// containerd's own events service, on the same socket as its CRI: task exits as they happen.
// A plug-in observer for runtimes whose CRI has no container event stream (containerd 1.6).
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { join } from 'node:path';
import { Observable } from 'rxjs';
import { defaultProtoPath, grpcTarget } from '../cri/client.js';

export interface TaskEvent {
  /** e.g. `/tasks/exit`, `/tasks/start`, `/tasks/oom`. */
  readonly topic: string;
  readonly namespace: string;
}

const PROTO = join('src', 'runtime', 'containerd', 'proto', 'events.proto');

/** The CRI plugin keeps Kubernetes containers in this containerd namespace. */
export const CRI_NAMESPACE = 'k8s.io';

/**
 * Subscribes to task exits (and OOM kills) of the CRI namespace. Errors with the gRPC error when
 * the socket has no containerd events service (CRI-O, say).
 */
export function containerdTaskEvents(endpoint: string): Observable<TaskEvent> {
  return new Observable<TaskEvent>((subscriber) => {
    const pkg = protoLoader.loadSync(defaultProtoPath(import.meta.url, PROTO), { keepCase: false, defaults: true });
    const service = pkg['containerd.services.events.v1.Events'] as protoLoader.ServiceDefinition | undefined;
    const subscribe = service?.['Subscribe'];
    if (!subscribe) {
      subscriber.error(new Error('events.proto: no Events.Subscribe'));
      return;
    }
    const client = new grpc.Client(grpcTarget(endpoint), grpc.credentials.createInsecure(), { 'grpc.enable_retries': 0 });
    const call = client.makeServerStreamRequest(
      subscribe.path,
      subscribe.requestSerialize,
      subscribe.responseDeserialize,
      { filters: [`namespace==${CRI_NAMESPACE},topic=="/tasks/exit"`, `namespace==${CRI_NAMESPACE},topic=="/tasks/oom"`] },
    );
    call.on('data', (envelope: { topic?: string; namespace?: string }) => {
      subscriber.next({ topic: envelope.topic ?? '', namespace: envelope.namespace ?? '' });
    });
    call.on('error', (err: grpc.ServiceError) => {
      if (err.code !== grpc.status.CANCELLED) subscriber.error(err);
    });
    call.on('end', () => subscriber.complete());
    return () => {
      call.cancel();
      client.close();
    };
  });
}
