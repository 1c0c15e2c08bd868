// Where the local endpoint listens: a TCP address and port (the kubelet's --healthz-bind-address
// and --healthz-port), or a unix socket, written `unix:///run/staticlet/healthz.sock` like the
// CRI endpoint. Port 0 turns the endpoint off, whatever the address.
import { isIP } from 'node:net';

export type EndpointAddress =
  | { readonly kind: 'tcp'; readonly host: string; readonly port: number }
  | { readonly kind: 'unix'; readonly path: string };

export const UNIX_PREFIX = 'unix://';

/** The endpoint's address, `undefined` when port 0 turns it off, or an Error saying what is wrong. */
export function parseEndpointAddress(bindAddress: string, port: number): EndpointAddress | undefined | Error {
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    return new Error(`port must be a whole number from 0 to 65535, got ${port}`);
  if (port === 0) return undefined;
  if (bindAddress.startsWith(UNIX_PREFIX)) {
    const path = bindAddress.slice(UNIX_PREFIX.length);
    if (!path.startsWith('/')) return new Error(`"${bindAddress}": a unix socket needs an absolute path (unix:///…)`);
    return { kind: 'unix', path };
  }
  // An IPv6 address may come in brackets, as in a URL.
  const host = bindAddress.replace(/^\[(.*)\]$/, '$1');
  if (isIP(host) === 0) return new Error(`"${bindAddress}" is not an IP address or a unix:/// socket path`);
  return { kind: 'tcp', host, port };
}

/** The address as a person reads it and `curl` takes it. */
export function describeEndpointAddress(address: EndpointAddress): string {
  if (address.kind === 'unix') return `${UNIX_PREFIX}${address.path}`;
  const host = isIP(address.host) === 6 ? `[${address.host}]` : address.host;
  return `http://${host}:${address.port}`;
}
