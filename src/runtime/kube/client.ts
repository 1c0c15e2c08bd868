// The KubeApi adapter: @kubernetes/client-node 1.4 against a real kube-apiserver, as the node.
//
// Notes on client-node 1.4 that shape this file:
// - The generated APIs take one object parameter plus per-call `ConfigurationOptions`; a call's
//   middleware (appended to the API's own) runs after the request is built and authenticated, so
//   it can set the AbortSignal (the only timeout the generated client has) and override the
//   Content-Type of PATCH calls (the generated default is application/json-patch+json).
// - Watch.watch() has no connect timeout (it builds a 30 s timeout signal and then overwrites it)
//   and only returns its AbortController once the response headers have arrived. So each watch
//   connection gets its own KubeConfig copy that remembers the https.Agent it hands to Watch, and
//   a stuck connection is broken by destroying that agent.
// - Watch hands over the raw JSON objects (timestamps as strings); the list call returns
//   deserialized models (timestamps as Date). Watch objects go through the library's
//   ObjectSerializer so every V1Pod this adapter emits has the same shape.
import type { Agent } from 'node:http';
import {
  ApiException,
  CoordinationV1Api,
  CoreV1Api,
  KubeConfig,
  Observable as ClientObservable,
  PatchStrategy,
  V1MicroTime,
  Watch,
  type ConfigurationOptions,
  type CoreV1Event,
  type ObservableMiddleware,
  type V1Lease,
  type V1Node,
  type V1NodeStatus,
  type V1Pod,
  type V1PodList,
  type V1PodStatus,
} from '@kubernetes/client-node';
// Not re-exported from the package index; the package has no "exports" map, so the deep import
// resolves (pinned to ~1.4.0 in package.json, and tsc checks the path).
import { ObjectSerializer } from '@kubernetes/client-node/dist/gen/models/ObjectSerializer.js';
import { Observable } from 'rxjs';
import { KubeApiError, type KubeApi, type PodWatchEvent } from './types.js';

export interface KubeApiOptions {
  log?: (msg: string) => void;
  /** Deadline of every request (connect + answer + body). Default 15 s. */
  requestTimeoutMs?: number;
  /** Server-side timeoutSeconds of each watch request, after which the watch is renewed. Default 300. */
  watchTimeoutSeconds?: number;
  /**
   * A watch that saw a BOOKMARK (the API server sends one about every minute) and then hears
   * nothing for this long is taken for dead. Default 150 s.
   */
  watchIdleTimeoutMs?: number;
  /** Back-off between watch reconnects: first wait, doubled up to the max. Defaults 1 s and 30 s. */
  backoffInitialMs?: number;
  backoffMaxMs?: number;
}

const DEFAULTS = {
  requestTimeoutMs: 15_000,
  watchTimeoutSeconds: 300,
  watchIdleTimeoutMs: 150_000,
  backoffInitialMs: 1_000,
  backoffMaxMs: 8_000, // an agent waits for its API server briefly: mirrors converge soon after it is back
};

/** A clean server-side close of a watch that lived at least this long is a renewal, not a break. */
const MIN_HEALTHY_WATCH_MS = 5_000;

export function createKubeApi(kubeconfigPath: string, options: KubeApiOptions = {}): KubeApi {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfigPath);
  const cluster = kc.getCurrentCluster();
  if (!cluster) {
    throw new Error(`${kubeconfigPath}: no current cluster (check current-context)`);
  }
  return new ClientNodeKubeApi(kc, cluster.server, options);
}

type Settings = typeof DEFAULTS;

class ClientNodeKubeApi implements KubeApi {
  private readonly core: CoreV1Api;
  private readonly coordination: CoordinationV1Api;
  private readonly closed = new AbortController();
  private readonly inflight = new Set<AbortController>();
  private readonly settings: Settings;
  private readonly log: (msg: string) => void;

  constructor(
    private readonly kc: KubeConfig,
    readonly server: string,
    options: KubeApiOptions,
  ) {
    this.core = kc.makeApiClient(CoreV1Api);
    this.coordination = kc.makeApiClient(CoordinationV1Api);
    this.log = options.log ?? (() => {});
    this.settings = {
      requestTimeoutMs: options.requestTimeoutMs ?? DEFAULTS.requestTimeoutMs,
      watchTimeoutSeconds: options.watchTimeoutSeconds ?? DEFAULTS.watchTimeoutSeconds,
      watchIdleTimeoutMs: options.watchIdleTimeoutMs ?? DEFAULTS.watchIdleTimeoutMs,
      backoffInitialMs: options.backoffInitialMs ?? DEFAULTS.backoffInitialMs,
      backoffMaxMs: options.backoffMaxMs ?? DEFAULTS.backoffMaxMs,
    };
  }

  // ------------------------------------------------------------------ nodes

  async getNode(name: string): Promise<V1Node | undefined> {
    return this.orUndefinedOnNotFound(this.call(`getNode ${name}`, (opts) => this.core.readNode({ name }, opts)));
  }

  createNode(node: V1Node): Promise<V1Node> {
    return this.call(`createNode ${node.metadata?.name ?? '?'}`, (opts) => this.core.createNode({ body: node }, opts));
  }

  async patchNodeStatus(name: string, status: V1NodeStatus): Promise<void> {
    await this.call(
      `patchNodeStatus ${name}`,
      (opts) => this.core.patchNodeStatus({ name, body: { status } }, opts),
      PatchStrategy.StrategicMergePatch,
    );
  }

  // ------------------------------------------------------------------ leases

  async getLease(namespace: string, name: string): Promise<V1Lease | undefined> {
    const lease = await this.orUndefinedOnNotFound(
      this.call(`getLease ${namespace}/${name}`, (opts) =>
        this.coordination.readNamespacedLease({ namespace, name }, opts),
      ),
    );
    return lease && withMicroTimes(lease);
  }

  async createLease(lease: V1Lease): Promise<V1Lease> {
    const { namespace, name } = identify(lease);
    const created = await this.call(`createLease ${namespace}/${name}`, (opts) =>
      this.coordination.createNamespacedLease({ namespace, body: withMicroTimes(lease) }, opts),
    );
    return withMicroTimes(created);
  }

  async replaceLease(lease: V1Lease): Promise<V1Lease> {
    const { namespace, name } = identify(lease);
    const replaced = await this.call(`replaceLease ${namespace}/${name}`, (opts) =>
      this.coordination.replaceNamespacedLease({ namespace, name, body: withMicroTimes(lease) }, opts),
    );
    return withMicroTimes(replaced);
  }

  // ------------------------------------------------------------------ pods

  createPod(pod: V1Pod): Promise<V1Pod> {
    const { namespace, name } = identify(pod);
    return this.call(`createPod ${namespace}/${name}`, (opts) =>
      this.core.createNamespacedPod({ namespace, body: pod }, opts),
    );
  }

  async deletePod(namespace: string, name: string, uid: string): Promise<void> {
    try {
      await this.call(`deletePod ${namespace}/${name}`, (opts) =>
        this.core.deleteNamespacedPod(
          { namespace, name, body: { gracePeriodSeconds: 0, preconditions: { uid } } },
          opts,
        ),
      );
    } catch (err) {
      if (err instanceof KubeApiError && err.status === 404) return;
      throw err;
    }
  }

  async patchPodStatus(namespace: string, name: string, status: V1PodStatus): Promise<void> {
    await this.call(
      `patchPodStatus ${namespace}/${name}`,
      (opts) => this.core.patchNamespacedPodStatus({ namespace, name, body: { status } }, opts),
      PatchStrategy.MergePatch,
    );
  }

  // ------------------------------------------------------------------ events

  async createEvent(namespace: string, event: CoreV1Event): Promise<void> {
    await this.call(`createEvent ${namespace}/${event.metadata?.name ?? event.metadata?.generateName ?? '?'}`, (opts) =>
      this.core.createNamespacedEvent({ namespace, body: eventWithMicroTimes(event) }, opts),
    );
  }

  // ------------------------------------------------------------------ watch

  watchNodePods(nodeName: string): Observable<PodWatchEvent> {
    return new Observable<PodWatchEvent>((subscriber) => {
      const watcher = new NodePodWatcher(this, nodeName, this.settings, this.log, {
        next: (ev) => subscriber.next(ev),
        complete: () => subscriber.complete(),
      });
      watcher.start();
      return () => watcher.stop();
    });
  }

  close(): void {
    this.closed.abort();
    for (const c of this.inflight) c.abort();
    this.inflight.clear();
  }

  // ------------------------------------------------------------------ plumbing (also for the watcher)

  get closedSignal(): AbortSignal {
    return this.closed.signal;
  }

  listNodePods(nodeName: string, signal: AbortSignal): Promise<V1PodList> {
    return this.call(
      `listPods spec.nodeName=${nodeName}`,
      (opts) => this.core.listPodForAllNamespaces({ fieldSelector: `spec.nodeName=${nodeName}` }, opts),
      undefined,
      signal,
    );
  }

  /**
   * A KubeConfig like ours whose fetch options' agent is remembered, so a watch connection can be
   * destroyed even before Watch.watch() has handed back its AbortController.
   */
  watchConfig(): { config: KubeConfig; agents: Agent[] } {
    const agents: Agent[] = [];
    const config = new AgentRecordingKubeConfig(agents);
    config.loadFromOptions({
      clusters: this.kc.clusters,
      users: this.kc.users,
      contexts: this.kc.contexts,
      currentContext: this.kc.currentContext,
    });
    return { config, agents };
  }

  /**
   * Runs one API call with a deadline (an AbortSignal given to node-fetch through a per-call
   * middleware, plus a timer in case anything ignores it) and maps every failure to KubeApiError.
   */
  private async call<T>(
    operation: string,
    run: (opts: ConfigurationOptions) => Promise<T>,
    contentType?: PatchStrategy,
    extraSignal?: AbortSignal,
  ): Promise<T> {
    const timeoutMs = this.settings.requestTimeoutMs;
    if (this.closed.signal.aborted) {
      throw new KubeApiError(operation, 0, 'Aborted', 'the Kubernetes API client is closed');
    }
    // One controller per call, aborted by the deadline, by close() (through `inflight`) or by the
    // caller's signal. (No AbortSignal.any on the long-lived signals: listeners would pile up.)
    const controller = new AbortController();
    let timedOut = false;
    const abortByCaller = () => controller.abort();
    extraSignal?.addEventListener('abort', abortByCaller, { once: true });
    if (extraSignal?.aborted) controller.abort();
    this.inflight.add(controller);
    const middleware: ObservableMiddleware = {
      pre: (ctx) => {
        ctx.setSignal(controller.signal);
        if (contentType) ctx.setHeaderParam('Content-Type', contentType);
        return new ClientObservable(Promise.resolve(ctx));
      },
      post: (rsp) => new ClientObservable(Promise.resolve(rsp)),
    };
    let timer: NodeJS.Timeout | undefined;
    let backstop: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        timedOut = true;
        controller.abort();
      }, timeoutMs);
      // Should anything not honour the abort, give up on the call a second later anyway.
      backstop = setTimeout(() => reject(new Error('the request did not stop when aborted')), timeoutMs + 1_000);
    });
    try {
      return await Promise.race([run({ middleware: [middleware], middlewareMergeStrategy: 'append' }), deadline]);
    } catch (err) {
      if (timedOut) {
        throw new KubeApiError(operation, 0, 'Timeout', `no answer from ${this.server} within ${timeoutMs / 1000}s`);
      }
      if (controller.signal.aborted) {
        throw new KubeApiError(operation, 0, 'Aborted', 'request aborted (client closed or watch stopped)');
      }
      throw toKubeApiError(operation, err);
    } finally {
      clearTimeout(timer);
      clearTimeout(backstop);
      extraSignal?.removeEventListener('abort', abortByCaller);
      this.inflight.delete(controller);
    }
  }

  private async orUndefinedOnNotFound<T>(p: Promise<T>): Promise<T | undefined> {
    try {
      return await p;
    } catch (err) {
      if (err instanceof KubeApiError && err.status === 404) return undefined;
      throw err;
    }
  }
}

class AgentRecordingKubeConfig extends KubeConfig {
  constructor(private readonly agents: Agent[]) {
    super();
  }

  override async applyToFetchOptions(
    opts: Parameters<KubeConfig['applyToFetchOptions']>[0],
  ): ReturnType<KubeConfig['applyToFetchOptions']> {
    const init = await super.applyToFetchOptions(opts);
    const agent: unknown = init.agent;
    if (agent && typeof agent === 'object' && typeof (agent as Agent).destroy === 'function') {
      this.agents.push(agent as Agent);
    }
    return init;
  }
}

// ------------------------------------------------------------------ the list+watch loop

interface WatchSink {
  next(ev: PodWatchEvent): void;
  complete(): void;
}

/** One watch connection's state; `ended` makes every late callback of it a no-op. */
interface Connection {
  ended: boolean;
  openedAt: number;
  controller?: AbortController;
  agents: Agent[];
  timers: NodeJS.Timeout[];
  idleTimer?: NodeJS.Timeout;
}

class NodePodWatcher {
  private stopped = false;
  private backoffMs: number;
  private retryTimer: NodeJS.Timeout | undefined;
  private conn: Connection | undefined;
  /** Aborts a list in flight when the subscriber goes away. */
  private readonly stopController = new AbortController();
  private resourceVersion = '';
  private readonly onClosed = () => {
    this.stop();
    this.sink.complete();
  };

  constructor(
    private readonly api: ClientNodeKubeApi,
    private readonly nodeName: string,
    private readonly settings: Settings,
    private readonly log: (msg: string) => void,
    private readonly sink: WatchSink,
  ) {
    this.backoffMs = settings.backoffInitialMs;
  }

  start(): void {
    if (this.api.closedSignal.aborted) {
      this.sink.complete();
      return;
    }
    this.api.closedSignal.addEventListener('abort', this.onClosed, { once: true });
    void this.listThenWatch();
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.api.closedSignal.removeEventListener('abort', this.onClosed);
    this.stopController.abort();
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    if (this.conn) this.endConnection(this.conn);
  }

  private async listThenWatch(): Promise<void> {
    if (this.stopped) return;
    let list: V1PodList;
    try {
      list = await this.api.listNodePods(this.nodeName, this.stopController.signal);
    } catch (err) {
      if (this.stopped) return;
      this.broken(`cannot list the pods of node ${this.nodeName}: ${errorMessage(err)}`);
      return;
    }
    if (this.stopped) return;
    this.backoffMs = this.settings.backoffInitialMs;
    this.resourceVersion = list.metadata?.resourceVersion ?? '';
    this.sink.next({ kind: 'listed', pods: list.items });
    await this.watch();
  }

  /** Opens one watch connection from this.resourceVersion. */
  private async watch(): Promise<void> {
    if (this.stopped) return;
    const { config, agents } = this.api.watchConfig();
    const conn: Connection = { ended: false, openedAt: Date.now(), agents, timers: [] };
    this.conn = conn;
    const { requestTimeoutMs, watchTimeoutSeconds } = this.settings;

    // No response headers in time: the server is not answering.
    conn.timers.push(
      setTimeout(() => {
        if (!conn.controller) {
          this.connectionBroken(conn, `no answer to the watch request within ${requestTimeoutMs / 1000}s`);
        }
      }, requestTimeoutMs),
    );
    // The server ends the watch after timeoutSeconds; if it has not, it is stuck.
    conn.timers.push(
      setTimeout(
        () =>
          this.connectionBroken(
            conn,
            `the watch outlived its ${watchTimeoutSeconds}s server timeout; the API server seems stuck`,
          ),
        watchTimeoutSeconds * 1000 + requestTimeoutMs,
      ),
    );

    const path = '/api/v1/pods';
    const query = {
      fieldSelector: `spec.nodeName=${this.nodeName}`,
      resourceVersion: this.resourceVersion,
      allowWatchBookmarks: true,
      timeoutSeconds: watchTimeoutSeconds,
    };
    try {
      const controller = await new Watch(config).watch(
        path,
        query,
        (type: string, obj: unknown) => this.onEvent(conn, type, obj),
        (err: unknown) => this.onDone(conn, err),
      );
      if (conn.ended) {
        controller.abort();
      } else {
        conn.controller = controller;
      }
    } catch (err) {
      // Watch.watch() throws only before it sends anything (e.g. no current cluster).
      this.connectionBroken(conn, `cannot start the watch: ${errorMessage(err)}`);
    }
  }

  private onEvent(conn: Connection, type: string, obj: unknown): void {
    if (conn.ended || this.stopped) return;
    switch (type) {
      case 'ADDED':
      case 'MODIFIED':
      case 'DELETED': {
        const pod = ObjectSerializer.deserialize(obj, 'V1Pod', '') as V1Pod;
        const rv = pod.metadata?.resourceVersion;
        if (rv) this.resourceVersion = rv;
        const kind = type === 'ADDED' ? 'added' : type === 'MODIFIED' ? 'modified' : 'deleted';
        this.sink.next({ kind, pod });
        break;
      }
      case 'BOOKMARK': {
        const rv = readString(obj, 'metadata', 'resourceVersion');
        if (rv) this.resourceVersion = rv;
        this.armIdleTimer(conn);
        return;
      }
      case 'ERROR': {
        const code = readNumber(obj, 'code');
        const reason = readString(obj, 'reason') ?? '';
        const message = readString(obj, 'message') ?? 'no message';
        if (code === 410) {
          this.connectionBroken(conn, `watch expired (410 Gone, ${reason}): ${message}`);
        } else {
          this.connectionBroken(conn, `watch error from the API server (${code ?? '?'} ${reason}): ${message}`);
        }
        return;
      }
      default:
        this.log(`kube watch: ignoring event type ${type}`);
        return;
    }
    if (conn.idleTimer) this.armIdleTimer(conn);
  }

  /** Armed by the first BOOKMARK (proof that the server sends them) and re-armed by every event. */
  private armIdleTimer(conn: Connection): void {
    clearTimeout(conn.idleTimer);
    const ms = this.settings.watchIdleTimeoutMs;
    conn.idleTimer = setTimeout(
      () => this.connectionBroken(conn, `no watch event or bookmark for ${ms / 1000}s; the connection seems dead`),
      ms,
    );
  }

  private onDone(conn: Connection, err: unknown): void {
    if (conn.ended || this.stopped) return;
    if (err) {
      this.connectionBroken(conn, `watch connection failed: ${errorMessage(err)}`);
      return;
    }
    const lived = Date.now() - conn.openedAt;
    if (lived >= MIN_HEALTHY_WATCH_MS) {
      // The normal end of a watch (its timeoutSeconds ran out, or a server going away): carry on
      // from the last resourceVersion; if that fails, the next attempt reports the break.
      this.endConnection(conn);
      this.log(
        `kube watch: the API server ended the watch after ${Math.round(lived / 1000)}s; renewing from resourceVersion ${this.resourceVersion}`,
      );
      void this.watch();
      return;
    }
    this.connectionBroken(conn, `the API server closed the watch after ${lived}ms`);
  }

  private connectionBroken(conn: Connection, message: string): void {
    if (conn.ended || this.stopped) return;
    this.endConnection(conn);
    this.broken(message);
  }

  private endConnection(conn: Connection): void {
    conn.ended = true;
    for (const t of conn.timers) clearTimeout(t);
    clearTimeout(conn.idleTimer);
    conn.controller?.abort();
    for (const agent of conn.agents) agent.destroy();
    if (this.conn === conn) this.conn = undefined;
  }

  /** Reports the break, then lists again after the back-off. */
  private broken(message: string): void {
    if (this.stopped) return;
    const wait = this.backoffMs;
    this.backoffMs = Math.min(this.backoffMs * 2, this.settings.backoffMaxMs);
    this.log(`kube watch of node ${this.nodeName} pods: ${message}; listing again in ${wait / 1000}s`);
    this.sink.next({ kind: 'disconnected', message });
    if (this.stopped) return; // the subscriber may have left on that event
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      void this.listThenWatch();
    }, wait);
  }
}

// ------------------------------------------------------------------ helpers

// MicroTime fields (Lease acquire/renewTime, Event eventTime/series.lastObservedTime): the API
// server only parses them with exactly six fractional digits ("...05.000000Z"), but a plain Date
// serializes with three ("parsing time ... as \"2006-01-02T15:04:05.000000Z07:00\": cannot parse
// \".689Z\" as \".000000\""). client-node's V1MicroTime serializes right; its deserializer does not
// know the type and leaves the string. So: V1MicroTime instances both ways.
function toMicroTime(v: Date | string | undefined): V1MicroTime | undefined {
  if (v === undefined || v instanceof V1MicroTime) return v;
  const t = new V1MicroTime(v instanceof Date ? v.getTime() : v);
  return Number.isNaN(t.getTime()) ? undefined : t;
}

function withMicroTimes(lease: V1Lease): V1Lease {
  const spec = lease.spec;
  if (!spec) return lease;
  // (As read back, these are strings whatever the declared type says.)
  const acquireTime = toMicroTime(spec.acquireTime as Date | string | undefined);
  const renewTime = toMicroTime(spec.renewTime as Date | string | undefined);
  return {
    ...lease,
    spec: { ...spec, ...(acquireTime ? { acquireTime } : {}), ...(renewTime ? { renewTime } : {}) },
  };
}

function eventWithMicroTimes(event: CoreV1Event): CoreV1Event {
  const eventTime = toMicroTime(event.eventTime);
  const lastObservedTime = toMicroTime(event.series?.lastObservedTime);
  return {
    ...event,
    ...(eventTime ? { eventTime } : {}),
    ...(event.series ? { series: { ...event.series, ...(lastObservedTime ? { lastObservedTime } : {}) } } : {}),
  };
}

function identify(obj: { metadata?: { namespace?: string; name?: string } }): { namespace: string; name: string } {
  return { namespace: obj.metadata?.namespace ?? 'default', name: obj.metadata?.name ?? '' };
}

function readString(obj: unknown, ...path: string[]): string | undefined {
  const v = readPath(obj, path);
  return typeof v === 'string' ? v : undefined;
}

function readNumber(obj: unknown, ...path: string[]): number | undefined {
  const v = readPath(obj, path);
  return typeof v === 'number' ? v : undefined;
}

function readPath(obj: unknown, path: string[]): unknown {
  let cur = obj;
  for (const key of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur;
}

function errorMessage(err: unknown): string {
  if (err instanceof KubeApiError) return err.message;
  if (err instanceof Error) {
    const status = readNumber(err, 'statusCode');
    return status ? `HTTP ${status} ${err.message}` : err.message;
  }
  return String(err);
}

/** ApiException (HTTP answer) → its status and Status reason; anything else (network) → status 0. */
function toKubeApiError(operation: string, err: unknown): KubeApiError {
  if (err instanceof KubeApiError) return err;
  if (err instanceof ApiException) {
    const code = typeof err.code === 'number' ? err.code : 0;
    const status = parseStatusBody(err.body);
    const reason = status.reason ?? (code === 401 ? 'Unauthorized' : '');
    const message = status.message ?? `HTTP ${code}: ${firstLine(err.message)}`;
    return new KubeApiError(operation, code, reason, message);
  }
  if (err instanceof Error) {
    // node-fetch FetchError: code ECONNREFUSED, ECONNRESET, ...
    const code = readString(err, 'code') ?? '';
    return new KubeApiError(operation, 0, code, err.message);
  }
  return new KubeApiError(operation, 0, '', String(err));
}

function parseStatusBody(body: unknown): { reason?: string; message?: string } {
  let obj: unknown = body;
  if (typeof body === 'string') {
    try {
      obj = JSON.parse(body);
    } catch {
      return body.trim() ? { message: firstLine(body) } : {};
    }
  } else if (Buffer.isBuffer(body)) {
    return parseStatusBody(body.toString('utf8'));
  }
  const reason = readString(obj, 'reason');
  const message = readString(obj, 'message');
  return { ...(reason ? { reason } : {}), ...(message ? { message } : {}) };
}

function firstLine(s: string): string {
  const line = s.split('\n', 1)[0] ?? '';
  return line.length > 300 ? `${line.slice(0, 300)}…` : line;
}
