// The logging port: pino, human-readable on a terminal, JSON lines otherwise.
import { destination, pino, type Logger as PinoLogger } from 'pino';
import pretty from 'pino-pretty';

export type Logger = Pick<PinoLogger, 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'child'>;

export function createLogger(options: { level?: string; pretty?: boolean } = {}): PinoLogger {
  const level = options.level ?? 'info';
  const usePretty = options.pretty ?? process.stderr.isTTY === true;
  if (usePretty) {
    return pino({ level }, pretty({ destination: 2, sync: true, translateTime: 'HH:MM:ss.l', ignore: 'pid,hostname' }));
  }
  return pino({ level, base: undefined }, destination({ dest: 2, sync: false }));
}

/** A logger that drops everything, for tests and replays. */
export const silentLogger: Logger = pino({ level: 'silent' });
