// The output of `staticlet validate` and `plan`: `--output=text|json` (`-o json`), taken out of
// the arguments before the rest are parsed (plan's rest are the agent's own flags), and where they write.
import { UsageError } from './flags.js';

export type OutputFormat = 'text' | 'json';

/** Where a command writes: the process's stdout and stderr, or a test's buffers. */
export interface CommandIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
}

export const processIo: CommandIo = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
};

export function takeOutputFlag(argv: readonly string[]): { format: OutputFormat; rest: string[] } {
  let format: OutputFormat = 'text';
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      rest.push(...argv.slice(i));
      break;
    }
    let value: string | undefined;
    if (arg.startsWith('--output=')) value = arg.slice('--output='.length);
    else if (arg.startsWith('-o') && arg.length > 2 && !arg.startsWith('--')) value = arg.slice(2);
    else if (arg === '--output' || arg === '-o') {
      value = argv[++i];
      if (value === undefined) throw new UsageError(`${arg}: needs a value (text or json)`);
    } else {
      rest.push(arg);
      continue;
    }
    if (value !== 'text' && value !== 'json') throw new UsageError(`--output: "${value}" is not text or json`);
    format = value;
  }
  return { format, rest };
}
