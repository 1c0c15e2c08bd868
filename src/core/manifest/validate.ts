// Validation of a static pod manifest before anything runs: the pod, its metadata, spec, volumes
// and containers. Every problem names the field; the caller turns the field into a line. Which
// fields are taken is in field-policy.ts; nested parts have their own rule files.
import type { V1Pod } from '@kubernetes/client-node';
import { isDns1123Label, isDns1123Subdomain, isLabelValue, isQualifiedName } from '../names.js';
import { quantity } from './field-checks.js';
import {
  CONTAINER_FORBIDDEN,
  CONTAINER_SUPPORTED,
  CONTAINER_UNSUPPORTED,
  DNS_POLICIES,
  HOST_PATH_TYPES,
  METADATA_ACCEPTED,
  PROTOCOLS,
  PULL_POLICIES,
  RESTART_POLICIES,
  SPEC_CARRIED,
  SPEC_FORBIDDEN,
  SPEC_SUPPORTED,
  SPEC_UNSUPPORTED,
  VOLUME_FORBIDDEN,
  VOLUME_SUPPORTED,
} from './field-policy.js';
import type { FieldPath } from './parse.js';
import { validateProbesAndHooks } from './validate-probes.js';
import { validateEnvSource } from './validate-env-source.js';
import { validateMountExtras } from './validate-mounts.js';
import { validateDnsConfig, validateHostAliases, validatePodNaming } from './validate-pod-dns.js';
import { validateResources } from './validate-resources.js';
import { validateContainerSecurityContext, validatePodSecurityContext } from './validate-security-context.js';
import { isEmptyValue, Validator, type FieldProblem, type Json } from './validator.js';

export type ValidationResult =
  { readonly ok: true; readonly pod: V1Pod } | { readonly ok: false; readonly problems: FieldProblem[] };

export interface ValidationOptions {
  /** The node name: the pod's name gets `-<node>` appended, which must still be a valid name. */
  readonly nodeName: string;
}

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
    if (!isDns1123Subdomain(name)) {
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
  if (ns !== undefined && !isDns1123Label(ns)) {
    v.problem(
      [...path, 'namespace'],
      `"${ns}" is not a valid namespace: at most 63 lower-case letters, digits and '-'`,
    );
  }
  const labels = v.stringMap([...path, 'labels'], meta.labels);
  for (const [key, val] of Object.entries(labels ?? {})) {
    if (!isQualifiedName(key)) v.problem([...path, 'labels', key], `"${key}" is not a valid label key`);
    if (!isLabelValue(val)) v.problem([...path, 'labels', key], `"${val}" is not a valid label value`);
  }
  v.stringMap([...path, 'annotations'], meta.annotations);
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
      if (!isDns1123Label(name)) v.problem([...path, 'name'], `"${name}" is not a valid volume name`);
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
    if (!isDns1123Label(name)) {
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
