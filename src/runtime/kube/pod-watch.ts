// The node's pods from the API server: list the pods with `spec.nodeName=<node>`, then watch them
// from the list's resourceVersion, renewing the watch when the server ends it and listing again
// (after a back-off) when it breaks.
//
// client-node 1.4's Watch.watch() has no connect timeout (it builds a 30 s timeout signal and then
// overwrites it) and only returns its AbortController once the response headers have arrived. So
// each watch connection gets its own KubeConfig copy that remembers the https.Agent it hands to
// Watch, and a stuck connection is broken by destroying that agent.
import type { Agent } from 'node:http';
import { KubeConfig, Watch, type V1PodList } from '@kubernetes/client-node';
import { Observable } from 'rxjs';
import type { PodWatchEvent } from './types.js';
import { errorMessage } from './rest.js';
import { podFromWatch, readNumber, readString } from './wire.js';

export interface PodWatchSettings {
  /** Deadline of the watch request's response headers. */
  readonly requestTimeoutMs: number;
  /**
   * The shortest server-side timeoutSeconds of a watch request, after which the watch is renewed;
   * each request asks for a random time between this and twice it (watchTimeoutFor).
   */
  readonly watchTimeoutSeconds: number;
  /** A watch that saw a BOOKMARK and then hears nothing for this long is taken for dead. */
  readonly watchIdleTimeoutMs: number;
  /** Back-off between watch reconnects: first wait, doubled up to the max. */
  readonly backoffInitialMs: number;
  readonly backoffMaxMs: number;
}

/** What the watch needs of the client. */
export interface PodWatchClient {
  /** Aborted when the client is closed: the watch then completes. */
  readonly closedSignal: AbortSignal;
  /** The client's configuration, copied for each watch connection. */
  readonly kubeConfig: KubeConfig;
  /** The User-Agent of the watch requests too. */
  readonly userAgent?: string;
  listNodePods(nodeName: string, signal: AbortSignal): Promise<V1PodList>;
}

/**
 * One watch request's timeoutSeconds: between the shortest and twice it, as the kubelet's
 * reflectors ask (5 to 10 minutes), so the renewals of a fleet's watches spread out instead of
 * coming every 5 minutes on the dot. `random` is in [0, 1).
 */
export function watchTimeoutFor(shortestSeconds: number, random: number): number {
  return Math.floor(shortestSeconds * (1 + random));
}

/** A clean server-side close of a watch that lived at least this long is a renewal, not a break. */
const MIN_HEALTHY_WATCH_MS = 5_000;

export function watchNodePods(
  client: PodWatchClient,
  nodeName: string,
  settings: PodWatchSettings,
  log: (msg: string) => void,
): Observable<PodWatchEvent> {
  return new Observable<PodWatchEvent>((subscriber) => {
    const watcher = new NodePodWatcher(client, nodeName, settings, log, {
      next: (ev) => subscriber.next(ev),
      complete: () => subscriber.complete(),
    });
    watcher.start();
    return () => watcher.stop();
  });
}

/**
 * A KubeConfig like the client's whose fetch options' agent is remembered, so a watch connection
 * can be destroyed even before Watch.watch() has handed back its AbortController.
 */
function watchConfig(kc: KubeConfig, userAgent?: string): { config: KubeConfig; agents: Agent[] } {
  const agents: Agent[] = [];
  const config = new AgentRecordingKubeConfig(agents, userAgent);
  config.loadFromOptions({
    clusters: kc.clusters,
    users: kc.users,
    contexts: kc.contexts,
    currentContext: kc.currentContext,
  });
  return { config, agents };
}

class AgentRecordingKubeConfig extends KubeConfig {
  constructor(
    private readonly agents: Agent[],
    private readonly userAgent?: string,
  ) {
    super();
  }

  override async applyToFetchOptions(
    opts: Parameters<KubeConfig['applyToFetchOptions']>[0],
  ): ReturnType<KubeConfig['applyToFetchOptions']> {
    const init = await super.applyToFetchOptions(opts);
    const headers: unknown = init.headers;
    if (this.userAgent && headers && typeof (headers as Headers).set === 'function')
      (headers as Headers).set('User-Agent', this.userAgent);
    const agent: unknown = init.agent;
    if (agent && typeof agent === 'object' && typeof (agent as Agent).destroy === 'function') {
      this.agents.push(agent as Agent);
    }
    return init;
  }
}

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
    private readonly api: PodWatchClient,
    private readonly nodeName: string,
    private readonly settings: PodWatchSettings,
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
    const { config, agents } = watchConfig(this.api.kubeConfig, this.api.userAgent);
    const conn: Connection = { ended: false, openedAt: Date.now(), agents, timers: [] };
    this.conn = conn;
    const { requestTimeoutMs } = this.settings;
    const watchTimeoutSeconds = watchTimeoutFor(this.settings.watchTimeoutSeconds, Math.random());

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
        const pod = podFromWatch(obj);
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
