// The kubelet flag table (src/cli/kubelet-flags.ts) against the real kubelet's --help, so that a
// flag added, removed or changed in a kubelet release is caught; and staticlet's own flag table
// against it. The comparison needs the kubelet binary: STATICLET_KUBE_BIN (scripts/test.sh sets it).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { FLAGS } from '../../src/cli/flags.js';
import { KUBELET_FLAGS, KUBELET_VERSION, type FlagKind } from '../../src/cli/kubelet-flags.js';

const KUBE_BIN = process.env.STATICLET_KUBE_BIN;
const kubelet = KUBE_BIN ? join(KUBE_BIN, 'kubelet') : '';
const SKIP =
  !KUBE_BIN || !existsSync(kubelet)
    ? 'STATICLET_KUBE_BIN is not set to a directory holding kubelet (scripts/test.sh sets it): the flag table is not compared with the real kubelet'
    : false;

/** pflag's own value types: a flag showing one of these takes a value. Any other name is probed. */
const VALUE_TYPES = new Set(
  'string strings stringArray int int32 int64 uint uint32 uint64 float32 float64 duration ip ipSlice ipNet mapStringString mapStringBool quantity'.split(
    ' ',
  ),
);

interface HelpFlag {
  name: string;
  short?: string;
  kind: FlagKind;
}

function runKubelet(...args: string[]): string {
  const r = spawnSync(kubelet, args, { encoding: 'utf8', timeout: 30_000 });
  return `${r.stdout}${r.stderr}`;
}

/** The flags as `kubelet --help` lists them: `  -v, --v Level   ...` or `      --name type   ...`. */
function helpFlags(): HelpFlag[] {
  const out: HelpFlag[] = [];
  for (const line of runKubelet('--help').split('\n')) {
    const m = /^ {2}(?:-([a-zA-Z]), | {4})--([a-z0-9][a-z0-9-]*)(?: (\S+))? {2,}/.exec(line);
    if (!m) continue;
    const [, short, name, varname] = m as unknown as [string, string | undefined, string, string | undefined];
    out.push({ name, ...(short ? { short } : {}), kind: kindOf(name, varname) });
  }
  return out;
}

function kindOf(name: string, varname: string | undefined): FlagKind {
  if (varname === undefined) return 'boolean';
  if (/\[=.*\]$/.test(varname)) return 'optional-value';
  if (VALUE_TYPES.has(varname)) return 'value';
  // A name pflag took from the usage text (`RuntimeDefault`) or a custom type: ask the kubelet
  // whether a non-boolean value is refused as a boolean (it parses every flag before --help).
  return /strconv\.ParseBool/.test(runKubelet(`--${name}=staticlet-probe`, '--help')) ? 'boolean' : 'value';
}

describe('kubelet flag table', () => {
  it(`matches the real kubelet's --help (${KUBELET_VERSION})`, { skip: SKIP }, () => {
    const version = runKubelet('--version').trim();
    const listed = helpFlags();
    assert.ok(listed.length > 100, `read ${listed.length} flags from kubelet --help: the help format changed?`);
    const problems: string[] = [];
    const seen = new Set<string>();
    for (const f of listed) {
      seen.add(f.name);
      const ours = KUBELET_FLAGS.get(f.name);
      if (!ours) problems.push(`missing: --${f.name} (${f.kind}${f.short ? `, -${f.short}` : ''})`);
      else if (ours.kind !== f.kind) problems.push(`--${f.name}: the table says ${ours.kind}, the kubelet ${f.kind}`);
      else if (ours.short !== f.short)
        problems.push(
          `--${f.name}: shorthand ${ours.short ?? 'none'} in the table, ${f.short ?? 'none'} in the kubelet`,
        );
    }
    for (const name of KUBELET_FLAGS.keys()) if (!seen.has(name)) problems.push(`not in the kubelet: --${name}`);
    assert.deepEqual(
      problems,
      [],
      `src/cli/kubelet-flags.ts (${KUBELET_VERSION}) differs from ${kubelet} (${version}):\n  ${problems.join('\n  ')}`,
    );
  });

  it("reads staticlet's kubelet flags the kubelet's way", () => {
    for (const [name, flag] of Object.entries(FLAGS)) {
      const kubeletFlag = KUBELET_FLAGS.get(name);
      if (!kubeletFlag) continue;
      const expected = flag.type === 'boolean' ? ['boolean'] : ['value', 'optional-value'];
      assert.ok(
        expected.includes(kubeletFlag.kind),
        `--${name}: staticlet reads a ${flag.type}, the kubelet a ${kubeletFlag.kind}`,
      );
    }
  });

  it("knows the flags of a kubeadm node's kubelet unit", () => {
    for (const name of ['kubeconfig', 'bootstrap-kubeconfig', 'config', 'container-runtime-endpoint', 'v'])
      assert.ok(KUBELET_FLAGS.has(name), name);
    assert.deepEqual(KUBELET_FLAGS.get('v'), { kind: 'value', short: 'v' });
    assert.deepEqual(KUBELET_FLAGS.get('help'), { kind: 'boolean', short: 'h' });
  });
});
