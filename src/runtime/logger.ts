// The logging port: pino, human-readable on a terminal, JSON lines otherwise.
import { destination, pino, type Logger as PinoLogger } from 'pino';

export type Logger = Pick<PinoLogger, 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'child'>;

export async function createLogger(options: { level?: string; pretty?: boolean } = {}): Promise<PinoLogger> {
  const level = options.level ?? 'info';
  const usePretty = options.pretty ?? process.stderr.isTTY === true;
  if (usePretty) {
    // Loaded only for a terminal: a daemon's JSON lines need none of it.
    const { default: pretty } = await import('pino-pretty');
    return pino({ level }, pretty({ destination: 2, sync: true, translateTime: 'HH:MM:ss.l', ignore: 'pid,hostname' }));
  }
  return pino({ level, base: undefined }, destination({ dest: 2, sync: false }));
}
