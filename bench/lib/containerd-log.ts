// containerd's log of the CRI calls that start a pod (RunPodSandbox, CreateContainer and
// StartContainer, each logged at info level when received and when answered, on 1.6 and 2.x
// alike), read back into the steps of one start (bench/start-steps.ts).
/** One logged call: received or answered, with its pod or ids, at `at` (epoch ms, to the µs). */
export type LoggedCall =
  | { readonly call: 'RunPodSandbox'; readonly phase: 'received'; readonly pod: string; readonly at: number }
  | {
      readonly call: 'RunPodSandbox';
      readonly phase: 'answered';
      readonly pod: string;
      readonly sandboxId: string;
      readonly at: number;
    }
  | { readonly call: 'CreateContainer'; readonly phase: 'received'; readonly sandboxId: string; readonly at: number }
  | {
      readonly call: 'CreateContainer';
      readonly phase: 'answered';
      readonly sandboxId: string;
      readonly containerId: string;
      readonly at: number;
    }
  | {
      readonly call: 'StartContainer';
      readonly phase: 'received' | 'answered';
      readonly containerId: string;
      readonly at: number;
    };

const LINE = /^time="([^"]+)" level=\w+ msg="((?:[^"\\]|\\.)*)"/;
// The metadata in a message is Go's struct print on 1.6 (`&PodSandboxMetadata{Name:x,...,Attempt:0,}`)
// and protobuf text on 2.x (`name:"x"  uid:"..."`, with a zero attempt left out).
const RUN = /^RunPodSandbox for (.+?)(?: returns sandbox id "([0-9a-f]+)")?$/;
const CREATE =
  /^CreateContainer within sandbox "([0-9a-f]+)" for (container )?(.+?)(?: returns container id "([0-9a-f]+)")?$/;
const START = /^StartContainer for "([0-9a-f]+)"( returns successfully)?$/;

/** The name and attempt in a logged metadata, either way it is printed. */
function metadataOf(text: string): { name: string; attempt: number } | undefined {
  const name = /(?:\bName:([^,]+),|\bname:"([^"]*)")/.exec(text);
  if (!name) return undefined;
  return { name: name[1] ?? name[2]!, attempt: Number(/\b[Aa]ttempt:(\d+)/.exec(text)?.[1] ?? 0) };
}

/** "2026-12-05T19:30:00.123456789Z" (or with an offset) → epoch ms with the fraction kept. */
export function logTime(text: string): number {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/.exec(text);
  if (!m) return NaN;
  return Date.parse(`${m[1]}${m[3]}`) + Number(`0.${m[2] ?? '0'}`) * 1000;
}

/** The calls of a pod's start in containerd's log, in the log's order; other lines are skipped. */
export function callTimes(logText: string): LoggedCall[] {
  const calls: LoggedCall[] = [];
  for (const line of logText.split('\n')) {
    const l = LINE.exec(line);
    if (!l) continue;
    const at = logTime(l[1]!);
    const msg = l[2]!.replace(/\\(.)/g, '$1');
    let m: RegExpExecArray | null;
    if ((m = RUN.exec(msg))) {
      const meta = metadataOf(m[1]!);
      if (meta?.attempt !== 0) continue;
      calls.push(
        m[2] === undefined
          ? { call: 'RunPodSandbox', phase: 'received', pod: meta.name, at }
          : { call: 'RunPodSandbox', phase: 'answered', pod: meta.name, sandboxId: m[2], at },
      );
    } else if ((m = CREATE.exec(msg))) {
      // Received: "for container <metadata>"; answered: "for <metadata> returns container id".
      if (metadataOf(m[3]!)?.attempt !== 0 || (m[2] !== undefined) === (m[4] !== undefined)) continue;
      calls.push(
        m[4] === undefined
          ? { call: 'CreateContainer', phase: 'received', sandboxId: m[1]!, at }
          : { call: 'CreateContainer', phase: 'answered', sandboxId: m[1]!, containerId: m[4], at },
      );
    } else if ((m = START.exec(msg)))
      calls.push({ call: 'StartContainer', phase: m[2] ? 'answered' : 'received', containerId: m[1]!, at });
  }
  return calls;
}

/** One start taken apart, ms; the steps add up to `total`. */
export interface StartSteps {
  /** Manifest written → RunPodSandbox received (the floor: its call made → received). */
  readonly toSandboxCall: number;
  /** RunPodSandbox received → answered. */
  readonly sandboxCall: number;
  /** Of which: received → the sandbox's `createdAt`. */
  readonly sandboxCallToCreatedAt: number;
  /** RunPodSandbox answered → CreateContainer received. */
  readonly toCreateCall: number;
  /** CreateContainer received → answered. */
  readonly createCall: number;
  /** CreateContainer answered → StartContainer received. */
  readonly toStartCall: number;
  /** StartContainer received → the container's `startedAt`. */
  readonly startCallToRunning: number;
  /** Manifest written → container running (row 1). */
  readonly total: number;
}

export const STEP_LABELS: readonly { key: keyof StartSteps; label: string }[] = [
  { key: 'toSandboxCall', label: 'written → RunPodSandbox received' },
  { key: 'sandboxCall', label: 'RunPodSandbox received → answered' },
  { key: 'sandboxCallToCreatedAt', label: '  of which, received → sandbox `createdAt`' },
  { key: 'toCreateCall', label: 'RunPodSandbox answered → CreateContainer received' },
  { key: 'createCall', label: 'CreateContainer received → answered' },
  { key: 'toStartCall', label: 'CreateContainer answered → StartContainer received' },
  { key: 'startCallToRunning', label: 'StartContainer received → container `startedAt`' },
  { key: 'total', label: '**written → container running (row 1)**' },
];

/** What a lifecycle run measured of the start, ms (bench/scenarios.ts). */
export interface MeasuredStart {
  /** When the manifest was written (the floor: when its first call was made), epoch ms. */
  readonly writtenAt: number;
  /** Written → the container's `startedAt`. */
  readonly start: number;
  /** Written → the sandbox's `createdAt`. */
  readonly sandboxCreated: number;
}

/** The steps of the first start of pod `pod` (its sandbox of attempt 0 and first container), or
 * undefined where the log lacks one of its calls. */
export function startSteps(calls: readonly LoggedCall[], pod: string, sample: MeasuredStart): StartSteps | undefined {
  const runReceived = calls.find((c) => c.call === 'RunPodSandbox' && c.phase === 'received' && c.pod === pod);
  const runAnswered = calls.find((c) => c.call === 'RunPodSandbox' && c.phase === 'answered' && c.pod === pod);
  if (!runReceived || runAnswered?.call !== 'RunPodSandbox' || runAnswered.phase !== 'answered') return undefined;
  const sandboxId = runAnswered.sandboxId;
  const createReceived = calls.find(
    (c) => c.call === 'CreateContainer' && c.phase === 'received' && c.sandboxId === sandboxId,
  );
  const createAnswered = calls.find(
    (c) => c.call === 'CreateContainer' && c.phase === 'answered' && c.sandboxId === sandboxId,
  );
  if (!createReceived || createAnswered?.call !== 'CreateContainer' || createAnswered.phase !== 'answered')
    return undefined;
  const containerId = createAnswered.containerId;
  const startReceived = calls.find(
    (c) => c.call === 'StartContainer' && c.phase === 'received' && c.containerId === containerId,
  );
  if (!startReceived) return undefined;
  const written = sample.writtenAt;
  return {
    toSandboxCall: runReceived.at - written,
    sandboxCall: runAnswered.at - runReceived.at,
    sandboxCallToCreatedAt: written + sample.sandboxCreated - runReceived.at,
    toCreateCall: createReceived.at - runAnswered.at,
    createCall: createAnswered.at - createReceived.at,
    toStartCall: startReceived.at - createAnswered.at,
    startCallToRunning: written + sample.start - startReceived.at,
    total: sample.start,
  };
}
