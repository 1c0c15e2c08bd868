// Validation of a static pod manifest before anything runs. Every problem names the field; the
// caller turns the field into a line. Fields fall in four groups:
//  - supported: they change how the pod runs, and staticlet implements them;
//  - carried: they only matter to the scheduler or the API server, accepted and kept on the mirror;
//  - forbidden: references to API objects, which static pods may not have;
//  - unsupported: they would change how the pod runs, but are not implemented: refused, never
//    silently ignored. An empty value ({}, [], null, false, '') of such a field is accepted.
import type { V1Pod } from '@kubernetes/client-node';
import type { FieldPath } from './parse.js';
import { validateProbesAndHooks } from './validate-probes.js';
import {
  quantity,
  validateContainerSecurityContext,
  validateDnsConfig,
  validateEnvSource,
  validateHostAliases,
  validateMountExtras,
  validatePodNaming,
  validatePodSecurityContext,
  validateResources,
} from './validate-pod-fields.js';

export interface FieldProblem {
  readonly path: FieldPath;
  readonly message: string;
}

export type ValidationResult =
  { readonly ok: true; readonly pod: V1Pod } | { readonly ok: false; readonly problems: FieldProblem[] };

export interface ValidationOptions {
  /** The node name: the pod's name gets `-<node>` appended, which must still be a valid name. */
  readonly nodeName: string;
}

type Json = Record<string, unknown>;

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const LABEL_KEY_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;

const METADATA_ACCEPTED = new Set([
  'name',
  'namespace',
  'labels',
  'annotations',
  // Written by generators (`creationTimestamp: null` from kubeadm) or copied from a live object;
  // the agent sets its own identity, so these are ignored.
  'uid',
  'creationTimestamp',
  'resourceVersion',
  'generation',
  'selfLink',
  'managedFields',
]);

const SPEC_SUPPORTED = new Set([
  'containers',
  'initContainers',
  'restartPolicy',
  'terminationGracePeriodSeconds',
  'hostNetwork',
  'volumes',
  'dnsPolicy',
  'enableServiceLinks',
  'automountServiceAccountToken',
  'nodeName', // overwritten with this node's name
  'securityContext',
  'hostPID',
  'hostIPC',
  'shareProcessNamespace',
  'dnsConfig',
  'hostAliases',
  'hostname',
  'subdomain',
  'setHostnameAsFQDN',
]);
const SPEC_CARRIED = new Set([
  'nodeSelector',
  'affinity',
  'tolerations',
  'priorityClassName',
  'priority',
  'schedulerName',
  'topologySpreadConstraints',
  'preemptionPolicy',
  'readinessGates',
  'overhead',
  'schedulingGates',
]);
const SPEC_FORBIDDEN: Record<string, string> = {
  serviceAccountName: 'static pods may not use a service account',
  serviceAccount: 'static pods may not use a service account',
  imagePullSecrets: 'static pods may not reference Secrets',
  resourceClaims: 'static pods may not reference ResourceClaims',
};
const SPEC_UNSUPPORTED = new Set([
  'runtimeClassName',
  'activeDeadlineSeconds',
  'ephemeralContainers',
  'os',
  'hostUsers',
  'resources',
]);

const CONTAINER_SUPPORTED = new Set([
  'name',
  'image',
  'command',
  'args',
  'workingDir',
  'env',
  'ports',
  'volumeMounts',
  'imagePullPolicy',
  'terminationMessagePath',
  'terminationMessagePolicy',
  'stdin',
  'stdinOnce',
  'livenessProbe',
  'readinessProbe',
  'startupProbe',
  'lifecycle',
  'tty',
  'resources',
  'securityContext',
]);
const CONTAINER_FORBIDDEN: Record<string, string> = {
  envFrom: 'static pods may not reference ConfigMaps or Secrets',
};
const CONTAINER_UNSUPPORTED = new Set(['resizePolicy', 'restartPolicy', 'volumeDevices']);

const VOLUME_SUPPORTED = new Set(['hostPath', 'emptyDir']);
const VOLUME_FORBIDDEN: Record<string, string> = {
  secret: 'static pods may not reference Secrets',
  configMap: 'static pods may not reference ConfigMaps',
  persistentVolumeClaim: 'static pods may not reference PersistentVolumeClaims',
  projected: 'static pods may not use projected volumes (they reference API objects)',
  ephemeral: 'static pods may not create PersistentVolumeClaims',
};
const HOST_PATH_TYPES = new Set([
  '',
  'DirectoryOrCreate',
  'Directory',
  'FileOrCreate',
  'File',
  'Socket',
  'CharDevice',
  'BlockDevice',
]);

export const RESTART_POLICIES = ['Always', 'OnFailure', 'Never'] as const;
export const PULL_POLICIES = ['Always', 'IfNotPresent', 'Never'] as const;
const DNS_POLICIES = ['ClusterFirst', 'ClusterFirstWithHostNet', 'Default', 'None'] as const;
const PROTOCOLS = ['TCP', 'UDP', 'SCTP'] as const;

/** Validates one manifest document as a static pod. */
export function validatePod(value: unknown, options: ValidationOptions): ValidationResult {
  const v = new Validator();
  const pod = v.object([], value, 'the manifest');
  if (pod) {
    v.exactString(['apiVersion'], pod.apiVersion, 'v1');
    v.exactString(['kind'], pod.kind, 'Pod');
    for (const key of Object.keys(pod)) {
      if (!['apiVersion', 'kind', 'metadata', 'spec', 'status'].includes(key)) {
        v.problem([key], `unknown field "${key}"`);
      }
    }
    validateMetadata(v, pod.metadata, options);
    validateSpec(v, pod.spec);
  }
  if (v.problems.length > 0) return { ok: false, problems: v.problems };
  return { ok: true, pod: value as V1Pod };
}

function validateMetadata(v: Validator, value: unknown, options: ValidationOptions): void {
  const path = ['metadata'];
  const meta = v.object(path, value, 'metadata');
  if (!meta) return;
  for (const key of Object.keys(meta)) {
    if (!METADATA_ACCEPTED.has(key)) v.problem([...path, key], `unknown or unsupported field "${key}"`);
  }
  const name = v.string([...path, 'name'], meta.name, { required: true });
  if (name !== undefined) {
    const full = `${name}-${options.nodeName}`;
    if (!DNS1123_SUBDOMAIN.test(name) || name.length > 253) {
      v.problem(
        [...path, 'name'],
        `"${name}" is not a valid name: lower-case letters, digits, '-' and '.', starting and ending with a letter or digit`,
      );
    } else if (full.length > 253) {
      v.problem(
        [...path, 'name'],
        `"${full}" (the name with "-${options.nodeName}" added) is longer than 253 characters`,
      );
    }
  }
  const ns = v.string([...path, 'namespace'], meta.namespace, {});
  if (ns !== undefined && (!DNS1123_LABEL.test(ns) || ns.length > 63)) {
    v.problem(
      [...path, 'namespace'],
      `"${ns}" is not a valid namespace: at most 63 lower-case letters, digits and '-'`,
    );
  }
  const labels = v.stringMap([...path, 'labels'], meta.labels);
  for (const [key, val] of Object.entries(labels ?? {})) {
    if (!validLabelKey(key)) v.problem([...path, 'labels', key], `"${key}" is not a valid label key`);
    if (val.length > 63 || !LABEL_VALUE.test(val))
      v.problem([...path, 'labels', key], `"${val}" is not a valid label value`);
  }
  v.stringMap([...path, 'annotations'], meta.annotations);
}

function validLabelKey(key: string): boolean {
  const slash = key.lastIndexOf('/');
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  if (prefix !== undefined && (prefix.length > 253 || !DNS1123_SUBDOMAIN.test(prefix))) return false;
  return name.length <= 63 && LABEL_KEY_NAME.test(name);
}

function validateSpec(v: Validator, value: unknown): void {
  const path = ['spec'];
  const spec = v.object(path, value, 'spec', true);
  if (!spec) return;
  for (const [key, val] of Object.entries(spec)) {
    v.classify([...path, key], key, val, SPEC_SUPPORTED, SPEC_CARRIED, SPEC_FORBIDDEN, SPEC_UNSUPPORTED);
  }
  v.oneOf([...path, 'restartPolicy'], spec.restartPolicy, RESTART_POLICIES);
  v.oneOf([...path, 'dnsPolicy'], spec.dnsPolicy, DNS_POLICIES);
  v.integer([...path, 'terminationGracePeriodSeconds'], spec.terminationGracePeriodSeconds, 0);
  const hostNetwork = v.boolean([...path, 'hostNetwork'], spec.hostNetwork) ?? false;
  v.boolean([...path, 'enableServiceLinks'], spec.enableServiceLinks);
  v.boolean([...path, 'automountServiceAccountToken'], spec.automountServiceAccountToken);
  v.string([...path, 'nodeName'], spec.nodeName, {});
  validatePodSecurityContext(v, [...path, 'securityContext'], spec.securityContext);
  validatePodNaming(v, path, spec);
  validateDnsConfig(v, [...path, 'dnsConfig'], spec.dnsPolicy, spec.dnsConfig);
  validateHostAliases(v, [...path, 'hostAliases'], spec.hostAliases);

  const volumeNames = validateVolumes(v, spec.volumes);
  const containerNames = new Set<string>();
  // Every container's name, for references from one container to another (resourceFieldRef).
  const allNames = new Set(
    [spec.initContainers, spec.containers]
      .flatMap((list) => (Array.isArray(list) ? list : []))
      .map((c) => (c !== null && typeof c === 'object' ? (c as Json).name : undefined))
      .filter((n): n is string => typeof n === 'string'),
  );
  const init = v.array([...path, 'initContainers'], spec.initContainers) ?? [];
  init.forEach((c, i) =>
    validateContainer(v, [...path, 'initContainers', i], c, containerNames, volumeNames, hostNetwork, allNames),
  );
  const containers = v.array([...path, 'containers'], spec.containers);
  if (containers === undefined) v.problem([...path, 'containers'], 'a pod needs at least one container');
  else if (containers.length === 0) v.problem([...path, 'containers'], 'a pod needs at least one container');
  containers?.forEach((c, i) =>
    validateContainer(v, [...path, 'containers', i], c, containerNames, volumeNames, hostNetwork, allNames),
  );
}

function validateVolumes(v: Validator, value: unknown): Set<string> {
  const names = new Set<string>();
  const volumes = v.array(['spec', 'volumes'], value) ?? [];
  volumes.forEach((item, i) => {
    const path = ['spec', 'volumes', i];
    const vol = v.object(path, item, 'a volume');
    if (!vol) return;
    const name = v.string([...path, 'name'], vol.name, { required: true });
    if (name !== undefined) {
      if (!DNS1123_LABEL.test(name) || name.length > 63)
        v.problem([...path, 'name'], `"${name}" is not a valid volume name`);
      if (names.has(name)) v.problem([...path, 'name'], `volume name "${name}" is used twice`);
      names.add(name);
    }
    const sources = Object.keys(vol).filter((k) => k !== 'name');
    if (sources.length !== 1) {
      v.problem(
        path,
        `a volume needs exactly one source (hostPath or emptyDir), found ${sources.length === 0 ? 'none' : sources.join(', ')}`,
      );
    }
    for (const key of sources) {
      if (VOLUME_FORBIDDEN[key]) v.problem([...path, key], VOLUME_FORBIDDEN[key]);
      else if (!VOLUME_SUPPORTED.has(key))
        v.problem([...path, key], `volume type "${key}" is not supported (supported: hostPath, emptyDir)`);
    }
    if (vol.hostPath !== undefined) {
      const hp = v.object([...path, 'hostPath'], vol.hostPath, 'hostPath');
      if (hp) {
        v.knownKeys([...path, 'hostPath'], hp, ['path', 'type']);
        const p = v.string([...path, 'hostPath', 'path'], hp.path, { required: true });
        if (p !== undefined && !p.startsWith('/'))
          v.problem([...path, 'hostPath', 'path'], `"${p}" is not an absolute path`);
        const t = v.string([...path, 'hostPath', 'type'], hp.type, {});
        if (t !== undefined && !HOST_PATH_TYPES.has(t))
          v.problem([...path, 'hostPath', 'type'], `unknown hostPath type "${t}"`);
      }
    }
    if (vol.emptyDir !== undefined && vol.emptyDir !== null) {
      const ed = v.object([...path, 'emptyDir'], vol.emptyDir, 'emptyDir');
      if (ed) {
        v.knownKeys([...path, 'emptyDir'], ed, ['medium', 'sizeLimit']);
        const medium = v.string([...path, 'emptyDir', 'medium'], ed.medium, {});
        if (medium !== undefined && medium.startsWith('HugePages')) {
          v.problem(
            [...path, 'emptyDir', 'medium'],
            `emptyDir medium "${medium}" is not supported yet (supported: the default, disk, and Memory)`,
          );
        } else if (medium !== undefined && medium !== '' && medium !== 'Memory') {
          v.problem(
            [...path, 'emptyDir', 'medium'],
            `unknown emptyDir medium "${medium}" (supported: the default, disk, and Memory)`,
          );
        }
        quantity(v, [...path, 'emptyDir', 'sizeLimit'], ed.sizeLimit);
      }
    }
  });
  return names;
}

function validateContainer(
  v: Validator,
  path: FieldPath,
  value: unknown,
  names: Set<string>,
  volumeNames: Set<string>,
  hostNetwork: boolean,
  allNames: ReadonlySet<string>,
): void {
  const c = v.object(path, value, 'a container');
  if (!c) return;
  for (const [key, val] of Object.entries(c)) {
    v.classify([...path, key], key, val, CONTAINER_SUPPORTED, new Set(), CONTAINER_FORBIDDEN, CONTAINER_UNSUPPORTED);
  }
  validateResources(v, [...path, 'resources'], c.resources);
  const privileged = validateContainerSecurityContext(v, [...path, 'securityContext'], c.securityContext);
  const name = v.string([...path, 'name'], c.name, { required: true });
  if (name !== undefined) {
    if (!DNS1123_LABEL.test(name) || name.length > 63) {
      v.problem(
        [...path, 'name'],
        `"${name}" is not a valid container name: at most 63 lower-case letters, digits and '-'`,
      );
    } else if (names.has(name)) {
      v.problem([...path, 'name'], `container name "${name}" is used twice in this pod`);
    }
    names.add(name);
  }
  const image = v.string([...path, 'image'], c.image, { required: true });
  if (image !== undefined && image.trim() === '') v.problem([...path, 'image'], 'the image is empty');
  v.stringArray([...path, 'command'], c.command);
  v.stringArray([...path, 'args'], c.args);
  v.string([...path, 'workingDir'], c.workingDir, {});
  v.oneOf([...path, 'imagePullPolicy'], c.imagePullPolicy, PULL_POLICIES);
  validateProbesAndHooks(v, path, c, path.includes('initContainers'));
  v.string([...path, 'terminationMessagePath'], c.terminationMessagePath, {});
  v.oneOf([...path, 'terminationMessagePolicy'], c.terminationMessagePolicy, ['File', 'FallbackToLogsOnError']);
  for (const flag of ['stdin', 'stdinOnce', 'tty']) v.boolean([...path, flag], c[flag]);

  (v.array([...path, 'env'], c.env) ?? []).forEach((item, i) => {
    const ep = [...path, 'env', i];
    const env = v.object(ep, item, 'an environment variable');
    if (!env) return;
    v.knownKeys(ep, env, ['name', 'value', 'valueFrom']);
    const envName = v.string([...ep, 'name'], env.name, { required: true });
    if (envName !== undefined && (envName === '' || envName.includes('='))) {
      v.problem([...ep, 'name'], `"${envName}" is not a valid environment variable name`);
    }
    v.string([...ep, 'value'], env.value, {});
    if (env.valueFrom !== undefined && env.valueFrom !== null) validateEnvSource(v, ep, env, allNames);
  });

  (v.array([...path, 'ports'], c.ports) ?? []).forEach((item, i) => {
    const pp = [...path, 'ports', i];
    const port = v.object(pp, item, 'a port');
    if (!port) return;
    v.knownKeys(pp, port, ['name', 'containerPort', 'hostPort', 'hostIP', 'protocol']);
    const cp = v.integer([...pp, 'containerPort'], port.containerPort, 1, 65535, true);
    const hp = v.integer([...pp, 'hostPort'], port.hostPort, 0, 65535);
    v.string([...pp, 'name'], port.name, {});
    v.string([...pp, 'hostIP'], port.hostIP, {});
    v.oneOf([...pp, 'protocol'], port.protocol, PROTOCOLS);
    if (hostNetwork && hp !== undefined && hp !== 0 && cp !== undefined && hp !== cp) {
      v.problem([...pp, 'hostPort'], `with hostNetwork the hostPort must equal the containerPort (${cp})`);
    }
  });

  const mountPaths = new Set<string>();
  (v.array([...path, 'volumeMounts'], c.volumeMounts) ?? []).forEach((item, i) => {
    const mp = [...path, 'volumeMounts', i];
    const mount = v.object(mp, item, 'a volume mount');
    if (!mount) return;
    for (const key of Object.keys(mount)) {
      if (key === 'recursiveReadOnly' && mount[key] === 'Disabled') continue; // the default
      if (['subPathExpr', 'recursiveReadOnly'].includes(key)) {
        if (!isEmptyValue(mount[key])) v.problem([...mp, key], `${key} is not supported yet`);
      } else if (!['name', 'mountPath', 'readOnly', 'subPath', 'mountPropagation'].includes(key)) {
        v.problem([...mp, key], `unknown field "${key}"`);
      }
    }
    validateMountExtras(v, mp, mount, privileged);
    const volName = v.string([...mp, 'name'], mount.name, { required: true });
    if (volName !== undefined && !volumeNames.has(volName)) {
      v.problem([...mp, 'name'], `no volume named "${volName}" in spec.volumes`);
    }
    const target = v.string([...mp, 'mountPath'], mount.mountPath, { required: true });
    if (target !== undefined) {
      if (!target.startsWith('/')) v.problem([...mp, 'mountPath'], `"${target}" is not an absolute path`);
      if (mountPaths.has(target)) v.problem([...mp, 'mountPath'], `"${target}" is mounted twice`);
      mountPaths.add(target);
    }
    v.boolean([...mp, 'readOnly'], mount.readOnly);
  });
}

function isEmptyValue(value: unknown): boolean {
  if (value === null || value === undefined || value === false || value === '') return true;
  if (Array.isArray(value)) return value.length === 0;
  if (typeof value === 'object') return Object.keys(value).length === 0;
  return false;
}

/** Collects problems; each check returns the value when it has the right type. */
export class Validator {
  readonly problems: FieldProblem[] = [];

  problem(path: FieldPath, message: string): void {
    this.problems.push({ path, message });
  }

  classify(
    path: FieldPath,
    key: string,
    value: unknown,
    supported: Set<string>,
    carried: Set<string>,
    forbidden: Record<string, string>,
    unsupported: Set<string>,
  ): void {
    if (supported.has(key) || carried.has(key)) return;
    if (isEmptyValue(value)) {
      if (forbidden[key] || unsupported.has(key)) return;
    }
    const why = forbidden[key];
    if (why) this.problem(path, why);
    else if (unsupported.has(key))
      this.problem(path, `${key} is not supported yet: staticlet refuses it rather than ignore it`);
    else this.problem(path, `unknown field "${key}"`);
  }

  object(path: FieldPath, value: unknown, what: string, required = false): Json | undefined {
    if (value === undefined || value === null) {
      if (required || path.length === 0) this.problem(path, `${what} is missing`);
      return undefined;
    }
    if (typeof value !== 'object' || Array.isArray(value)) {
      this.problem(path, `${what} must be a mapping, found ${describe(value)}`);
      return undefined;
    }
    return value as Json;
  }

  knownKeys(path: FieldPath, obj: Json, keys: readonly string[]): void {
    for (const key of Object.keys(obj)) {
      if (!keys.includes(key)) this.problem([...path, key], `unknown field "${key}"`);
    }
  }

  array(path: FieldPath, value: unknown): unknown[] | undefined {
    if (value === undefined || value === null) return undefined;
    if (!Array.isArray(value)) {
      this.problem(path, `must be a list, found ${describe(value)}`);
      return undefined;
    }
    return value;
  }

  string(path: FieldPath, value: unknown, opts: { required?: boolean }): string | undefined {
    if (value === undefined || value === null) {
      if (opts.required) this.problem(path, `${String(path[path.length - 1])} is required`);
      return undefined;
    }
    if (typeof value !== 'string') {
      this.problem(
        path,
        `must be a string, found ${describe(value)}${typeof value === 'number' || typeof value === 'boolean' ? ' (quote it)' : ''}`,
      );
      return undefined;
    }
    return value;
  }

  exactString(path: FieldPath, value: unknown, expected: string): void {
    const s = this.string(path, value, { required: true });
    if (s !== undefined && s !== expected) this.problem(path, `must be "${expected}", found "${s}"`);
  }

  oneOf(path: FieldPath, value: unknown, allowed: readonly string[]): void {
    const s = this.string(path, value, {});
    if (s !== undefined && !allowed.includes(s)) {
      this.problem(path, `"${s}" is not one of ${allowed.join(', ')}`);
    }
  }

  stringArray(path: FieldPath, value: unknown): void {
    (this.array(path, value) ?? []).forEach((item, i) => this.string([...path, i], item, { required: true }));
  }

  stringMap(path: FieldPath, value: unknown): Record<string, string> | undefined {
    const obj = this.object(path, value, String(path[path.length - 1]));
    if (!obj) return undefined;
    const out: Record<string, string> = {};
    for (const [k, val] of Object.entries(obj)) {
      const s = this.string([...path, k], val, { required: true });
      if (s !== undefined) out[k] = s;
    }
    return out;
  }

  boolean(path: FieldPath, value: unknown): boolean | undefined {
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'boolean') {
      this.problem(path, `must be true or false, found ${describe(value)}`);
      return undefined;
    }
    return value;
  }

  integer(
    path: FieldPath,
    value: unknown,
    min: number,
    max = Number.MAX_SAFE_INTEGER,
    required = false,
  ): number | undefined {
    if (value === undefined || value === null) {
      if (required) this.problem(path, `${String(path[path.length - 1])} is required`);
      return undefined;
    }
    if (typeof value !== 'number' || !Number.isInteger(value)) {
      this.problem(path, `must be a whole number, found ${describe(value)}`);
      return undefined;
    }
    if (value < min || value > max) {
      this.problem(path, `${value} is out of range (${min} to ${max})`);
      return undefined;
    }
    return value;
  }
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return `the string "${value.length > 40 ? value.slice(0, 40) + '…' : value}"`;
  return `${typeof value} ${String(value)}`;
}
