// The contract between the kubelet API server (src/runtime/kubelet-api/server.ts) and the route
// sets it serves: the server authenticates and authorizes every request and upgrade (the
// kubelet's mapping of paths to `nodes` subresources), then offers it to each route set in turn.
// A route set answers only the paths it owns and returns false for the rest; the server answers
// 404 when no set takes a request, and closes an upgrade socket that no set takes.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';

export interface KubeletApiRoutes {
  /** Takes the request when the path is one of its own; returns false otherwise. Called after authn+authz. */
  handleRequest(req: IncomingMessage, res: ServerResponse): boolean | Promise<boolean>;
  /** Same for HTTP Upgrade requests (SPDY/WebSocket: exec, attach, portForward). */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean | Promise<boolean>;
}
