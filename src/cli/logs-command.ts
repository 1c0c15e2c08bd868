// `staticlet logs ...` as a command: its arguments, signals, stdout and exit code.
import { PodLogsError } from '../runtime/pod-logs/layout.js';
import { UsageError } from './flags.js';
import { LOGS_USAGE, parseLogsArgs, type LogsOptions } from './logs.js';
import { stdoutOutput, OutputClosed } from './logs-output.js';
import { streamLogs } from './logs-stream.js';

/** `staticlet logs ...` on this process's stdout/stderr: returns the exit code. */
export async function runLogsCommand(argv: readonly string[]): Promise<number> {
  let options: LogsOptions | 'help';
  try {
    options = await parseLogsArgs(argv);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`staticlet: ${err.message}\n(see staticlet logs --help)\n`);
      return 2;
    }
    throw err;
  }
  if (options === 'help') {
    process.stdout.write(LOGS_USAGE + '\n');
    return 0;
  }
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  if (options.follow && !options.previous) {
    // Following ends on a signal with exit code 0; otherwise a signal ends the command as usual.
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
  }
  const { out, closed } = stdoutOutput(stop);
  try {
    await streamLogs(options, out, stop.signal, (line) => process.stderr.write(`${line}\n`));
    return 0;
  } catch (err) {
    if (err instanceof OutputClosed || closed()) return 0;
    if (err instanceof PodLogsError) {
      process.stderr.write(`staticlet logs: ${err.message}\n`);
      return 1;
    }
    throw err;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
