// The --config file: a KubeletConfiguration (kubelet.config.k8s.io/v1beta1). The fields that
// matter to static pods are read; the others are accepted (a real kubelet config has many) and
// listed once at start, so nobody thinks they took effect.
import { readFile } from 'node:fs/promises';
import type { V1Taint } from '@kubernetes/client-node';
import { parseManifestText, formatFieldPath } from '../core/manifest/parse.js';
import { parseDuration } from './duration.js';
import { taintProblem } from './node-registration.js';

export interface ConfigFileSettings {
  staticPodPath?: string;
  staticPodURL?: string;
  staticPodURLHeader?: Record<string, string[]>;
  fileCheckFrequencyMs?: number;
  httpCheckFrequencyMs?: number;
  nodeStatusUpdateFrequencyMs?: number;
  nodeStatusReportFrequencyMs?: number;
  containerRuntimeEndpoint?: string;
  clusterDNS?: string[];
  clusterDomain?: string;
  podLogsDir?: string;
  registerWithTaints?: V1Taint[];
  registerNode?: boolean;
  healthzBindAddress?: string;
  healthzPort?: number;
  /** The kubelet API (see cli/kubelet-api-settings.ts). */
  port?: number;
  address?: string;
  tlsCertFile?: string;
  tlsPrivateKeyFile?: string;
  serverTLSBootstrap?: boolean;
  clientCAFile?: string;
  authenticationWebhookEnabled?: boolean;
  authenticationWebhookCacheTtlMs?: number;
  anonymousAuthEnabled?: boolean;
  authorizationMode?: string;
  authorizationWebhookCacheAuthorizedTtlMs?: number;
  authorizationWebhookCacheUnauthorizedTtlMs?: number;
  /** Fields present in the file that staticlet does not use. */
  ignored: string[];
}

const USED = new Set([
  'apiVersion',
  'kind',
  'staticPodPath',
  'staticPodURL',
  'staticPodURLHeader',
  'fileCheckFrequency',
  'httpCheckFrequency',
  'nodeStatusUpdateFrequency',
  'nodeStatusReportFrequency',
  'containerRuntimeEndpoint',
  'clusterDNS',
  'clusterDomain',
  'podLogsDir',
  'registerWithTaints',
  'registerNode',
  'healthzBindAddress',
  'healthzPort',
  'port',
  'address',
  'tlsCertFile',
  'tlsPrivateKeyFile',
  'serverTLSBootstrap',
  'authentication',
  'authorization',
]);

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export async function readConfigFile(path: string): Promise<ConfigFileSettings> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`--config ${path}: ${(err as Error).message}`);
  }
  return parseConfigText(text, path);
}

export function parseConfigText(text: string, path: string): ConfigFileSettings {
  const parsed = parseManifestText(text, path);
  if (!parsed.ok) {
    const p = parsed.problems[0]!;
    throw new ConfigError(`${path}:${p.line ?? '?'}: ${p.message}`);
  }
  const doc = parsed.documents[0];
  if (!doc || parsed.documents.length !== 1)
    throw new ConfigError(`${path}: expected one KubeletConfiguration document`);
  const fail = (field: (string | number)[], message: string): never => {
    const at = doc.locate(field);
    throw new ConfigError(`${path}:${at?.line ?? '?'}: ${formatFieldPath(field)}: ${message}`);
  };
  const v = doc.value;
  if (v === null || typeof v !== 'object' || Array.isArray(v)) fail([], 'must be a mapping');
  const obj = v as Record<string, unknown>;
  if (obj.kind !== 'KubeletConfiguration')
    fail(['kind'], `must be "KubeletConfiguration", found ${JSON.stringify(obj.kind)}`);
  if (obj.apiVersion !== 'kubelet.config.k8s.io/v1beta1')
    fail(['apiVersion'], `must be "kubelet.config.k8s.io/v1beta1", found ${JSON.stringify(obj.apiVersion)}`);

  const str = (key: string): string | undefined => {
    const val = obj[key];
    if (val === undefined || val === null) return undefined;
    if (typeof val !== 'string') fail([key], 'must be a string');
    return val as string;
  };
  const duration = (key: string): number | undefined => {
    const s = str(key);
    if (s === undefined) return undefined;
    const ms = parseDuration(s);
    if (ms instanceof Error) fail([key], ms.message);
    return ms as number;
  };
  const positiveDuration = (key: string): number | undefined => {
    const ms = duration(key);
    if (ms !== undefined && ms <= 0) fail([key], 'must be more than zero');
    return ms;
  };
  const out: ConfigFileSettings = { ignored: Object.keys(obj).filter((k) => !USED.has(k)) };
  const set = <K extends keyof ConfigFileSettings>(key: K, value: ConfigFileSettings[K] | undefined) => {
    if (value !== undefined) out[key] = value;
  };
  set('staticPodPath', str('staticPodPath'));
  set('staticPodURL', str('staticPodURL'));
  set('containerRuntimeEndpoint', str('containerRuntimeEndpoint'));
  set('clusterDomain', str('clusterDomain'));
  set('podLogsDir', str('podLogsDir'));
  set('healthzBindAddress', str('healthzBindAddress'));
  if (obj.healthzPort !== undefined && obj.healthzPort !== null) {
    if (typeof obj.healthzPort !== 'number' || !Number.isInteger(obj.healthzPort))
      fail(['healthzPort'], 'must be a whole number (0 turns the endpoint off)');
    out.healthzPort = obj.healthzPort as number;
  }
  set('address', str('address'));
  set('tlsCertFile', str('tlsCertFile'));
  set('tlsPrivateKeyFile', str('tlsPrivateKeyFile'));
  if (obj.port !== undefined && obj.port !== null) {
    if (typeof obj.port !== 'number' || !Number.isInteger(obj.port) || obj.port < 0 || obj.port > 65535)
      fail(['port'], 'must be a port number (0 turns the kubelet API off)');
    out.port = obj.port as number;
  }
  if (obj.serverTLSBootstrap !== undefined && obj.serverTLSBootstrap !== null) {
    if (typeof obj.serverTLSBootstrap !== 'boolean') fail(['serverTLSBootstrap'], 'must be true or false');
    out.serverTLSBootstrap = obj.serverTLSBootstrap as boolean;
  }
  readAuthSections(obj, out, fail);
  set('fileCheckFrequencyMs', duration('fileCheckFrequency'));
  set('httpCheckFrequencyMs', duration('httpCheckFrequency'));
  set('nodeStatusUpdateFrequencyMs', positiveDuration('nodeStatusUpdateFrequency'));
  // As the kubelet's defaulting: a file that sets nodeStatusUpdateFrequency but not
  // nodeStatusReportFrequency reports at that frequency (its behaviour before node leases).
  set('nodeStatusReportFrequencyMs', positiveDuration('nodeStatusReportFrequency') ?? out.nodeStatusUpdateFrequencyMs);
  if (obj.clusterDNS !== undefined && obj.clusterDNS !== null) {
    if (!Array.isArray(obj.clusterDNS) || obj.clusterDNS.some((s) => typeof s !== 'string'))
      fail(['clusterDNS'], 'must be a list of IP addresses');
    out.clusterDNS = obj.clusterDNS as string[];
  }
  if (obj.registerNode !== undefined && obj.registerNode !== null) {
    if (typeof obj.registerNode !== 'boolean') fail(['registerNode'], 'must be true or false');
    out.registerNode = obj.registerNode as boolean;
  }
  if (obj.registerWithTaints !== undefined && obj.registerWithTaints !== null)
    out.registerWithTaints = taintList(obj.registerWithTaints, fail);
  if (obj.staticPodURLHeader !== undefined && obj.staticPodURLHeader !== null) {
    const h = obj.staticPodURLHeader;
    if (typeof h !== 'object' || Array.isArray(h))
      fail(['staticPodURLHeader'], 'must map header names to lists of values');
    const headers: Record<string, string[]> = {};
    for (const [name, values] of Object.entries(h as Record<string, unknown>)) {
      if (!Array.isArray(values) || values.some((x) => typeof x !== 'string'))
        fail(['staticPodURLHeader', name], 'must be a list of strings');
      headers[name] = values as string[];
    }
    out.staticPodURLHeader = headers;
  }
  return out;
}

/** registerWithTaints: a list of {key, value, effect}, checked like --register-with-taints. */
function taintList(value: unknown, fail: (field: (string | number)[], message: string) => never): V1Taint[] {
  if (!Array.isArray(value)) fail(['registerWithTaints'], 'must be a list of taints');
  return (value as unknown[]).map((t, i) => {
    if (t === null || typeof t !== 'object' || Array.isArray(t)) fail(['registerWithTaints', i], 'must be a taint');
    const { key, value: v, effect, ...rest } = t as Record<string, unknown>;
    const extra = Object.keys(rest)[0];
    // timeAdded is the API server's to set; the kubelet refuses it too.
    if (extra !== undefined) fail(['registerWithTaints', i, extra], 'is not a field staticlet can register');
    const taint = { key, effect, ...(v === undefined || v === null || v === '' ? {} : { value: v }) };
    const problem = taintProblem(taint);
    if (problem) fail(['registerWithTaints', i], problem);
    return taint as V1Taint;
  });
}

type Fail = (field: (string | number)[], message: string) => never;

/**
 * authentication: {x509: {clientCAFile}, webhook: {enabled, cacheTTL}, anonymous: {enabled}} and
 * authorization: {mode, webhook: {cacheAuthorizedTTL, cacheUnauthorizedTTL}}, as the kubelet's.
 */
function readAuthSections(obj: Record<string, unknown>, out: ConfigFileSettings, fail: Fail): void {
  const section = (path: string[]): Record<string, unknown> | undefined => {
    let v: unknown = obj;
    for (const key of path) {
      if (v === undefined || v === null) return undefined;
      v = (v as Record<string, unknown>)[key];
    }
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'object' || Array.isArray(v)) fail(path, 'must be a mapping');
    return v as Record<string, unknown>;
  };
  const field = <T>(path: string[], key: string, type: 'string' | 'boolean'): T | undefined => {
    const v = section(path)?.[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== type) fail([...path, key], type === 'boolean' ? 'must be true or false' : 'must be a string');
    return v as T;
  };
  const duration = (path: string[], key: string): number | undefined => {
    const text = field<string>(path, key, 'string');
    if (text === undefined) return undefined;
    const ms = parseDuration(text);
    if (ms instanceof Error) fail([...path, key], ms.message);
    return ms as number;
  };
  const put = <K extends keyof ConfigFileSettings>(key: K, value: ConfigFileSettings[K] | undefined) => {
    if (value !== undefined) out[key] = value;
  };
  put('clientCAFile', field<string>(['authentication', 'x509'], 'clientCAFile', 'string'));
  put('authenticationWebhookEnabled', field<boolean>(['authentication', 'webhook'], 'enabled', 'boolean'));
  put('authenticationWebhookCacheTtlMs', duration(['authentication', 'webhook'], 'cacheTTL'));
  put('anonymousAuthEnabled', field<boolean>(['authentication', 'anonymous'], 'enabled', 'boolean'));
  put('authorizationMode', field<string>(['authorization'], 'mode', 'string'));
  put('authorizationWebhookCacheAuthorizedTtlMs', duration(['authorization', 'webhook'], 'cacheAuthorizedTTL'));
  put('authorizationWebhookCacheUnauthorizedTtlMs', duration(['authorization', 'webhook'], 'cacheUnauthorizedTTL'));
}
