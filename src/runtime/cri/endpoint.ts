// The runtime's endpoint flag (`unix:///run/containerd/containerd.sock`, a bare path) as a gRPC
// target, and back to the socket's path for our own HTTP/2 channel.
import { resolve } from 'node:path';

/** `unix:///run/containerd/containerd.sock`, `unix:relative.sock` or a bare path → gRPC target. */
export function grpcTarget(endpoint: string): string {
  const e = endpoint.trim();
  if (e === '') throw new Error('CRI endpoint is empty');
  if (e.startsWith('unix://')) {
    const path = e.slice('unix://'.length);
    if (!path.startsWith('/')) throw new Error(`CRI endpoint ${endpoint}: unix:// needs an absolute path`);
    return `unix://${path}`;
  }
  if (e.startsWith('unix:')) return `unix:${e.slice('unix:'.length)}`;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(e)) {
    throw new Error(`CRI endpoint ${endpoint}: only unix sockets are supported`);
  }
  return `unix://${resolve(e)}`;
}

/** The socket's path in a gRPC target from grpcTarget. */
export function socketPathOf(target: string): string {
  return target.startsWith('unix://') ? target.slice('unix://'.length) : resolve(target.slice('unix:'.length));
}
