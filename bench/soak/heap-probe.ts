// Loaded into the agent's process by `npm run soak` (node --import, before dist/agent/main.js) to
// expose its V8 heap (code apart) and its event loop's resources without an inspector or an endpoint: every 2 s
// it writes process.memoryUsage() and the counts of active handles and timers
// (process.getActiveResourcesInfo()) as one JSON object to $STATICLET_SOAK_HEAP_FILE (write, then
// rename). The timer is unref'd, so it never keeps the agent alive; the agent itself is unchanged.
import { renameSync, writeFileSync } from 'node:fs';
import { getHeapSpaceStatistics } from 'node:v8';

const file = process.env['STATICLET_SOAK_HEAP_FILE'];

function write(path: string): void {
  const m = process.memoryUsage();
  const resources = process.getActiveResourcesInfo();
  // The probe's own interval is one of the timers; it is counted like any other (a constant).
  const timers = resources.filter((r) => r === 'Timeout' || r === 'Immediate').length;
  const sample = {
    t: Date.now(),
    heapUsed: m.heapUsed,
    heapTotal: m.heapTotal,
    // Compiled code grows for a long while as V8 optimises more of the program: told apart from
    // the objects the agent keeps, which are what a leak would grow.
    codeUsed: getHeapSpaceStatistics().find((s) => s.space_name === 'code_space')?.space_used_size ?? 0,
    external: m.external,
    arrayBuffers: m.arrayBuffers,
    handles: resources.length - timers,
    timers,
  };
  try {
    writeFileSync(`${path}.tmp`, JSON.stringify(sample));
    renameSync(`${path}.tmp`, path);
  } catch {
    // A full disk or a removed directory: the soak reads no heap; the agent must not care.
  }
}

if (file) {
  write(file);
  setInterval(() => write(file), 2_000).unref();
}
