// Validation of one container or init container: its fields by policy, name, image, command,
// environment, ports and volume mounts. Probes, hooks, resources, security context, env sources
// and mount extras have their own rule files.
import { isDns1123Label } from '../names.js';
import {
  CONTAINER_FORBIDDEN,
  CONTAINER_SUPPORTED,
  CONTAINER_UNSUPPORTED,
  PROTOCOLS,
  PULL_POLICIES,
} from './field-policy.js';
import type { FieldPath } from './parse.js';
import { validateEnvSource } from './validate-env-source.js';
import { validateMountExtras } from './validate-mounts.js';
import { validateProbesAndHooks } from './validate-probes.js';
import { validateResources } from './validate-resources.js';
import { validateContainerSecurityContext } from './validate-security-context.js';
import { isEmptyValue, type Json, type Validator } from './validator.js';

const NONE = new Set<string>();

/** What one container is checked against: the rest of the pod. */
export interface ContainerContext {
  /** Names of the containers checked so far (filled in as they are checked). */
  readonly names: Set<string>;
  readonly volumeNames: ReadonlySet<string>;
  readonly hostNetwork: boolean;
  /** Every container's name, for references from one container to another (resourceFieldRef). */
  readonly allNames: ReadonlySet<string>;
}

export function validateContainer(v: Validator, path: FieldPath, c: Json, ctx: ContainerContext): void {
  for (const [key, val] of Object.entries(c)) {
    v.classify([...path, key], key, val, CONTAINER_SUPPORTED, NONE, CONTAINER_FORBIDDEN, CONTAINER_UNSUPPORTED);
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
    } else if (ctx.names.has(name)) {
      v.problem([...path, 'name'], `container name "${name}" is used twice in this pod`);
    }
    ctx.names.add(name);
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
  validateEnv(v, path, c, ctx);
  validatePorts(v, path, c, ctx);
  validateVolumeMounts(v, path, c, ctx, privileged);
}

function validateEnv(v: Validator, path: FieldPath, c: Json, ctx: ContainerContext): void {
  for (const { path: ep, item: env } of v.mappings([...path, 'env'], c.env, 'an environment variable')) {
    v.knownKeys(ep, env, ['name', 'value', 'valueFrom']);
    const envName = v.string([...ep, 'name'], env.name, { required: true });
    if (envName !== undefined && (envName === '' || envName.includes('='))) {
      v.problem([...ep, 'name'], `"${envName}" is not a valid environment variable name`);
    }
    v.string([...ep, 'value'], env.value, {});
    if (env.valueFrom !== undefined && env.valueFrom !== null) validateEnvSource(v, ep, env, ctx.allNames);
  }
}

function validatePorts(v: Validator, path: FieldPath, c: Json, ctx: ContainerContext): void {
  for (const { path: pp, item: port } of v.mappings([...path, 'ports'], c.ports, 'a port')) {
    v.knownKeys(pp, port, ['name', 'containerPort', 'hostPort', 'hostIP', 'protocol']);
    const cp = v.integer([...pp, 'containerPort'], port.containerPort, 1, 65535, true);
    const hp = v.integer([...pp, 'hostPort'], port.hostPort, 0, 65535);
    v.string([...pp, 'name'], port.name, {});
    v.string([...pp, 'hostIP'], port.hostIP, {});
    v.oneOf([...pp, 'protocol'], port.protocol, PROTOCOLS);
    if (ctx.hostNetwork && hp !== undefined && hp !== 0 && cp !== undefined && hp !== cp) {
      v.problem([...pp, 'hostPort'], `with hostNetwork the hostPort must equal the containerPort (${cp})`);
    }
  }
}

function validateVolumeMounts(
  v: Validator,
  path: FieldPath,
  c: Json,
  ctx: ContainerContext,
  privileged: boolean,
): void {
  const mountPaths = new Set<string>();
  for (const { path: mp, item: mount } of v.mappings([...path, 'volumeMounts'], c.volumeMounts, 'a volume mount')) {
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
    if (volName !== undefined && !ctx.volumeNames.has(volName)) {
      v.problem([...mp, 'name'], `no volume named "${volName}" in spec.volumes`);
    }
    const target = v.string([...mp, 'mountPath'], mount.mountPath, { required: true });
    if (target !== undefined) {
      if (!target.startsWith('/')) v.problem([...mp, 'mountPath'], `"${target}" is not an absolute path`);
      if (mountPaths.has(target)) v.problem([...mp, 'mountPath'], `"${target}" is mounted twice`);
      mountPaths.add(target);
    }
    v.boolean([...mp, 'readOnly'], mount.readOnly);
  }
}
