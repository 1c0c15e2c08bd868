// A command line read into the flags staticlet implements, every kubelet flag accepted besides
// them: a kubelet flag given that staticlet does not implement is "unused", named once at start.
// Generic over the implemented set, so that implementing one more kubelet flag is one table entry.
import { FlagSyntaxError, parseFlagArgs } from './flag-parser.js';
import { KUBELET_FLAGS, type FlagDefinition } from './kubelet-flags.js';

/** A flag staticlet implements: `multiple` keeps every value given, else the last one wins. */
export interface ImplementedFlag {
  readonly type: 'string' | 'boolean';
  readonly multiple?: boolean;
}

export type FlagValues<N extends string> = Partial<Record<N, string | string[] | boolean>>;

export interface ReadFlags<N extends string> {
  readonly values: FlagValues<N>;
  readonly positionals: readonly string[];
  /** Kubelet flags given that are not implemented, as `--name`, once each, in command-line order. */
  readonly unusedKubeletFlags: string[];
}

/** The kubelet's flags, then the implemented ones it lacks; a flag in both is read the kubelet's way. */
export function flagDefinitions(implemented: Readonly<Record<string, ImplementedFlag>>): Map<string, FlagDefinition> {
  const own = Object.entries(implemented).filter(([name]) => !KUBELET_FLAGS.has(name));
  return new Map([
    ...KUBELET_FLAGS,
    ...own.map(([name, f]): [string, FlagDefinition] => [name, { kind: f.type === 'boolean' ? 'boolean' : 'value' }]),
  ]);
}

/** Throws FlagSyntaxError for a flag that is neither implemented nor the kubelet's, or a bad value. */
export function readFlags<N extends string>(
  argv: readonly string[],
  implemented: Readonly<Record<N, ImplementedFlag>>,
): ReadFlags<N> {
  const parsed = parseFlagArgs(argv, flagDefinitions(implemented));
  const values: FlagValues<N> = {};
  const unused = new Set<string>();
  for (const { name, value } of parsed.flags) {
    if (!Object.hasOwn(implemented, name)) {
      unused.add(`--${name}`);
      continue;
    }
    const key = name as N;
    const flag: ImplementedFlag = implemented[key];
    if (flag.type === 'boolean') values[key] = value === 'true';
    else if (flag.multiple) values[key] = [...((values[key] as string[] | undefined) ?? []), value];
    else values[key] = value;
  }
  return { values, positionals: parsed.positionals, unusedKubeletFlags: [...unused] };
}

export { FlagSyntaxError };
