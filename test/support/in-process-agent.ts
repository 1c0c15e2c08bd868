// The real agent loop (runAgent) in the test's own process, on the test runtime and a TestNode's
// directories: for tests of what the loop hands a server (its metrics, its view of the pods)
// without the agent binary in between.
import { Subject } from 'rxjs';
import { runAgent, type AgentDeps } from '../../src/agent.js';
import { parseCommand } from '../../src/cli/flags.js';
import { createCriRuntime } from '../../src/runtime/cri/client.js';
import { createLogger } from '../../src/runtime/logger.js';
import { endpoint, type TestNode } from './harness.js';

export interface InProcessAgent {
  /** Stops the loop and resolves once it has wound down and its runtime connection is closed. */
  stop(): Promise<void>;
}

/** Starts the agent on `node` (its own CRI connection, a silent log); `deps` adds the observers. */
export async function startAgentInProcess(
  node: TestNode,
  deps: Pick<AgentDeps, 'watchers' | 'metrics'> = {},
): Promise<InProcessAgent> {
  const command = await parseCommand([
    `--pod-manifest-path=${node.manifests}`,
    `--container-runtime-endpoint=${endpoint()}`,
    `--hostname-override=${node.nodeName}`,
    `--pod-logs-dir=${node.logsDir}`,
    `--root-dir=${node.rootDir}`,
  ]);
  if (command.kind !== 'run') throw new Error(`not a run: ${command.kind}`);
  const cri = createCriRuntime(endpoint());
  const version = await cri.version().catch((err: unknown) => {
    cri.close();
    throw err;
  });
  const stop = new Subject<void>();
  const done = runAgent(
    command.options,
    {
      cri,
      log: await createLogger({ level: 'silent' }),
      runtimeName: version.runtimeName,
      runtimeVersion: version.runtimeVersion,
      agentVersion: 'test',
      ...deps,
    },
    stop,
  ).finally(() => cri.close());
  return {
    stop: async () => {
      stop.next();
      await done;
    },
  };
}
