// The kubelet port's pod-access routes: /containerLogs, /exec, /attach, /portForward and /run,
// for the static pods of this node only (found in the agent's latest state; anything else is
// 404). Exec, attach and port-forward do as the kubelet does: the CRI call gives a URL on the
// runtime's streaming server, and the client's upgrade request is proxied there (stream-proxy.ts).
// The server in front (server.ts) has authenticated and authorized each request.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { CriError, type CriRuntime } from '../../cri-api/runtime-service.js';
import type { State } from '../../core/model/state.js';
import type { StaticPod } from '../../core/model/static-pod.js';
import {
  parsePodAccess,
  podAccessKind,
  type PathError,
  type PodAccessRequest,
} from '../../core/serving/kubelet-paths.js';
import {
  checkContainerName,
  findStaticPod,
  readySandbox,
  runningContainer,
  type Lookup,
} from '../../core/serving/pod-access.js';
import type { Logger } from '../logger.js';
import { PodLogsError } from '../pod-logs/layout.js';
import { chooseLogSource, writeContainerLog } from './container-logs.js';
import type { KubeletApiRoutes } from './routes.js';
import { StreamProxy, writeRawError } from './stream-proxy.js';

export interface PodAccessDeps {
  readonly cri: Pick<CriRuntime, 'exec' | 'attach' | 'portForward' | 'execSync'>;
  /** The agent's latest state (LoopView's); undefined before the loop's first step. */
  readonly state: () => State | undefined;
  readonly podLogsDir: string;
  readonly log?: Logger;
}

/** How long /run lets its command run: the runtime kills it then. */
export const RUN_TIMEOUT_SECONDS = 60;

/** What a request asks of the runtime, once its pod and container are found. */
type Resolved =
  | {
      kind: 'containerLogs';
      req: Extract<PodAccessRequest, { kind: 'containerLogs' }>;
      pod: StaticPod;
      state: State;
    }
  | { kind: 'stream'; url: () => Promise<string> }
  | { kind: 'run'; containerId: string; cmd: readonly string[] };

export interface PodAccessRoutes extends KubeletApiRoutes {
  /** Ends every log stream and proxied session (the agent's shutdown). */
  close(): void;
}

export function createPodAccessRoutes(deps: PodAccessDeps): PodAccessRoutes {
  const proxy = new StreamProxy();
  const stopped = new AbortController();

  function resolve(r: PodAccessRequest): Resolved | PathError {
    const state = deps.state();
    const pod = found(findStaticPod(state, r));
    if ('kind' in pod) return pod;
    const s = state!;
    switch (r.kind) {
      case 'containerLogs': {
        const name = found(checkContainerName(pod.found, r.container));
        return 'kind' in name ? name : { kind: 'containerLogs', req: r, pod: pod.found, state: s };
      }
      case 'exec':
      case 'attach': {
        const c = found(runningContainer(s, pod.found, r.container));
        if ('kind' in c) return c;
        const containerId = c.found.id;
        return {
          kind: 'stream',
          url:
            r.kind === 'exec'
              ? () => deps.cri.exec({ containerId, cmd: r.cmd, ...r.streams })
              : () => deps.cri.attach({ containerId, ...r.streams }),
        };
      }
      case 'portForward': {
        const sb = found(readySandbox(s, pod.found));
        return 'kind' in sb ? sb : { kind: 'stream', url: () => deps.cri.portForward(sb.found.id, r.ports) };
      }
      case 'run': {
        const c = found(runningContainer(s, pod.found, r.container));
        return 'kind' in c ? c : { kind: 'run', containerId: c.found.id, cmd: r.cmd };
      }
    }
  }

  async function handleRequest(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    const url = requestUrl(req);
    const parsed = parsePodAccess(req.method ?? 'GET', url);
    if (!parsed) return false;
    const r = parsed.kind === 'error' ? parsed : resolve(parsed);
    if (r.kind === 'error') {
      answer(res, r.status, r.message);
      return true;
    }
    try {
      if (r.kind === 'stream') answer(res, 400, 'Upgrade request required');
      else if (r.kind === 'run') await run(res, r.containerId, r.cmd);
      else await containerLogs(res, r);
    } catch (err) {
      deps.log?.warn({ err, path: url.pathname }, 'kubelet port: request failed');
      if (!res.headersSent) answer(res, 500, (err as Error).message);
      else res.destroy();
    }
    return true;
  }

  async function handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<boolean> {
    const url = requestUrl(req);
    if (!podAccessKind(url.pathname)) return false;
    const parsed = parsePodAccess(req.method ?? 'GET', url);
    if (!parsed) return false;
    const r = parsed.kind === 'error' ? parsed : resolve(parsed);
    if (r.kind === 'error') {
      writeRawError(socket, r.status, r.message);
      return true;
    }
    if (r.kind !== 'stream') {
      writeRawError(socket, 400, `${url.pathname.split('/')[1]} is not a streaming path: no upgrade`);
      return true;
    }
    let target: URL;
    try {
      target = new URL(await r.url());
    } catch (err) {
      // The kubelet's mapping of the runtime's error (streaming.WriteError).
      const code = err instanceof CriError ? err.code : undefined;
      if (code === 'RESOURCE_EXHAUSTED') writeRawError(socket, 429, (err as Error).message, { 'Retry-After': '60' });
      else writeRawError(socket, code === 'NOT_FOUND' ? 404 : 500, (err as Error).message);
      return true;
    }
    await proxy.proxy(req, socket, head, target);
    return true;
  }

  async function containerLogs(res: ServerResponse, r: Extract<Resolved, { kind: 'containerLogs' }>): Promise<void> {
    let chosen;
    try {
      chosen = await chooseLogSource(r.state, deps.podLogsDir, {
        pod: r.pod,
        container: r.req.container,
        log: r.req.log,
      });
    } catch (err) {
      if (err instanceof PodLogsError) return answer(res, 400, err.message);
      throw err;
    }
    if ('status' in chosen) return answer(res, chosen.status, chosen.message);
    const id = chosen.containerId;
    const stillRunning = () => {
      const c = id === undefined ? undefined : deps.state()?.runtime.containers.get(id);
      return c?.state === 'running' || c?.state === 'created';
    };
    await writeContainerLog(res, chosen.source, r.req.log, stillRunning, stopped.signal);
  }

  async function run(res: ServerResponse, containerId: string, cmd: readonly string[]): Promise<void> {
    let result;
    try {
      result = await deps.cri.execSync(containerId, [...cmd], RUN_TIMEOUT_SECONDS);
    } catch (err) {
      return answer(res, 500, (err as Error).message);
    }
    if (result.exitCode !== 0)
      return answer(
        res,
        500,
        `command '${cmd.join(' ')}' exited with ${result.exitCode}: ${result.stderr.toString('utf8')}`,
      );
    const body = Buffer.concat([result.stdout, result.stderr]);
    res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': body.length });
    res.end(body);
  }

  return {
    handleRequest,
    handleUpgrade,
    close() {
      stopped.abort();
      proxy.close();
    },
  };
}

function found<T>(l: Lookup<T>): { found: T } | PathError {
  return 'found' in l ? l : { kind: 'error', status: l.status, message: l.message };
}

/** The request's path and query (a path like `//x` is a path here, not a host). */
function requestUrl(req: IncomingMessage): URL {
  const path = req.url ?? '/';
  return new URL(`http://kubelet.invalid${path.startsWith('/') ? path : `/${path}`}`);
}

function answer(res: ServerResponse, status: number, message: string): void {
  const body = Buffer.from(message + '\n');
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': body.length });
  res.end(body);
}
