// Which modules the agent loads, started as bench/idle-memory.ts starts it on a private runtime with
// a few pods: prints whether any file of @grpc/grpc-js was loaded (the default configuration must
// not load it; see the dependency-cruiser rule grpc-js-loads-lazily). Exits 1 if one was.
// npm run build && node --import tsx bench/loaded-modules.ts [containerd2|containerd1|crio] [pods] [seconds]
import { readFile, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { REPO } from '../test/support/harness.js';
import { Runtime, runBusyboxPods, sleep, startStaticlet } from './lib/env.js';
import type { RuntimeKind } from './lib/runtimes.js';

const [kind = 'containerd2', podsArg = '3', secondsArg = '10'] = process.argv.slice(2);
const n = Number(podsArg);
const log = join(await mkdtemp(join(tmpdir(), 'loaded-modules-')), 'modules.txt');
process.env['STATICLET_MODULE_LOG'] = log;
const runtime = await new Runtime(kind as RuntimeKind).start();
const agent = await startStaticlet(
  runtime,
  'modules-node',
  [],
  ['--import', pathToFileURL(join(REPO, 'dist/bench/soak/module-log.js')).href],
);
let grpcJs: string[] = [];
try {
  await runBusyboxPods(runtime, agent, 'mods', n);
  // The event stream open (or fallen back) and idle for a while.
  await sleep(Number(secondsArg) * 1000);
  const files = (await readFile(log, 'utf8')).split('\n').filter(Boolean);
  grpcJs = files.filter((f) => f.includes('/@grpc/grpc-js/'));
  const packages = new Set(
    files.map((f) => /node_modules\/((@[^/]+\/)?[^/]+)/.exec(f)?.[1]).filter((p): p is string => p !== undefined),
  );
  console.log(
    `${kind} ${runtime.version}: ${files.length} modules loaded; packages: ${[...packages].sort().join(' ')}`,
  );
  console.log(`RESULT ${kind}: @grpc/grpc-js files loaded: ${grpcJs.length}`);
} finally {
  await agent.stop().catch(() => undefined);
  await runtime.wipe().catch(() => undefined);
  await runtime.stop();
}
process.exitCode = grpcJs.length > 0 ? 1 : 0;
