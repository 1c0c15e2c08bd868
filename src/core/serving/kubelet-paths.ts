// The kubelet port's pod-access paths and their query parameters, as the API server sends them
// (pkg/kubelet/server/server.go): /containerLogs, /exec, /attach, /portForward and /run. Parsing
// only: which pod and container, which streams, which log options; nothing is looked up here.
import type { StreamOptions } from '../../cri-api/messages.js';

export interface PodRef {
  readonly namespace: string;
  /** The mirror pod's name: the static pod's `<manifest name>-<node name>`. */
  readonly pod: string;
  /** Given by the client to pin one instance of the pod. */
  readonly uid?: string;
}

export type LogStreamChoice = 'All' | 'Stdout' | 'Stderr';

/** A v1 PodLogOptions, as the kubelet decodes it from the query. */
export interface LogQuery {
  readonly follow: boolean;
  readonly previous: boolean;
  readonly timestamps: boolean;
  readonly tailLines?: number;
  readonly limitBytes?: number;
  readonly sinceSeconds?: number;
  /** ms since the epoch. */
  readonly sinceTime?: number;
  readonly stream: LogStreamChoice;
}

export type PodAccessRequest =
  | ({ readonly kind: 'containerLogs'; readonly container: string; readonly log: LogQuery } & PodRef)
  | ({
      readonly kind: 'exec' | 'attach';
      readonly container: string;
      readonly cmd: readonly string[];
      readonly streams: StreamOptions;
    } & PodRef)
  | ({ readonly kind: 'portForward'; readonly ports: readonly number[] } & PodRef)
  | ({ readonly kind: 'run'; readonly container: string; readonly cmd: readonly string[] } & PodRef);

export type PodAccessKind = PodAccessRequest['kind'];

/** A request to one of these paths that cannot be served: the HTTP status and the message. */
export interface PathError {
  readonly kind: 'error';
  readonly status: 400 | 404 | 405 | 422;
  readonly message: string;
}

const METHODS: Record<PodAccessKind, readonly string[]> = {
  containerLogs: ['GET'],
  exec: ['GET', 'POST'],
  attach: ['GET', 'POST'],
  portForward: ['GET', 'POST'],
  run: ['POST'],
};

/** The path segments after the prefix: [ns, pod, container] or [ns, pod, uid, container]. */
const SHAPES: Record<PodAccessKind, readonly number[]> = {
  containerLogs: [3],
  exec: [3, 4],
  attach: [3, 4],
  portForward: [2, 3],
  run: [3, 4],
};

/** The prefix of a pod-access path, or undefined when the path is not one of them. */
export function podAccessKind(pathname: string): PodAccessKind | undefined {
  const first = pathname.split('/')[1];
  return first !== undefined && Object.hasOwn(METHODS, first) ? (first as PodAccessKind) : undefined;
}

/**
 * The request, an error to answer with, or undefined when the path is not a pod-access path (the
 * caller offers it elsewhere).
 */
export function parsePodAccess(method: string, url: URL): PodAccessRequest | PathError | undefined {
  const kind = podAccessKind(url.pathname);
  if (!kind) return undefined;
  let segments: string[];
  try {
    segments = url.pathname.split('/').slice(2).map(decodeURIComponent);
  } catch {
    return notFound(`malformed path ${url.pathname}`);
  }
  if (segments.at(-1) === '') segments.pop();
  if (!SHAPES[kind].includes(segments.length) || segments.some((s) => s === ''))
    return notFound(`no such path ${url.pathname}`);
  if (!METHODS[kind].includes(method))
    return { kind: 'error', status: 405, message: `${method} is not allowed on /${kind}` };
  const [namespace, pod] = segments as [string, string];
  // The longer of two shapes carries the pod's uid (containerLogs has one shape, without).
  const withUid = SHAPES[kind].length > 1 && segments.length === Math.max(...SHAPES[kind]);
  const uid = withUid ? segments[2] : undefined;
  const ref: PodRef = { namespace, pod, ...(uid !== undefined ? { uid } : {}) };
  const q = url.searchParams;
  switch (kind) {
    case 'containerLogs': {
      const log = parseLogQuery(q);
      return 'kind' in log ? log : { kind, ...ref, container: segments[2]!, log };
    }
    case 'exec':
    case 'attach': {
      const streams = parseStreams(q);
      if ('kind' in streams) return streams;
      return { kind, ...ref, container: segments.at(-1)!, cmd: q.getAll('command'), streams };
    }
    case 'portForward': {
      const ports = parsePorts(q);
      return 'kind' in ports ? ports : { kind, ...ref, ports };
    }
    case 'run':
      // For legacy reasons /run takes `cmd`, split on spaces, where /exec takes `command`s.
      return { kind, ...ref, container: segments.at(-1)!, cmd: (q.get('cmd') ?? '').split(' ') };
  }
}

/**
 * The kubelet's remotecommand options: `input`, `output`, `error` and `tty` (the API server's
 * names for stdin, stdout, stderr), each on when `1`; a tty drops stderr.
 */
export function parseStreams(q: URLSearchParams): StreamOptions | PathError {
  const on = (name: string) => q.get(name) === '1';
  const tty = on('tty');
  const stdin = on('input');
  const stdout = on('output');
  const stderr = on('error') && !tty;
  if (!stdin && !stdout && !stderr) return badRequest('you must specify at least 1 of stdin, stdout, stderr');
  return { stdin, stdout, stderr, tty };
}

/**
 * `port` parameters (each may list several, comma-separated). SPDY clients name their ports in
 * stream headers instead, so none is fine here.
 */
export function parsePorts(q: URLSearchParams): number[] | PathError {
  const ports: number[] = [];
  for (const value of q.getAll('port')) {
    if (value === '') return badRequest('query parameter "port" cannot be empty');
    for (const p of value.split(',')) {
      const n = /^\d{1,5}$/.test(p) ? Number(p) : NaN;
      if (!(n >= 1 && n <= 65535)) return badRequest(`unable to parse "${value}" as a port`);
      ports.push(n);
    }
  }
  return ports;
}

/** The v1 PodLogOptions of a query, decoded and validated as the kubelet does. */
export function parseLogQuery(q: URLSearchParams): LogQuery | PathError {
  const undecodable = badRequest('Unable to decode query.');
  // A boolean parameter is true unless it says false or 0 (the API machinery's conversion).
  const bool = (name: string) => {
    const v = q.get(name);
    return v !== null && !['false', '0'].includes(v.toLowerCase());
  };
  const int = (name: string): number | undefined | 'bad' => {
    const v = q.get(name);
    if (v === null) return undefined;
    return /^[+-]?\d{1,16}$/.test(v.trim()) ? Number(v.trim()) : 'bad';
  };
  // `tail` is the old name of tailLines; `all` means every line.
  const tail = q.get('tail');
  const tailLines = tail !== null && tail !== '' ? (tail === 'all' ? undefined : int('tail')) : int('tailLines');
  const limitBytes = int('limitBytes');
  const sinceSeconds = int('sinceSeconds');
  if (tailLines === 'bad' || limitBytes === 'bad' || sinceSeconds === 'bad') return undecodable;
  let sinceTime: number | undefined;
  const sinceText = q.get('sinceTime');
  if (sinceText !== null && sinceText !== '') {
    sinceTime = parseRfc3339(sinceText);
    if (sinceTime === undefined) return undecodable;
  }
  const streamText = q.get('stream') ?? 'All';
  if (!['All', 'Stdout', 'Stderr'].includes(streamText)) return badRequest(`invalid stream type "${streamText}"`);
  const invalid: PathError = { kind: 'error', status: 422, message: 'Invalid request.' };
  if (tailLines !== undefined && tailLines < 0) return invalid;
  if (limitBytes !== undefined && limitBytes < 1) return invalid;
  if (sinceSeconds !== undefined && sinceSeconds < 1) return invalid;
  if (sinceSeconds !== undefined && sinceTime !== undefined) return invalid;
  return {
    follow: bool('follow'),
    previous: bool('previous'),
    timestamps: bool('timestamps'),
    ...(tailLines !== undefined ? { tailLines } : {}),
    ...(limitBytes !== undefined ? { limitBytes } : {}),
    ...(sinceSeconds !== undefined ? { sinceSeconds } : {}),
    ...(sinceTime !== undefined ? { sinceTime } : {}),
    stream: streamText as LogStreamChoice,
  };
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

/** An RFC 3339 time (ms since the epoch), or undefined. */
export function parseRfc3339(text: string): number | undefined {
  if (!RFC3339.test(text)) return undefined;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? undefined : ms;
}

function badRequest(message: string): PathError {
  return { kind: 'error', status: 400, message };
}

function notFound(message: string): PathError {
  return { kind: 'error', status: 404, message };
}
