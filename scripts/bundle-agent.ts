// The agent as it ships: src/main.ts and everything it imports, our code and the packages alike,
// bundled by esbuild into dist/agent/ (main.js and the chunks it loads by import() when a
// configuration asks for them: the API-server client, the kubelet API, grpc-js, pino-pretty).
// Unused code of the packages is left out, and Node reads a handful of files instead of ~600
// modules; docs/benchmarks.md has what that saves the running agent.
//
// Also writes dist/agent-meta.json (esbuild's metafile: which inputs went into which output file),
// which bench/loaded-modules.ts reads to name the packages a running agent has loaded.
// Usage: node --import tsx scripts/bundle-agent.ts   (npm run build runs it after tsc)
import { rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..');
const AGENT_OUT_DIR = join(REPO, 'dist', 'agent');

await rm(AGENT_OUT_DIR, { recursive: true, force: true });
const result = await build({
  absWorkingDir: REPO,
  entryPoints: ['src/main.ts'],
  outdir: AGENT_OUT_DIR,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  // Shared code in chunks of its own, so the code behind an import() stays out until it is needed.
  splitting: true,
  // rxjs's package exports send Node to its CommonJS build, which cannot be tree-shaken; its ES
  // modules build can, and leaves out the operators the agent does not use.
  alias: { rxjs: './node_modules/rxjs/dist/esm/index.js' },
  // Spaces and dead branches out, identifiers as written: a stack trace still names its functions,
  // and the source maps beside the output map it back to src/ under `node --enable-source-maps`.
  // Not keepNames: it wraps every function made at run time in a call that sets its name.
  minifyWhitespace: true,
  minifySyntax: true,
  sourcemap: 'linked',
  // The packages bundled as CommonJS call require() for Node's own modules; ESM has no require of
  // its own, so every output file gets one.
  banner: {
    js: "import { createRequire as __createRequire } from 'node:module';const require = __createRequire(import.meta.url);",
  },
  metafile: true,
  logLevel: 'warning',
});
await writeFile(join(REPO, 'dist', 'agent-meta.json'), JSON.stringify(result.metafile));
