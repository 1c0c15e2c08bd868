// The layering rules of .dependency-cruiser.cjs (run on src by `npm run lint`) catch what they
// are for: each case is a small tree with one deliberate violation, and a clean tree passes.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';

const ROOT = resolve(import.meta.dirname, '../..');

interface Violation {
  readonly from: string;
  readonly rule: { readonly name: string };
}

/**
 * Runs dependency-cruiser once, with the project's rules, on a tree holding each case's files
 * under a folder of its own (the rules match `src/...` anywhere in a path); returns the
 * violations by case folder.
 */
function cruise(cases: readonly Record<string, string>[]): Map<string, string[]> {
  const dir = mkdtempSync(join(tmpdir(), 'staticlet-layering-'));
  try {
    symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({ compilerOptions: { module: 'NodeNext', strict: true } }),
    );
    const folders = cases.map((files, i) => {
      for (const [path, source] of Object.entries(files)) {
        mkdirSync(dirname(join(dir, `case${i}`, path)), { recursive: true });
        writeFileSync(join(dir, `case${i}`, path), source);
      }
      return `case${i}`;
    });
    const run = spawnSync(
      join(ROOT, 'node_modules/.bin/depcruise'),
      [...folders, '--config', join(ROOT, '.dependency-cruiser.cjs'), '--output-type', 'json'],
      { cwd: dir, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
    );
    assert.ok(run.stdout, `depcruise printed nothing: ${run.stderr}`);
    const violations = (JSON.parse(run.stdout) as { summary: { violations: Violation[] } }).summary.violations;
    const byCase = new Map<string, string[]>(folders.map((f) => [f, []]));
    for (const v of violations) byCase.get(v.from.split('/')[0]!)?.push(v.rule.name);
    return byCase;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const leaf = 'export const x = 1;\n';
const uses = (path: string) => `import { x } from '${path}';\nexport const y = x;\n`;

const violations: { description: string; files: Record<string, string>; rule: string }[] = [
  {
    description: 'the core imports an adapter',
    files: { 'src/core/diff.ts': uses('../runtime/cri/client.js'), 'src/runtime/cri/client.ts': leaf },
    rule: 'core-is-pure',
  },
  {
    description: 'the core imports an effect',
    files: { 'src/core/fold.ts': uses('../effects/pod-actions.js'), 'src/effects/pod-actions.ts': leaf },
    rule: 'core-is-pure',
  },
  {
    description: 'the core imports the loop wiring',
    files: { 'src/core/replay.ts': uses('../loop.js'), 'src/loop.ts': leaf },
    rule: 'core-is-pure',
  },
  {
    description: 'the core imports rxjs',
    files: { 'src/core/fold.ts': "import { of } from 'rxjs';\nexport const y = of(1);\n" },
    rule: 'core-has-no-io',
  },
  {
    description: 'the core reads files',
    files: { 'src/core/fold.ts': "import { readFileSync } from 'node:fs';\nexport const y = readFileSync;\n" },
    rule: 'core-has-no-io',
  },
  {
    description: 'the core takes a value, not a type, from the Kubernetes client',
    files: {
      'src/core/fold.ts': "import { CoreV1Api } from '@kubernetes/client-node';\nexport const y = CoreV1Api;\n",
    },
    rule: 'core-uses-kubernetes-types-only',
  },
  {
    description: 'a stream imports an effect',
    files: { 'src/streams/relist.ts': uses('../effects/pod-actions.js'), 'src/effects/pod-actions.ts': leaf },
    rule: 'streams-do-not-use-effects',
  },
  {
    description: 'an effect imports a stream',
    files: { 'src/effects/pod-actions.ts': uses('../streams/relist.js'), 'src/streams/relist.ts': leaf },
    rule: 'effects-do-not-use-streams',
  },
  {
    description: 'an adapter reaches up into the wiring',
    files: { 'src/runtime/host.ts': uses('../agent.js'), 'src/agent.ts': leaf },
    rule: 'adapters-stay-adapters',
  },
  {
    description: "the core's data types import the core's logic",
    files: { 'src/core/model/state.ts': uses('../fold.js'), 'src/core/fold.ts': leaf },
    rule: 'core-model-is-a-leaf',
  },
  {
    description: 'the CRI API imports one of our modules',
    files: { 'src/cri-api/messages.ts': uses('../core/labels.js'), 'src/core/labels.ts': leaf },
    rule: 'cri-api-is-a-leaf',
  },
  {
    description: 'the wiring imports the Kubernetes client statically (it must load only with --kubeconfig)',
    files: {
      'src/agent.ts': uses('./runtime/kube/client.js'),
      'src/runtime/kube/client.ts':
        "import { KubeConfig } from '@kubernetes/client-node';\nexport const x = KubeConfig;\n",
    },
    rule: 'kubernetes-client-loads-lazily',
  },
  {
    description: 'two modules import each other',
    files: {
      'src/core/diff.ts': "import { b } from './diff-mirrors.js';\nexport const a = () => b;\n",
      'src/core/diff-mirrors.ts': "import { a } from './diff.js';\nexport const b = () => a;\n",
    },
    rule: 'no-circular',
  },
];

const clean: Record<string, string> = {
  'src/core/diff.ts': "import type { V1Pod } from '@kubernetes/client-node';\nexport type P = V1Pod;\n",
  'src/cri-api/messages.ts': leaf,
  'src/runtime/cri/client.ts': uses('../../cri-api/messages.js'),
  'src/effects/pod-actions.ts': uses('../core/diff.js') + "export * from '../runtime/cri/client.js';\n",
  'src/streams/relist.ts': uses('../runtime/cri/client.js'),
  'src/loop.ts': "import { of } from 'rxjs';\nexport const y = of(1);\n",
  'src/agent.ts':
    uses('./effects/pod-actions.js') + "export * from './streams/relist.js';\nexport * from './loop.js';\n",
  'src/runtime/kube/types.ts': "import type { V1Pod } from '@kubernetes/client-node';\nexport type P = V1Pod;\n",
  'src/runtime/kube/client.ts': "import { KubeConfig } from '@kubernetes/client-node';\nexport const x = KubeConfig;\n",
  'src/main.ts':
    "import type { P } from './runtime/kube/types.js';\nexport const load = () => import('./runtime/kube/client.js');\nexport type Q = P;\n",
};

describe('layering rules', () => {
  // One run of dependency-cruiser for every case: each run costs seconds.
  const found = cruise([clean, ...violations.map((v) => v.files)]);

  it('pass a tree that keeps them (core ← effects, streams; adapters ← effects; rxjs in the loop)', () => {
    assert.deepEqual(found.get('case0'), []);
  });

  violations.forEach(({ description, rule }, i) => {
    it(`fail when ${description} (${rule})`, () => {
      assert.deepEqual(found.get(`case${i + 1}`), [rule]);
    });
  });
});
