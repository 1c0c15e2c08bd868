// `npm run faults`: real faults injected into real components (a private containerd, a private
// etcd + kube-apiserver, bin/staticlet built from the tree, a loopback manifest server, a tmpfs
// for the pod logs), each repeated; after each, convergence is checked from outside (crictl,
// kubectl). Writes bench/results/faults-<date>.md and .json; exits 1 if any injection did not
// converge.
//   npm run faults                                  every fault, 50 pods, 10 repetitions each
//   npm run faults -- --quick                       5 pods, 1 repetition (report: *-quick.*)
//   npm run faults -- --faults containerd,url-500   families or single faults; --reps N, --pods N
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { REPO } from '../test/support/harness.js';
import { sh } from './lib/env.js';
import { agentFaults } from './faults/agent.js';
import { apiServerFaults } from './faults/apiserver.js';
import { containerdFaults } from './faults/containerd.js';
import { logDiskFaults } from './faults/log-disk.js';
import { URL_FAULTS, urlFaults } from './faults/manifest-url.js';
import { writeReport, type FaultResult, type RunParams } from './faults/report.js';
import { log } from './faults/world.js';

const FAMILIES: Record<string, { faults: string[]; run: (p: RunParams) => Promise<FaultResult[]> }> = {
  containerd: { faults: ['containerd-kill-burst', 'containerd-kill-steady'], run: containerdFaults },
  agent: { faults: ['agent-kill-burst', 'agent-kill-removal'], run: agentFaults },
  apiserver: { faults: ['apiserver-kill-sync', 'apiserver-outages'], run: apiServerFaults },
  url: { faults: URL_FAULTS.map((f) => f.fault), run: urlFaults },
  'log-disk': { faults: ['log-disk-full'], run: logDiskFaults },
};

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    reps: { type: 'string' },
    pods: { type: 'string' },
    faults: { type: 'string', default: Object.keys(FAMILIES).join(',') },
    timeout: { type: 'string' },
    out: { type: 'string', default: join(REPO, 'bench/results') },
  },
});

function whole(name: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name}: a whole number of at least 1, got "${text}"`);
  return n;
}

async function main(): Promise<number> {
  const quick = values.quick!;
  const chosen = new Set(values.faults!.split(',').filter(Boolean));
  const known = new Set([...Object.keys(FAMILIES), ...Object.values(FAMILIES).flatMap((f) => f.faults)]);
  for (const c of chosen)
    if (!known.has(c)) throw new Error(`--faults: unknown "${c}"; known: ${[...known].join(', ')}`);
  const params: RunParams = {
    quick,
    reps: whole('reps', values.reps, quick ? 1 : 10),
    pods: whole('pods', values.pods, quick ? 5 : 50),
    timeoutMs: whole('timeout', values.timeout, quick ? 60 : 180) * 1000,
    wanted: (fault) => chosen.has(fault) || [...chosen].some((c) => FAMILIES[c]?.faults.includes(fault)),
  };
  await sh('scripts/tools.sh', 'crictl');
  const started = new Date();
  const results: FaultResult[] = [];
  for (const [name, family] of Object.entries(FAMILIES)) {
    if (!family.faults.some(params.wanted)) continue;
    log(`family ${name}: ${family.faults.filter(params.wanted).join(', ')}`);
    try {
      results.push(...(await family.run(params)));
    } catch (err) {
      // A family that cannot even set up is reported as a fault that did not converge.
      const message = err instanceof Error ? err.message : String(err);
      log(`family ${name} failed: ${message}`);
      results.push({
        fault: name,
        family: name,
        what: 'the family could not run',
        injections: [
          { rep: 0, converged: false, reached: false, ms: NaN, violations: [`harness error: ${message}`], notes: [] },
        ],
      });
    }
  }
  const { md, ok, files } = await writeReport(values.out!, params, results, started);
  process.stdout.write(md + '\n');
  log(`report: ${files.join(', ')}`);
  return ok ? 0 : 1;
}

main().then(
  (code) => (process.exitCode = code),
  (err: unknown) => {
    process.stderr.write(`faults failed: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exitCode = 2;
  },
);
