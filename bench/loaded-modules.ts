// Which modules the agent loads, started as bench/idle-memory.ts starts it on a private runtime with
// a few pods: prints whether any file of @grpc/grpc-js was loaded (the default configuration must
// not load it; see the dependency-cruiser rule grpc-js-loads-lazily). Exits 1 if one was. The agent
// is a bundle (scripts/bundle-agent.ts): a file of it loaded counts as every source file bundled
// into it, read from the build's metafile.
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
  const loaded = (await readFile(log, 'utf8')).split('\n').filter(Boolean);
  const bundled = await bundleInputs();
  const files = loaded.flatMap((f) => bundled.get(f.replace(/^file:\/\//, '')) ?? [f]);
  grpcJs = files.filter((f) => f.includes('/@grpc/grpc-js/'));
  const packages = new Set(
    files.map((f) => /node_modules\/((@[^/]+\/)?[^/]+)/.exec(f)?.[1]).filter((p): p is string => p !== undefined),
  );
  console.log(
    `${kind} ${runtime.version}: ${loaded.length} files loaded, of ${files.length} source files; packages: ${[...packages].sort().join(' ')}`,
  );
  console.log(`RESULT ${kind}: @grpc/grpc-js files loaded: ${grpcJs.length}`);
} finally {
  await agent.stop().catch(() => undefined);
  await runtime.wipe().catch(() => undefined);
  await runtime.stop();
}
process.exitCode = grpcJs.length > 0 ? 1 : 0;

/** Each output file of the agent's bundle (absolute path) → the source files bundled into it. */
async function bundleInputs(): Promise<Map<string, string[]>> {
  const meta = JSON.parse(await readFile(join(REPO, 'dist/agent-meta.json'), 'utf8')) as {
    outputs: Record<string, { inputs: Record<string, unknown> }>;
  };
  return new Map(Object.entries(meta.outputs).map(([out, o]) => [join(REPO, out), Object.keys(o.inputs)]));
}
