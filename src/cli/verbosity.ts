// The kubelet's -v / --v (klog verbosity) as a pino level. klog's levels by convention: 0-1 what
// an operator always wants, 2 the useful steady state (the usual unit-file value), 3 more detail on
// changes, 4 debug, 5 trace-like detail, 6 and up requests and their bodies. staticlet's info level
// already covers 0-3; debug matches 4-5; trace, the most staticlet has, matches 6 and up.

export const VERBOSITY_LEVELS = [
  { from: 0, level: 'info' },
  { from: 4, level: 'debug' },
  { from: 6, level: 'trace' },
] as const;

/** The pino level for a klog verbosity given as text; an Error when it is not what klog accepts. */
export function logLevelForVerbosity(text: string): string | Error {
  // klog reads it as an unsigned 32-bit number.
  if (!/^\d+$/.test(text) || Number(text) > 0xffff_ffff)
    return new Error(`"${text}" is not a verbosity (a whole number, 0 or more)`);
  const v = Number(text);
  let level: string = VERBOSITY_LEVELS[0].level;
  for (const step of VERBOSITY_LEVELS) if (v >= step.from) level = step.level;
  return level;
}
