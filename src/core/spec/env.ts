// A container's environment, command and args as the kubelet makes them: `valueFrom` resolved
// (the downward API's fieldRef and resourceFieldRef), `$(VAR)` references expanded.
import type { V1Container, V1EnvVar, V1Pod } from '@kubernetes/client-node';
import { containerResources } from '../qos.js';
import { fromInteger, isZero, milliValue, parseQuantity, value, type Quantity } from '../quantity.js';
import { ContainerConfigError } from './errors.js';

export interface EnvContext {
  /** The pod's IPs, primary first (the node's IPs for a host-network pod). */
  readonly podIPs: readonly string[];
  /** The node's IPs, primary first. */
  readonly hostIPs: readonly string[];
  /** What a container may use when it has no limit (the downward API reports this instead). */
  readonly allocatable?: { readonly cpuMilli: number; readonly memoryBytes: number };
}

/** The downward API paths an environment variable may use (besides labels['k'] and annotations['k']). */
export const ENV_FIELD_PATHS = [
  'metadata.name',
  'metadata.namespace',
  'metadata.uid',
  'spec.nodeName',
  'spec.serviceAccountName',
  'status.hostIP',
  'status.hostIPs',
  'status.podIP',
  'status.podIPs',
] as const;
export const ENV_SUBSCRIPT = /^metadata\.(labels|annotations)\['(.*)'\]$/;
export const RESOURCE_FIELDS = ['limits.cpu', 'limits.memory', 'requests.cpu', 'requests.memory'] as const;

/**
 * The container's environment, in the order declared. A name given twice appears once, where it
 * was first declared, with the value of its last declaration (the kubelet keeps a map).
 */
export function containerEnv(pod: V1Pod, container: V1Container, ctx: EnvContext): { key: string; value: string }[] {
  const resolved = new Map<string, string>();
  for (const env of container.env ?? []) {
    let v = env.value ?? '';
    if (v !== '') v = expand(v, (name) => resolved.get(name));
    else if (env.valueFrom) v = valueFrom(pod, container, env, ctx);
    resolved.set(env.name, v);
  }
  return [...resolved].map(([key, v]) => ({ key, value: v }));
}

/** Command and args with `$(VAR)` expanded against the final environment. */
export function expandCommand(
  container: V1Container,
  env: readonly { key: string; value: string }[],
): { command: string[]; args: string[] } {
  const vars = new Map(env.map((e) => [e.key, e.value]));
  const lookup = (name: string) => vars.get(name);
  return {
    command: (container.command ?? []).map((c) => expand(c, lookup)),
    args: (container.args ?? []).map((a) => expand(a, lookup)),
  };
}

/**
 * Kubernetes' `$(VAR)` expansion: `$(NAME)` becomes the variable's value when it is defined and
 * stays as written when not; `$$` is a literal `$`; any other `$` stays as it is.
 */
export function expand(input: string, lookup: (name: string) => string | undefined): string {
  let out = '';
  let checkpoint = 0;
  for (let cursor = 0; cursor < input.length; cursor++) {
    if (input[cursor] !== '$' || cursor + 1 >= input.length) continue;
    out += input.slice(checkpoint, cursor);
    const rest = input.slice(cursor + 1);
    let advance = 1;
    if (rest[0] === '$') {
      out += '$';
    } else if (rest[0] === '(') {
      const close = rest.indexOf(')', 1);
      if (close > 0) {
        const name = rest.slice(1, close);
        out += lookup(name) ?? `$(${name})`;
        advance = close + 1;
      } else {
        out += '$(';
      }
    } else {
      out += `$${rest[0]}`;
    }
    cursor += advance;
    checkpoint = cursor + 1;
  }
  return out + input.slice(checkpoint);
}

function valueFrom(pod: V1Pod, container: V1Container, env: V1EnvVar, ctx: EnvContext): string {
  const from = env.valueFrom!;
  if (from.fieldRef) return fieldValue(pod, from.fieldRef.fieldPath, ctx);
  if (from.resourceFieldRef) {
    const ref = from.resourceFieldRef;
    let target = container;
    if (ref.containerName) {
      const named = [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])].find(
        (c) => c.name === ref.containerName,
      );
      if (!named)
        throw new ContainerConfigError(`env ${env.name}: container "${ref.containerName}" not found in the pod`);
      target = named;
    }
    return resourceValue(target, ref.resource, ref.divisor, ctx, env.name);
  }
  // Validation refuses every other source.
  throw new ContainerConfigError(`env ${env.name}: unsupported valueFrom`);
}

/** The downward API value of a field path (validated before: one of the paths above). */
export function fieldValue(pod: V1Pod, path: string, ctx: EnvContext): string {
  const meta = pod.metadata ?? {};
  switch (path) {
    case 'metadata.name':
      return meta.name ?? '';
    case 'metadata.namespace':
      return meta.namespace ?? '';
    case 'metadata.uid':
      return meta.uid ?? '';
    case 'spec.nodeName':
      return pod.spec?.nodeName ?? '';
    case 'spec.serviceAccountName':
      return pod.spec?.serviceAccountName ?? '';
    case 'status.podIP':
      return ctx.podIPs[0] ?? '';
    case 'status.podIPs':
      return ctx.podIPs.join(',');
    case 'status.hostIP':
      if (!ctx.hostIPs[0]) throw new ContainerConfigError('status.hostIP: the node IP is not known');
      return ctx.hostIPs[0];
    case 'status.hostIPs':
      if (!ctx.hostIPs[0]) throw new ContainerConfigError('status.hostIPs: the node IP is not known');
      return ctx.hostIPs.join(',');
  }
  const sub = ENV_SUBSCRIPT.exec(path);
  if (sub) {
    const map = sub[1] === 'labels' ? meta.labels : meta.annotations;
    return map?.[sub[2]!] ?? '';
  }
  throw new ContainerConfigError(`unsupported fieldPath "${path}"`);
}

/**
 * requests/limits cpu/memory of a container divided by the divisor, rounded up, like the kubelet:
 * a missing limit is what the node allows (its allocatable), a missing request is 0.
 */
export function resourceValue(
  container: V1Container,
  resource: string,
  divisorRaw: unknown,
  ctx: EnvContext,
  envName = '',
): string {
  const r = containerResources(container);
  const [kind, name] = resource.split('.') as [string, string];
  let q: Quantity | undefined = kind === 'limits' ? r.limits[name] : r.requests[name];
  if (kind === 'limits' && isZero(q)) {
    if (!ctx.allocatable)
      throw new ContainerConfigError(`env ${envName}: ${resource}: the node's allocatable resources are not known`);
    q =
      name === 'cpu' ? { num: BigInt(ctx.allocatable.cpuMilli), den: 1000n } : fromInteger(ctx.allocatable.memoryBytes);
  }
  let divisor = divisorRaw === undefined || divisorRaw === null ? undefined : parseQuantity(divisorRaw);
  if (isZero(divisor)) divisor = fromInteger(1);
  if (name === 'cpu') return String(Math.ceil(Number(milliValue(q)) / Number(milliValue(divisor))));
  if (name === 'memory') return String(Math.ceil(Number(value(q)) / Number(value(divisor))));
  throw new ContainerConfigError(`env ${envName}: unsupported resource "${resource}"`);
}
