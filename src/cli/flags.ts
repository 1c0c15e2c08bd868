// Command-line flags. Every kubelet flag is accepted (kubelet-flags.ts) and read with the
// kubelet's rules (flag-parser.ts); the ones below are those staticlet implements, its own included.
// A kubelet flag given that is not below is "unused": named once at start. Flags override --config.
import { hostname, networkInterfaces } from 'node:os';
import { isLooseDns1123Name } from '../core/names.js';
import { ConfigError, readConfigFile, type ConfigFileSettings } from './config-file.js';
import { parseDuration } from './duration.js';
import { FlagSyntaxError, readFlags, type FlagValues, type ImplementedFlag } from './flag-values.js';
import { KUBELET_VERSION } from './kubelet-flags.js';
import { NodeRegistrationError, parseNodeLabels, parseTaints } from './node-registration.js';
import { HEALTHZ_DEFAULTS, healthzAddress } from './healthz-address.js';
import { KUBELET_API_DEFAULTS, kubeletApiSettings } from './kubelet-api-settings.js';
import { DEFAULTS, type AgentOptions } from './options.js';
import { logLevelForVerbosity } from './verbosity.js';

export const FLAGS = {
  'pod-manifest-path': { type: 'string' },
  'manifest-url': { type: 'string' },
  'manifest-url-header': { type: 'string', multiple: true },
  config: { type: 'string' },
  'container-runtime-endpoint': { type: 'string' },
  'hostname-override': { type: 'string' },
  'cluster-dns': { type: 'string', multiple: true },
  'cluster-domain': { type: 'string' },
  'file-check-frequency': { type: 'string' },
  'http-check-frequency': { type: 'string' },
  'node-status-update-frequency': { type: 'string' },
  'pod-logs-dir': { type: 'string' },
  'root-dir': { type: 'string' },
  'resolv-conf': { type: 'string' },
  'relist-period': { type: 'string' },
  'max-parallel-pods': { type: 'string' },
  'max-parallel-runtime-calls': { type: 'string' },
  'event-log': { type: 'string' },
  kubeconfig: { type: 'string' },
  'node-ip': { type: 'string' },
  'log-level': { type: 'string' },
  'healthz-bind-address': { type: 'string' },
  'healthz-port': { type: 'string' },
  'node-labels': { type: 'string', multiple: true },
  'register-with-taints': { type: 'string' },
  'register-node': { type: 'boolean' },
  port: { type: 'string' },
  address: { type: 'string' },
  'tls-cert-file': { type: 'string' },
  'tls-private-key-file': { type: 'string' },
  'cert-dir': { type: 'string' },
  'rotate-server-certificates': { type: 'boolean' },
  'client-ca-file': { type: 'string' },
  'authentication-token-webhook': { type: 'boolean' },
  'authentication-token-webhook-cache-ttl': { type: 'string' },
  'anonymous-auth': { type: 'boolean' },
  'authorization-mode': { type: 'string' },
  'authorization-webhook-cache-authorized-ttl': { type: 'string' },
  'authorization-webhook-cache-unauthorized-ttl': { type: 'string' },
  v: { type: 'string' },
  help: { type: 'boolean' },
  // The kubelet's --version takes an optional value (--version=raw), hence a string.
  version: { type: 'string' },
} as const satisfies Record<string, ImplementedFlag>;

type FlagName = keyof typeof FLAGS;

export const USAGE = `Usage: staticlet [flags]            run static pods from a directory and/or a URL
       staticlet replay EVENT-LOG    print the actions the reconciler decides for a recorded event log
       staticlet logs POD [-c CONTAINER] [-p] [-f] [--tail=N] [--timestamps] [-n NAMESPACE] [--pod-logs-dir=DIR]
                                     print a static pod's container logs from its log files (staticlet logs --help)
       staticlet validate [-o json] [--hostname-override=NAME] PATH...
                                     check manifest files or directories as the agent reads them, no
                                     runtime needed; exit 1 on any problem (staticlet validate --help)
       staticlet plan [-o json] [flags]
                                     print what the agent with these flags would do now (start, replace,
                                     remove, repair, keep, refuse) without doing it; exit 0 when nothing
                                     would change, 2 when something would (staticlet plan --help)
       staticlet status [--healthz-bind-address=ADDR] [--healthz-port=N] [--config=FILE]
                                     ask the running agent for its pods and manifest problems (staticlet status --help)

Sources (at least one):
  --pod-manifest-path=DIR|FILE     manifest directory (or one file); .yaml, .yml, .json; dot-files ignored
  --manifest-url=URL               URL of a Pod, PodList or List, fetched periodically
  --manifest-url-header=NAME:VALUE[,NAME:VALUE]   header for the URL (repeatable)
  --config=FILE                    a KubeletConfiguration file (staticPodPath, staticPodURL, ...); flags win

Node and runtime:
  --container-runtime-endpoint=EP  CRI socket (default ${DEFAULTS.containerRuntimeEndpoint})
  --hostname-override=NAME         node name (default: the host name, lower-cased)
  --cluster-dns=IP[,IP]            DNS servers for pods with dnsPolicy ClusterFirst
  --cluster-domain=DOMAIN          cluster domain for the pods' DNS search list
  --file-check-frequency=DUR       directory rescan period (default 20s)
  --http-check-frequency=DUR       URL poll period (default 20s)
  --node-status-update-frequency=DUR  how often the Node's status is computed; patched only on a
                                   change or every nodeStatusReportFrequency (default 10s; 5m)
  --pod-logs-dir=DIR               root of the pods' log directories (default ${DEFAULTS.podLogsDir})
  --root-dir=DIR                   state directory, emptyDir volumes (default ${DEFAULTS.rootDir})
  --resolv-conf=FILE               the node's resolver config for dnsPolicy Default (default /etc/resolv.conf)
  --relist-period=DUR              how often the runtime is relisted without an event stream
                                   (default 1s; with one, a safety net every 60 × this)
  --max-parallel-pods=N            pods worked on at once (default ${DEFAULTS.maxParallelPods})
  --max-parallel-runtime-calls=N   sandbox/container starts, stops and removals in flight at once
                                   (default ${DEFAULTS.maxParallelRuntimeCalls}); pods under way go first

API server (optional):
  --kubeconfig=FILE                credentials of this node (system:node:<node>): register the Node and
                                   show each static pod as a mirror pod
  --node-ip=IP                     the node's address (default: its first non-loopback IPv4)
  --node-labels=KEY=VALUE[,...]    labels the Node is registered with (repeatable; kubernetes.io and k8s.io
                                   keys only where a node may set them, as with the kubelet)
  --register-with-taints=KEY[=VALUE]:EFFECT[,...]   taints the Node is registered with, besides staticlet's
                                   node.staticlet.io/static-pods-only:NoSchedule
  --register-node=false            never create the Node: wait for it to exist (mirror pods wait too)

The node's API for the cluster (HTTPS; served with --kubeconfig or --tls-cert-file; docs/operations.md):
  --port=N                         its port (default ${KUBELET_API_DEFAULTS.port}); 0 turns it off
  --address=IP                     where it listens (default ${KUBELET_API_DEFAULTS.address})
  --tls-cert-file=FILE, --tls-private-key-file=FILE
                                   its certificate; without them one is asked of the cluster (a CSR for
                                   kubernetes.io/kubelet-serving, renewed before expiry), self-signed until then
  --cert-dir=DIR                   where those certificates are kept (default ROOT-DIR/pki)
  --rotate-server-certificates=false   never ask the cluster: self-signed (default true with --kubeconfig)
  --client-ca-file=FILE            CA bundle that client certificates are verified against
  --authentication-token-webhook=BOOL   bearer tokens checked by TokenReview (default: with --kubeconfig)
  --authentication-token-webhook-cache-ttl=DUR   (default 2m)
  --anonymous-auth=BOOL            serve requests without credentials as system:anonymous (default false)
  --authorization-mode=MODE        Webhook (SubjectAccessReview; default with --kubeconfig) or AlwaysAllow
  --authorization-webhook-cache-authorized-ttl=DUR, --authorization-webhook-cache-unauthorized-ttl=DUR
                                   (defaults 5m, 30s)

Observability:
  --healthz-bind-address=ADDR      where /healthz, /readyz and /pods are served: an IP address
                                   (default ${HEALTHZ_DEFAULTS.bindAddress}) or unix:///PATH for a unix socket
  --healthz-port=N                 their TCP port (default ${HEALTHZ_DEFAULTS.port}); 0 turns the endpoint off
  --event-log=FILE                 append every event as a JSON line (replay it with 'staticlet replay')
  --log-level=LEVEL                trace, debug, info, warn, error (default info)
  -v, --v=N                        klog verbosity as a log level: 0-3 info, 4-5 debug, 6+ trace;
                                   --log-level wins
  -h, --help, --version

Every other flag of the kubelet ${KUBELET_VERSION} is accepted, read with the kubelet's rules, and named once at
start as unused (docs/flags.md). Any other flag is an error (exit 2).`;

export class UsageError extends Error {
  override name = 'UsageError';
}

export type ParsedCommand =
  | { kind: 'run'; options: AgentOptions; ignoredConfigFields: string[]; unusedKubeletFlags: string[] }
  | { kind: 'replay'; file: string }
  | { kind: 'logs'; args: string[] }
  | { kind: 'validate'; args: string[] }
  | { kind: 'plan'; args: string[] }
  | { kind: 'status'; args: string[] }
  | { kind: 'help' }
  | { kind: 'version' };

export async function parseCommand(argv: readonly string[]): Promise<ParsedCommand> {
  if (argv[0] === 'logs') return { kind: 'logs', args: argv.slice(1) };
  // Their own arguments; plan's are the agent's flags (parsed again here, see plan-command.ts).
  if (argv[0] === 'validate') return { kind: 'validate', args: argv.slice(1) };
  if (argv[0] === 'plan') return { kind: 'plan', args: argv.slice(1) };
  if (argv[0] === 'status') return { kind: 'status', args: argv.slice(1) };
  if (argv[0] === 'replay') {
    if (argv.length !== 2 || argv[1]!.startsWith('-')) throw new UsageError('usage: staticlet replay EVENT-LOG');
    return { kind: 'replay', file: argv[1]! };
  }
  let read;
  try {
    read = readFlags(argv, FLAGS);
  } catch (err) {
    if (err instanceof FlagSyntaxError) throw new UsageError(err.message);
    throw err;
  }
  const { values, positionals, unusedKubeletFlags } = read;
  if (values.help) return { kind: 'help' };
  if (values.version !== undefined && values.version !== 'false') {
    if (values.version === 'true' || values.version === 'raw') return { kind: 'version' };
    throw new UsageError(`--version=${String(values.version)}: staticlet does not set a reported version`);
  }
  if (positionals.length > 0) {
    const arg = positionals[0]!;
    // `--register-node false` is the usual slip: a boolean flag never takes the next argument.
    const hint = /^(true|false)$/i.test(arg) ? ' (a boolean flag takes its value after "=": --flag=false)' : '';
    throw new UsageError(`unexpected argument "${arg}"${hint}`);
  }

  const flag = (name: FlagName): string | undefined => values[name] as string | undefined;
  const list = (name: FlagName): string[] | undefined => values[name] as string[] | undefined;
  const duration = (name: FlagName): number | undefined => {
    const text = flag(name);
    if (text === undefined) return undefined;
    const ms = parseDuration(text);
    if (ms instanceof Error) throw new UsageError(`--${name}: ${ms.message}`);
    if (ms <= 0) throw new UsageError(`--${name}: must be more than zero`);
    return ms;
  };

  let file: ConfigFileSettings = { ignored: [] };
  const configPath = flag('config');
  if (configPath !== undefined) {
    try {
      file = await readConfigFile(configPath);
    } catch (err) {
      if (err instanceof ConfigError) throw new UsageError(err.message);
      throw err;
    }
  }

  const headerFlags = list('manifest-url-header');
  const manifestUrlHeaders = headerFlags ? parseHeaders(headerFlags) : (file.staticPodURLHeader ?? {});
  const clusterDnsFlags = list('cluster-dns');
  const clusterDNS = clusterDnsFlags
    ? clusterDnsFlags
        .flatMap((s) => s.split(','))
        .map((s) => s.trim())
        .filter(Boolean)
    : (file.clusterDNS ?? []);
  const count = (name: FlagName, fallback: number): number => {
    const text = flag(name);
    const n = text === undefined ? fallback : Number(text);
    if (!Number.isInteger(n) || n < 1) throw new UsageError(`--${name}: must be a whole number of at least 1`);
    return n;
  };
  const maxParallelPods = count('max-parallel-pods', DEFAULTS.maxParallelPods);
  const maxParallelRuntimeCalls = count('max-parallel-runtime-calls', DEFAULTS.maxParallelRuntimeCalls);
  const logLevel = flag('log-level') ?? verbosityLevel(flag('v')) ?? DEFAULTS.logLevel;
  if (!['trace', 'debug', 'info', 'warn', 'error', 'fatal'].includes(logLevel))
    throw new UsageError(`--log-level: unknown level "${logLevel}"`);

  const podManifestPath = flag('pod-manifest-path') ?? file.staticPodPath;
  const manifestUrl = flag('manifest-url') ?? file.staticPodURL;
  if (!podManifestPath && !manifestUrl) {
    throw new UsageError(
      'no static pod source: give --pod-manifest-path or --manifest-url (or staticPodPath / staticPodURL in --config)',
    );
  }
  if (manifestUrl !== undefined) {
    let url: URL;
    try {
      url = new URL(manifestUrl);
    } catch {
      throw new UsageError(`--manifest-url: "${manifestUrl}" is not a URL`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:')
      throw new UsageError(`--manifest-url: only http and https URLs are supported, got ${url.protocol}`);
  }
  const healthz = healthzAddress({ bindAddress: flag('healthz-bind-address'), port: flag('healthz-port') }, file);
  if (healthz instanceof Error) throw new UsageError(healthz.message);
  const nodeName = nodeNameFrom(flag('hostname-override'));
  if (!isLooseDns1123Name(nodeName))
    throw new UsageError(`node name "${nodeName}" is not a valid DNS-1123 name (use --hostname-override)`);

  const rootDir = flag('root-dir') ?? DEFAULTS.rootDir;
  const boolean = (name: FlagName): boolean | undefined => values[name] as boolean | undefined;
  const kubeletApi = kubeletApiSettings(
    {
      port: flag('port'),
      address: flag('address'),
      tlsCertFile: flag('tls-cert-file'),
      tlsPrivateKeyFile: flag('tls-private-key-file'),
      certDir: flag('cert-dir'),
      rotateServerCertificates: boolean('rotate-server-certificates'),
      clientCaFile: flag('client-ca-file'),
      authenticationTokenWebhook: boolean('authentication-token-webhook'),
      authenticationTokenWebhookCacheTtl: flag('authentication-token-webhook-cache-ttl'),
      anonymousAuth: boolean('anonymous-auth'),
      authorizationMode: flag('authorization-mode'),
      authorizationWebhookCacheAuthorizedTtl: flag('authorization-webhook-cache-authorized-ttl'),
      authorizationWebhookCacheUnauthorizedTtl: flag('authorization-webhook-cache-unauthorized-ttl'),
    },
    file,
    { kubeconfig: flag('kubeconfig') !== undefined, rootDir },
  );
  if (kubeletApi instanceof Error) throw new UsageError(kubeletApi.message);

  const options: AgentOptions = {
    ...(podManifestPath ? { podManifestPath } : {}),
    ...(manifestUrl ? { manifestUrl } : {}),
    manifestUrlHeaders,
    containerRuntimeEndpoint:
      flag('container-runtime-endpoint') ?? file.containerRuntimeEndpoint ?? DEFAULTS.containerRuntimeEndpoint,
    nodeName,
    clusterDNS,
    clusterDomain: flag('cluster-domain') ?? file.clusterDomain ?? DEFAULTS.clusterDomain,
    fileCheckFrequencyMs:
      duration('file-check-frequency') ?? file.fileCheckFrequencyMs ?? DEFAULTS.fileCheckFrequencyMs,
    httpCheckFrequencyMs:
      duration('http-check-frequency') ?? file.httpCheckFrequencyMs ?? DEFAULTS.httpCheckFrequencyMs,
    nodeStatusUpdateFrequencyMs:
      duration('node-status-update-frequency') ??
      file.nodeStatusUpdateFrequencyMs ??
      DEFAULTS.nodeStatusUpdateFrequencyMs,
    nodeStatusReportFrequencyMs: file.nodeStatusReportFrequencyMs ?? DEFAULTS.nodeStatusReportFrequencyMs,
    podLogsDir: flag('pod-logs-dir') ?? file.podLogsDir ?? DEFAULTS.podLogsDir,
    rootDir,
    relistPeriodMs: duration('relist-period') ?? DEFAULTS.relistPeriodMs,
    maxParallelPods,
    maxParallelRuntimeCalls,
    ...(flag('event-log') ? { eventLog: flag('event-log')! } : {}),
    logLevel,
    resolvConf: flag('resolv-conf') ?? DEFAULTS.resolvConf,
    ...(flag('kubeconfig') ? { kubeconfig: flag('kubeconfig')! } : {}),
    nodeIP: flag('node-ip') ?? defaultNodeIP(),
    ...nodeRegistration(values, file),
    ...(healthz ? { healthz } : {}),
    ...(kubeletApi ? { kubeletApi } : {}),
  };
  return { kind: 'run', options, ignoredConfigFields: file.ignored, unusedKubeletFlags };
}

function verbosityLevel(v: string | undefined): string | undefined {
  if (v === undefined) return undefined;
  const level = logLevelForVerbosity(v);
  if (level instanceof Error) throw new UsageError(`--v: ${level.message}`);
  return level;
}

function nodeRegistration(
  values: FlagValues<FlagName>,
  file: ConfigFileSettings,
): Pick<AgentOptions, 'nodeLabels' | 'registerWithTaints' | 'registerNode'> {
  try {
    const taints = values['register-with-taints'] as string | undefined;
    return {
      nodeLabels: parseNodeLabels((values['node-labels'] as string[] | undefined) ?? []),
      registerWithTaints: taints !== undefined ? parseTaints(taints) : (file.registerWithTaints ?? []),
      registerNode: (values['register-node'] as boolean | undefined) ?? file.registerNode ?? true,
    };
  } catch (err) {
    if (err instanceof NodeRegistrationError) throw new UsageError(err.message);
    throw err;
  }
}

/** The kubelet's header syntax: `Name:value,Other:value`, the flag repeatable. */
export function parseHeaders(flags: readonly string[]): Record<string, string[]> {
  const headers: Record<string, string[]> = {};
  let n = 0;
  for (const flag of flags) {
    for (const pair of flag.split(',')) {
      if (pair.trim() === '') continue;
      n++;
      const colon = pair.indexOf(':');
      // Never quoted: a header value is often a credential, and a pair without a name may be one.
      if (colon <= 0) throw new UsageError(`--manifest-url-header: entry ${n} is not NAME:VALUE (not shown)`);
      const name = pair.slice(0, colon).trim();
      if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name))
        throw new UsageError(`--manifest-url-header: entry ${n} has no valid header name (not shown)`);
      const value = pair.slice(colon + 1).trim();
      if (/[\0\r\n]/.test(value))
        throw new UsageError(`--manifest-url-header: the value of ${name} holds a line break`);
      (headers[name] ??= []).push(value);
    }
  }
  return headers;
}

/** The first non-loopback IPv4 address, like the kubelet's default; loopback when there is none. */
export function defaultNodeIP(): string {
  for (const addrs of Object.values(networkInterfaces())) {
    for (const a of addrs ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return '127.0.0.1';
}

/** The node name, like the kubelet's: --hostname-override, else the host name, lower-cased. */
export function nodeNameFrom(override: string | undefined): string {
  return (override ?? hostname()).trim().toLowerCase();
}
