// The command-line parser with the kubelet's (pflag's) rules, and the "did you mean" suggestion.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FlagSyntaxError, parseFlagArgs } from '../../src/cli/flag-parser.js';
import type { FlagDefinition } from '../../src/cli/kubelet-flags.js';
import { editDistance, nearestName } from '../../src/cli/nearest-name.js';

const DEFS = new Map<string, FlagDefinition>([
  ['pod-manifest-path', { kind: 'value' }],
  ['cluster-dns', { kind: 'value' }],
  ['fail-swap-on', { kind: 'boolean' }],
  ['help', { kind: 'boolean', short: 'h' }],
  ['v', { kind: 'value', short: 'v' }],
  ['version', { kind: 'optional-value' }],
]);

const parse = (...argv: string[]) => parseFlagArgs(argv, DEFS);
const flags = (...argv: string[]) => parse(...argv).flags.map((f) => `${f.name}=${f.value}`);
const fails = (argv: string[], pattern: RegExp) =>
  assert.throws(
    () => parseFlagArgs(argv, DEFS),
    (e: Error) => e instanceof FlagSyntaxError && pattern.test(e.message),
  );

describe('flag parser (pflag rules)', () => {
  it('takes a value as --flag=value or --flag value, whatever the next argument looks like', () => {
    assert.deepEqual(flags('--pod-manifest-path=/a', '--pod-manifest-path', '/b'), [
      'pod-manifest-path=/a',
      'pod-manifest-path=/b',
    ]);
    assert.deepEqual(flags('--v', '-1'), ['v=-1'], 'the next argument is the value even when it starts with -');
    assert.deepEqual(flags('--pod-manifest-path='), ['pod-manifest-path='], 'an empty value');
    assert.deepEqual(flags('--pod-manifest-path=a=b'), ['pod-manifest-path=a=b'], 'only the first = splits');
    fails(['--pod-manifest-path'], /flag needs an argument: --pod-manifest-path/);
  });

  it('reads booleans as --flag or --flag=true|false (Go spellings), never taking the next argument', () => {
    assert.deepEqual(flags('--fail-swap-on'), ['fail-swap-on=true']);
    for (const t of ['true', 'True', 'TRUE', 't', 'T', '1'])
      assert.deepEqual(flags(`--fail-swap-on=${t}`), ['fail-swap-on=true']);
    for (const f of ['false', 'False', 'FALSE', 'f', 'F', '0'])
      assert.deepEqual(flags(`--fail-swap-on=${f}`), ['fail-swap-on=false']);
    const p = parse('--fail-swap-on', 'false');
    assert.deepEqual(p.flags, [{ name: 'fail-swap-on', value: 'true' }]);
    assert.deepEqual(p.positionals, ['false'], 'as with the kubelet, `false` is left an argument');
    fails(['--fail-swap-on=no'], /invalid argument "no" for --fail-swap-on/);
  });

  it('reads an optional value only after =', () => {
    assert.deepEqual(flags('--version'), ['version=true']);
    assert.deepEqual(flags('--version=raw'), ['version=raw']);
    assert.deepEqual(parse('--version', 'raw').positionals, ['raw']);
  });

  it('reads one-letter flags as -v 2, -v=2, -v2, and grouped', () => {
    assert.deepEqual(flags('-v', '2'), ['v=2']);
    assert.deepEqual(flags('-v=3'), ['v=3']);
    assert.deepEqual(flags('-v4'), ['v=4']);
    assert.deepEqual(flags('-h'), ['help=true']);
    assert.deepEqual(flags('-h=false'), ['help=false']);
    assert.deepEqual(flags('-hv5'), ['help=true', 'v=5']);
    assert.deepEqual(flags('-hv', '6'), ['help=true', 'v=6']);
    fails(['-v'], /flag needs an argument: 'v' in -v/);
    fails(['-x'], /unknown shorthand flag: 'x' in -x/);
    fails(['-hx'], /unknown shorthand flag: 'x' in -hx/);
  });

  it('reads _ as - in long names, as the kubelet does', () => {
    assert.deepEqual(flags('--pod_manifest_path=/m', '--fail_swap_on=false'), [
      'pod-manifest-path=/m',
      'fail-swap-on=false',
    ]);
  });

  it('keeps repeats in order, and positionals; -- ends the flags; - alone is an argument', () => {
    assert.deepEqual(flags('--cluster-dns=1.1.1.1', '--v=1', '--cluster-dns', '8.8.8.8'), [
      'cluster-dns=1.1.1.1',
      'v=1',
      'cluster-dns=8.8.8.8',
    ]);
    const p = parse('a', '--v=1', '-', 'b', '--', '--fail-swap-on', '-h');
    assert.deepEqual(p.flags, [{ name: 'v', value: '1' }]);
    assert.deepEqual(p.positionals, ['a', '-', 'b', '--fail-swap-on', '-h']);
  });

  it('refuses unknown flags by name, with the nearest known one when it looks like a typo', () => {
    fails(['--no-such-flag'], /^unknown flag: --no-such-flag$/);
    fails(['--pod-manifest-pth=/x'], /^unknown flag: --pod-manifest-pth \(did you mean --pod-manifest-path\?\)$/);
    fails(['--fail-swap=false'], /did you mean --fail-swap-on\?/);
    fails(['---x'], /bad flag syntax: ---x/);
    fails(['--=x'], /bad flag syntax: --=x/);
  });
});

describe('nearest name', () => {
  it('measures edit distance and suggests only within a typo', () => {
    assert.equal(editDistance('kitten', 'sitting'), 3);
    assert.equal(editDistance('', 'abc'), 3);
    assert.equal(editDistance('same', 'same'), 0);
    assert.equal(nearestName('kubeconfg', ['kubeconfig', 'config']), 'kubeconfig');
    assert.equal(nearestName('completely-different', ['kubeconfig', 'config']), undefined);
    assert.equal(nearestName('ab', ['ac', 'ad']), 'ac', 'ties go to the alphabetically first');
  });
});
