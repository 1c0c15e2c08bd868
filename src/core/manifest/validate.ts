// Validation of a static pod manifest before anything runs: the pod, its metadata, spec, volumes
// and containers. Every problem names the field; the caller turns the field into a line. Which
// fields are taken is in field-policy.ts; nested parts have their own rule files.
import type { V1Pod } from '@kubernetes/client-node';
import { isDns1123Label, isDns1123Subdomain, isLabelValue, isQualifiedName } from '../names.js';
import { quantity } from './field-checks.js';
import {
  DNS_POLICIES,
  HOST_PATH_TYPES,
  METADATA_ACCEPTED,
  RESTART_POLICIES,
  SPEC_CARRIED,
  SPEC_FORBIDDEN,
  SPEC_SUPPORTED,
  SPEC_UNSUPPORTED,
  VOLUME_FORBIDDEN,
  VOLUME_SUPPORTED,
} from './field-policy.js';
import { validateContainer, type ContainerContext } from './validate-container.js';
import { validateDnsConfig, validateHostAliases, validatePodNaming } from './validate-pod-dns.js';
import { validateScheduling } from './validate-scheduling.js';
import { validatePodSecurityContext } from './validate-security-context.js';
import { ownString, Validator, type FieldProblem, type Json } from './validator.js';

declare const VALIDATED: unique symbol;

/**
 * A manifest that passed validatePod: the only input toStaticPod takes, so no shape that was not
 * checked can become a pod.
 */
export type ValidPod = V1Pod & { readonly [VALIDATED]: true };

export type ValidationResult =
  { readonly ok: true; readonly pod: ValidPod } | { readonly ok: false; readonly problems: FieldProblem[] };

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
  return { ok: true, pod: value as ValidPod };
}

function validateMetadata(v: Validator, value: unknown, options: ValidationOptions): void {
  const path = ['metadata'];
  const meta = v.object(path, value, 'metadata', true);
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

  validateScheduling(v, path, spec);

  const ctx: ContainerContext = {
    names: new Set<string>(),
    volumeNames: validateVolumes(v, spec.volumes),
    hostNetwork,
    allNames: new Set(
      [spec.initContainers, spec.containers]
        .flatMap((list) => (Array.isArray(list) ? list : []))
        .map((c) => (c !== null && typeof c === 'object' ? (c as Json).name : undefined))
        .filter((n): n is string => typeof n === 'string'),
    ),
  };
  for (const c of v.mappings([...path, 'initContainers'], spec.initContainers, 'a container'))
    validateContainer(v, c.path, c.item, ctx);
  const containers = v.mappings([...path, 'containers'], spec.containers, 'a container');
  if (spec.containers === undefined || spec.containers === null || isEmptyList(spec.containers))
    v.problem([...path, 'containers'], 'a pod needs at least one container');
  for (const c of containers) validateContainer(v, c.path, c.item, ctx);
}

function isEmptyList(value: unknown): boolean {
  return Array.isArray(value) && value.length === 0;
}

function validateVolumes(v: Validator, value: unknown): Set<string> {
  const names = new Set<string>();
  for (const { path, item: vol } of v.mappings(['spec', 'volumes'], value, 'a volume')) {
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
      const forbidden = ownString(VOLUME_FORBIDDEN, key);
      if (forbidden) v.problem([...path, key], forbidden);
      else if (!VOLUME_SUPPORTED.has(key))
        v.problem([...path, key], `volume type "${key}" is not supported (supported: hostPath, emptyDir)`);
    }
    if (vol.hostPath !== undefined) {
      const hp = v.object([...path, 'hostPath'], vol.hostPath, 'hostPath', true);
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
    if (vol.emptyDir !== undefined) {
      const ed = v.object([...path, 'emptyDir'], vol.emptyDir, 'emptyDir', true);
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
  }
  return names;
}
