// The local endpoint's address from the flags and the --config file, as the agent listens on it
// and as `staticlet status` looks for it: flags win over the file, the file over the defaults
// (the kubelet's: 127.0.0.1, port 10248).
import type { ConfigFileSettings } from './config-file.js';
import { parseEndpointAddress, type EndpointAddress } from '../runtime/http/endpoint-address.js';

export const HEALTHZ_DEFAULTS = { bindAddress: '127.0.0.1', port: 10248 } as const;

/** The address; undefined when the port is 0 (turned off); an Error naming the flag at fault. */
export function healthzAddress(
  flags: { readonly bindAddress?: string; readonly port?: string },
  file: Pick<ConfigFileSettings, 'healthzBindAddress' | 'healthzPort'>,
): EndpointAddress | undefined | Error {
  const port = flags.port !== undefined ? Number(flags.port) : (file.healthzPort ?? HEALTHZ_DEFAULTS.port);
  const bindAddress = flags.bindAddress ?? file.healthzBindAddress ?? HEALTHZ_DEFAULTS.bindAddress;
  if (flags.port !== undefined && (flags.port.trim() === '' || !Number.isInteger(port)))
    return new Error(`--healthz-port: "${flags.port}" is not a port number`);
  const address = parseEndpointAddress(bindAddress, port);
  if (address instanceof Error) {
    const which = address.message.startsWith('port') ? 'healthz-port' : 'healthz-bind-address';
    return new Error(`--${which}: ${address.message}`);
  }
  return address;
}
