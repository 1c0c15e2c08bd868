// `staticlet status`: asks the running agent's local endpoint (found from the same
// --healthz-bind-address / --healthz-port / --config as the agent's) for /pods and /readyz, and
// prints them as status-table.ts lays them out. Exit 0 when the agent answered, 1 when none did,
// 2 on a bad flag.
import { parseArgs } from 'node:util';
import { ConfigError, readConfigFile, type ConfigFileSettings } from './config-file.js';
import { parseDuration } from './duration.js';
import { HEALTHZ_DEFAULTS, healthzAddress } from './healthz-address.js';
import { formatStatus, type PodListAnswer } from './status-table.js';
import { describeEndpointAddress } from '../runtime/http/endpoint-address.js';
import { getFromEndpoint } from '../runtime/http/endpoint-client.js';

export const STATUS_USAGE = `Usage: staticlet status [--healthz-bind-address=ADDR] [--healthz-port=N] [--config=FILE] [--timeout=DUR]

Asks the running agent on this node for its static pods and prints them like 'kubectl get pods',
then each manifest problem (file:line:col: field: reason) and what keeps the node from being ready.
Give the agent's own --healthz-bind-address / --healthz-port or --config to find it
(default ${HEALTHZ_DEFAULTS.bindAddress}:${HEALTHZ_DEFAULTS.port}; unix:///PATH for a unix socket).
  --timeout=DUR    how long to wait for the agent (default 5s)
Exit code: 0 when the agent answered, 1 when no agent answers, 2 on a bad flag.`;

const MAX_ANSWER_BYTES = 64 * 1024 * 1024;

export async function runStatusCommand(argv: readonly string[]): Promise<number> {
  const usage = (message: string): number => {
    process.stderr.write(`staticlet status: ${message}\n(see staticlet status --help)\n`);
    return 2;
  };
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      options: {
        'healthz-bind-address': { type: 'string' },
        'healthz-port': { type: 'string' },
        config: { type: 'string' },
        timeout: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    return usage((err as Error).message.split('\n')[0]!);
  }
  if (values.help) {
    process.stdout.write(STATUS_USAGE + '\n');
    return 0;
  }
  const timeoutMs = values.timeout === undefined ? 5_000 : parseDuration(values.timeout as string);
  if (timeoutMs instanceof Error) return usage(`--timeout: ${timeoutMs.message}`);
  let file: ConfigFileSettings = { ignored: [] };
  if (values.config !== undefined) {
    try {
      file = await readConfigFile(values.config as string);
    } catch (err) {
      if (err instanceof ConfigError) return usage(err.message);
      throw err;
    }
  }
  const address = healthzAddress(
    {
      bindAddress: values['healthz-bind-address'] as string | undefined,
      port: values['healthz-port'] as string | undefined,
    },
    file,
  );
  if (address instanceof Error) return usage(address.message);
  if (address === undefined) {
    process.stderr.write('staticlet status: the endpoint is turned off (healthz port 0), so there is nothing to ask\n');
    return 1;
  }

  const where = describeEndpointAddress(address);
  const opts = { timeoutMs, maxBytes: MAX_ANSWER_BYTES };
  let list: PodListAnswer;
  let readyz: string;
  try {
    const [pods, ready] = await Promise.all([
      getFromEndpoint(address, '/pods', opts),
      getFromEndpoint(address, '/readyz?verbose', opts),
    ]);
    if (pods.status !== 200) throw new Error(`/pods answered ${pods.status}: ${pods.body.slice(0, 200)}`);
    list = JSON.parse(pods.body) as PodListAnswer;
    if (!Array.isArray(list.items)) throw new Error('/pods did not answer a PodList');
    readyz = ready.body;
  } catch (err) {
    process.stderr.write(
      `staticlet status: no agent answers at ${where}: ${(err as Error).message}\n` +
        '(is staticlet running on this node, with this --healthz-bind-address / --healthz-port or --config?)\n',
    );
    return 1;
  }
  const notReady = readyz
    .split('\n')
    .filter((l) => l.startsWith('[-]'))
    .map((l) => l.slice(3).replace(' failed: ', ': '));
  process.stdout.write(formatStatus(list, notReady, Date.now()));
  return 0;
}
