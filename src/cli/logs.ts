// `staticlet logs`: its flags and usage, and the options they make.
import { parseArgs } from 'node:util';
import { isDns1123LabelOfAnyLength, isLooseDns1123Name } from '../core/names.js';
import { ConfigError, readConfigFile } from './config-file.js';
import { UsageError, nodeNameFrom } from './flags.js';
import { DEFAULTS } from './options.js';

export const LOGS_USAGE = `Usage: staticlet logs POD [flags]   print a container's logs from the pod log files (no runtime needed)

POD is the manifest's name (web) or the pod's full name (web-<node>), the former first.
  -c, --container=NAME           the container (default: the pod's only one; else, with the manifest
                                 path, kubectl's: the kubectl.kubernetes.io/default-container
                                 annotation's container, else the first)
  -p, --previous                 the container's previous instance (before its last restart)
  -f, --follow                   go on printing new lines, across restarts, until interrupted
      --tail=N                   only the last N lines (default -1: all)
      --timestamps               prefix each line with its time (RFC3339Nano)
  -n, --namespace=NAMESPACE      the pod's namespace (default "default")
      --pod-logs-dir=DIR         root of the pods' log directories (default ${DEFAULTS.podLogsDir})
      --hostname-override=NAME   node name (default: the host name, lower-cased)
      --pod-manifest-path=PATH   the agent's manifest directory: the pod's spec picks the default container
      --config=FILE              take podLogsDir and staticPodPath from a KubeletConfiguration; flags win
  -h, --help`;

const LOGS_FLAGS = {
  container: { type: 'string', short: 'c' },
  previous: { type: 'boolean', short: 'p' },
  follow: { type: 'boolean', short: 'f' },
  tail: { type: 'string' },
  timestamps: { type: 'boolean' },
  namespace: { type: 'string', short: 'n' },
  'pod-logs-dir': { type: 'string' },
  'pod-manifest-path': { type: 'string' },
  'hostname-override': { type: 'string' },
  config: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

export interface LogsOptions {
  /** As given: a manifest name or a full pod name. */
  readonly pod: string;
  readonly namespace: string;
  readonly container?: string;
  readonly previous: boolean;
  readonly follow: boolean;
  /** The last N lines; undefined for all. */
  readonly tail?: number;
  readonly timestamps: boolean;
  readonly podLogsDir: string;
  /** The agent's manifest directory, when known: the pod's spec there picks the default container. */
  readonly podManifestPath?: string;
  readonly nodeName: string;
}

/** The command's arguments, checked: the options, or 'help' for -h. */
export async function parseLogsArgs(argv: readonly string[]): Promise<LogsOptions | 'help'> {
  let values: Partial<Record<keyof typeof LOGS_FLAGS, string | boolean>>;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: [...argv],
      options: LOGS_FLAGS,
      strict: true,
      allowPositionals: true,
    }));
  } catch (err) {
    throw new UsageError((err as Error).message.split('\n')[0]!);
  }
  if (values.help) return 'help';
  const str = (name: keyof typeof LOGS_FLAGS): string | undefined => values[name] as string | undefined;
  if (positionals.length === 0) throw new UsageError('logs: a pod name is required (staticlet logs POD)');
  if (positionals.length > 1) throw new UsageError(`logs: unexpected argument "${positionals[1]}"`);
  // kubectl's TYPE/NAME form, for the one type there is.
  const pod = positionals[0]!.replace(/^pods?\//, '');
  if (!isLooseDns1123Name(pod)) throw new UsageError(`logs: "${positionals[0]}" is not a pod name`);
  const namespace = str('namespace') ?? 'default';
  if (!isDns1123LabelOfAnyLength(namespace)) throw new UsageError(`logs: "${namespace}" is not a namespace`);
  const container = str('container');
  if (container !== undefined && !isDns1123LabelOfAnyLength(container))
    throw new UsageError(`logs: "${container}" is not a container name`);
  let tail: number | undefined;
  const tailText = str('tail');
  if (tailText !== undefined) {
    const n = /^-?\d+$/.test(tailText.trim()) ? Number(tailText) : NaN;
    if (!Number.isSafeInteger(n) || n < -1)
      throw new UsageError(`--tail: "${tailText}" is not a number of lines (-1 for all)`);
    if (n >= 0) tail = n;
  }
  let configLogsDir: string | undefined;
  let configManifestPath: string | undefined;
  const config = str('config');
  if (config !== undefined) {
    try {
      const file = await readConfigFile(config);
      configLogsDir = file.podLogsDir;
      configManifestPath = file.staticPodPath;
    } catch (err) {
      if (err instanceof ConfigError) throw new UsageError(err.message);
      throw err;
    }
  }
  const podManifestPath = str('pod-manifest-path') ?? configManifestPath;
  return {
    pod,
    namespace,
    ...(container !== undefined ? { container } : {}),
    previous: values.previous === true,
    follow: values.follow === true,
    ...(tail !== undefined ? { tail } : {}),
    timestamps: values.timestamps === true,
    podLogsDir: str('pod-logs-dir') ?? configLogsDir ?? DEFAULTS.podLogsDir,
    ...(podManifestPath !== undefined ? { podManifestPath } : {}),
    nodeName: nodeNameFrom(str('hostname-override')),
  };
}
