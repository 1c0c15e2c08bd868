// `staticlet validate PATH…` as a command: its arguments, output and exit code (0 when every
// manifest is valid, 1 on any problem, 2 on a usage error).
import { parseArgs } from 'node:util';
import { isLooseDns1123Name } from '../core/names.js';
import { nodeNameFrom, UsageError } from './flags.js';
import { processIo, takeOutputFlag, type CommandIo } from './output-format.js';
import { countProblems, validatePaths } from './validate.js';
import { validateJson, validateText } from './validate-output.js';

export const VALIDATE_USAGE = `Usage: staticlet validate [--output=text|json] [--hostname-override=NAME] PATH...

Checks manifest files and directories as the agent reads them, with no runtime: the same parser
and validator, and for a directory the same rules for its entries (only *.yaml, *.yml and *.json,
no dot-files, symlinks followed, at most 1 MiB, a FIFO, device or directory at a manifest's name
is a problem). The manifests of all PATHs are checked together as one node's: a pod that two of
them define is a problem of the one the agent would ignore.

  -o, --output=FORMAT          text (default): one line per problem, file:line:col: field: reason,
                               and a summary on stderr; json: one document (docs/operations.md)
  --hostname-override=NAME     node name for the pod names (<name>-<node>); default: the host name

Exit code: 0 when every manifest is valid, 1 when any has a problem, 2 on a usage error.`;

export async function runValidateCommand(argv: readonly string[], io: CommandIo = processIo): Promise<number> {
  let paths: string[];
  let nodeName: string;
  let format;
  try {
    const output = takeOutputFlag(argv);
    format = output.format;
    const { values, positionals } = parseArgs({
      args: output.rest,
      options: { 'hostname-override': { type: 'string' }, help: { type: 'boolean', short: 'h' } },
      strict: true,
      allowPositionals: true,
    });
    if (values.help) {
      io.stdout(VALIDATE_USAGE + '\n');
      return 0;
    }
    if (positionals.length === 0) throw new UsageError('validate: give at least one manifest file or directory');
    paths = positionals;
    nodeName = nodeNameFrom(values['hostname-override']);
    if (!isLooseDns1123Name(nodeName))
      throw new UsageError(`node name "${nodeName}" is not a valid DNS-1123 name (use --hostname-override)`);
  } catch (err) {
    const message = err instanceof UsageError ? err.message : (err as Error).message.split('\n')[0]!;
    io.stderr(`staticlet: ${message}\n(see staticlet validate --help)\n`);
    return 2;
  }

  const report = await validatePaths(paths, nodeName);
  if (format === 'json') {
    io.stdout(JSON.stringify(validateJson(report), null, 2) + '\n');
  } else {
    const { lines, notes, summary } = validateText(report);
    for (const line of lines) io.stdout(line + '\n');
    for (const note of notes) io.stderr(note + '\n');
    io.stderr(summary + '\n');
  }
  return countProblems(report) > 0 ? 1 : 0;
}
