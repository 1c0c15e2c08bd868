// Loaded into the agent's process (node --import, before dist/agent/main.js) by bench/loaded-modules.ts:
// records every CommonJS module file the process loads (Module._load, which also sees the files a
// package loaded through `import` requires in turn) and every ESM module it resolves (a resolve
// hook), and writes the list to $STATICLET_MODULE_LOG every second and at exit. The agent itself
// is unchanged.
import { writeFileSync } from 'node:fs';
import Module, { createRequire, register } from 'node:module';

const file = process.env['STATICLET_MODULE_LOG'];
const loaded = new Set<string>();

if (file) {
  const require = createRequire(import.meta.url);
  type Load = (request: string, parent: unknown, isMain: boolean) => unknown;
  const mod = Module as unknown as { _load: Load; _resolveFilename: (r: string, p: unknown) => string };
  const load = mod._load;
  mod._load = function (request, parent, isMain) {
    try {
      loaded.add(mod._resolveFilename(request, parent));
    } catch {
      loaded.add(request);
    }
    return load.call(this, request, parent, isMain);
  };
  // ESM resolutions, from the loader's thread to this one.
  const { port1, port2 } = new MessageChannel();
  port1.on('message', (url: string) => loaded.add(url));
  port1.unref();
  const hooks = `
    let port;
    export function initialize(data) { port = data.port; }
    export async function resolve(specifier, context, next) {
      const r = await next(specifier, context);
      port.postMessage(r.url);
      return r;
    }`;
  register(`data:text/javascript,${encodeURIComponent(hooks)}`, {
    data: { port: port2 },
    transferList: [port2],
  });
  const write = () => {
    for (const key of Object.keys(require.cache)) loaded.add(key);
    writeFileSync(file, [...loaded].sort().join('\n') + '\n');
  };
  setInterval(write, 1000).unref();
  process.on('exit', write);
}
