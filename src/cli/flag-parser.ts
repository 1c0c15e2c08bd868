// A command line read with the kubelet's rules (spf13/pflag, as the kubelet sets it up), which
// node:util parseArgs cannot express: a flag that takes a value takes the next argument whatever it
// looks like (`--v -1` is v=-1), a boolean never does (`--flag false` leaves `false` an argument);
// one-letter flags as `-v 2`, `-v=2`, `-v2`, grouped as `-hv2`; `_` reads as `-` in a long name;
// `--` ends the flags; any flag may be repeated (what a repeat means is the flag's business).
import type { FlagDefinition } from './kubelet-flags.js';
import { nearestName } from './nearest-name.js';

export interface FlagOccurrence {
  /** The flag's name as defined (underscores read as hyphens). */
  readonly name: string;
  /** The value given; for a boolean, "true" or "false" whatever spelling was used. */
  readonly value: string;
}

export interface ParsedArgs {
  /** Every flag given, in command-line order, repeats included. */
  readonly flags: readonly FlagOccurrence[];
  readonly positionals: readonly string[];
}

export class FlagSyntaxError extends Error {
  override name = 'FlagSyntaxError';
}

// Go's strconv.ParseBool, which the kubelet's boolean flags use.
const TRUE = new Set(['1', 't', 'T', 'TRUE', 'true', 'True']);
const FALSE = new Set(['0', 'f', 'F', 'FALSE', 'false', 'False']);

export function parseFlagArgs(argv: readonly string[], definitions: ReadonlyMap<string, FlagDefinition>): ParsedArgs {
  const shorthands = new Map<string, string>();
  for (const [name, def] of definitions) if (def.short) shorthands.set(def.short, name);
  const flags: FlagOccurrence[] = [];
  const positionals: string[] = [];
  const add = (name: string, value: string, given: string) =>
    flags.push({ name, value: checkedValue(name, definitions.get(name)!, value, given) });

  let i = 0;
  const next = (): string | undefined => (i < argv.length ? argv[i++] : undefined);
  for (let arg = next(); arg !== undefined; arg = next()) {
    if (arg === '--') {
      positionals.push(...argv.slice(i));
      break;
    }
    if (arg.length < 2 || !arg.startsWith('-')) {
      positionals.push(arg);
      continue;
    }
    if (arg.startsWith('--')) {
      const body = arg.slice(2);
      if (body.startsWith('-') || body.startsWith('=')) throw new FlagSyntaxError(`bad flag syntax: ${arg}`);
      const eq = body.indexOf('=');
      const given = eq < 0 ? body : body.slice(0, eq);
      const name = given.replaceAll('_', '-');
      const def = definitions.get(name);
      if (!def) throw new FlagSyntaxError(unknownFlagMessage(`--${given}`, name, definitions.keys()));
      if (eq >= 0) add(name, body.slice(eq + 1), `--${given}`);
      else if (def.kind !== 'value') add(name, 'true', `--${given}`);
      else {
        const value = next();
        if (value === undefined) throw new FlagSyntaxError(`flag needs an argument: --${given}`);
        add(name, value, `--${given}`);
      }
      continue;
    }
    // One or more one-letter flags: -h, -v2, -v=2, -v 2, -hv2.
    let letters = arg.slice(1);
    while (letters.length > 0) {
      const letter = letters[0]!;
      const name = shorthands.get(letter);
      if (name === undefined) throw new FlagSyntaxError(`unknown shorthand flag: '${letter}' in ${arg}`);
      const def = definitions.get(name)!;
      if (letters[1] === '=' && letters.length > 2) {
        add(name, letters.slice(2), `-${letter}`);
        letters = '';
      } else if (def.kind !== 'value') {
        add(name, 'true', `-${letter}`);
        letters = letters.slice(1);
      } else if (letters.length > 1) {
        add(name, letters.slice(1), `-${letter}`);
        letters = '';
      } else {
        const value = next();
        if (value === undefined) throw new FlagSyntaxError(`flag needs an argument: '${letter}' in ${arg}`);
        add(name, value, `-${letter}`);
        letters = '';
      }
    }
  }
  return { flags, positionals };
}

function checkedValue(name: string, def: FlagDefinition, value: string, given: string): string {
  if (def.kind !== 'boolean') return value;
  if (TRUE.has(value)) return 'true';
  if (FALSE.has(value)) return 'false';
  throw new FlagSyntaxError(`invalid argument "${value}" for ${given}: ${name} is true or false`);
}

function unknownFlagMessage(given: string, name: string, known: Iterable<string>): string {
  const near = nearestName(name, known);
  return `unknown flag: ${given}${near ? ` (did you mean --${near}?)` : ''}`;
}
