// Validation of probes and lifecycle hooks (kept apart from validate.ts: its own rules).
import { isPortName } from '../names.js';
import type { FieldPath } from './parse.js';
import type { Json, Validator } from './validator.js';

const PROBES = ['livenessProbe', 'readinessProbe', 'startupProbe'] as const;
const PROBE_FIELDS = [
  'exec',
  'httpGet',
  'tcpSocket',
  'grpc',
  'initialDelaySeconds',
  'periodSeconds',
  'timeoutSeconds',
  'successThreshold',
  'failureThreshold',
  'terminationGracePeriodSeconds',
];

export function validateProbesAndHooks(v: Validator, path: FieldPath, c: Json, init: boolean): void {
  for (const kind of PROBES) {
    if (c[kind] === undefined || c[kind] === null) continue;
    if (init) {
      v.problem([...path, kind], `init containers may not have a ${kind}`);
      continue;
    }
    const p = v.object([...path, kind], c[kind], kind);
    if (!p) continue;
    v.knownKeys([...path, kind], p, PROBE_FIELDS);
    handler(v, [...path, kind], p, ['exec', 'httpGet', 'tcpSocket', 'grpc']);
    for (const f of ['initialDelaySeconds', 'timeoutSeconds', 'terminationGracePeriodSeconds'])
      v.integer([...path, kind, f], p[f], f === 'timeoutSeconds' ? 1 : 0);
    for (const f of ['periodSeconds', 'successThreshold', 'failureThreshold']) v.integer([...path, kind, f], p[f], 1);
    if (kind !== 'readinessProbe' && p.successThreshold !== undefined && p.successThreshold !== 1) {
      v.problem([...path, kind, 'successThreshold'], 'must be 1 for liveness and startup probes');
    }
  }
  if (c.lifecycle === undefined || c.lifecycle === null) return;
  if (init) {
    v.problem([...path, 'lifecycle'], 'init containers may not have lifecycle hooks');
    return;
  }
  const lc = v.object([...path, 'lifecycle'], c.lifecycle, 'lifecycle');
  if (!lc) return;
  v.knownKeys([...path, 'lifecycle'], lc, ['postStart', 'preStop', 'stopSignal']);
  if (lc.stopSignal !== undefined) v.problem([...path, 'lifecycle', 'stopSignal'], 'stopSignal is not supported yet');
  for (const hook of ['postStart', 'preStop']) {
    if (lc[hook] === undefined || lc[hook] === null) continue;
    const h = v.object([...path, 'lifecycle', hook], lc[hook], hook);
    if (h) handler(v, [...path, 'lifecycle', hook], h, ['exec', 'httpGet', 'tcpSocket', 'sleep']);
  }
}

/** Exactly one action, each well-formed. */
function handler(v: Validator, path: FieldPath, h: Json, allowed: string[]): void {
  const actions = allowed.filter((a) => h[a] !== undefined && h[a] !== null);
  if (actions.length !== 1) {
    v.problem(
      path,
      `needs exactly one of ${allowed.join(', ')}${actions.length > 1 ? `, found ${actions.join(' and ')}` : ''}`,
    );
    return;
  }
  const action = actions[0]!;
  const ap = [...path, action];
  const a = v.object(ap, h[action], action);
  if (!a) return;
  switch (action) {
    case 'exec':
      v.knownKeys(ap, a, ['command']);
      v.stringArray([...ap, 'command'], a.command);
      if (!Array.isArray(a.command) || a.command.length === 0) v.problem([...ap, 'command'], 'the command is empty');
      break;
    case 'httpGet':
      v.knownKeys(ap, a, ['path', 'port', 'host', 'scheme', 'httpHeaders']);
      port(v, [...ap, 'port'], a.port);
      v.string([...ap, 'path'], a.path, {});
      v.string([...ap, 'host'], a.host, {});
      v.oneOf([...ap, 'scheme'], a.scheme, ['HTTP', 'HTTPS']);
      (v.array([...ap, 'httpHeaders'], a.httpHeaders) ?? []).forEach((item, i) => {
        const hh = v.object([...ap, 'httpHeaders', i], item, 'a header');
        if (!hh) return;
        v.string([...ap, 'httpHeaders', i, 'name'], hh.name, { required: true });
        v.string([...ap, 'httpHeaders', i, 'value'], hh.value, { required: true });
      });
      break;
    case 'tcpSocket':
      v.knownKeys(ap, a, ['port', 'host']);
      port(v, [...ap, 'port'], a.port);
      v.string([...ap, 'host'], a.host, {});
      break;
    case 'sleep':
      v.knownKeys(ap, a, ['seconds']);
      v.integer([...ap, 'seconds'], a.seconds, 0, Number.MAX_SAFE_INTEGER, true);
      break;
    case 'grpc':
      v.problem(ap, 'gRPC probes are not supported yet');
      break;
  }
}

function port(v: Validator, path: FieldPath, value: unknown): void {
  if (typeof value === 'string') {
    if (!isPortName(value)) v.problem(path, `"${value}" is not a port number or a port name`);
    return;
  }
  v.integer(path, value, 1, 65535, true);
}
