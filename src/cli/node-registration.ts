// What the Node is registered with: --node-labels and --register-with-taints (or the config file's
// registerWithTaints), read and checked as the kubelet does, so that a label the API server's
// NodeRestriction would refuse stops the agent at start instead of failing every registration.
import type { V1Taint } from '@kubernetes/client-node';
import { isLabelValue, isQualifiedName } from '../core/names.js';

export class NodeRegistrationError extends Error {
  override name = 'NodeRegistrationError';
}

/** Label keys a node may set on itself in the kubernetes.io and k8s.io namespaces (the kubelet's list). */
const KUBELET_LABELS = new Set([
  'kubernetes.io/hostname',
  'kubernetes.io/os',
  'kubernetes.io/arch',
  'beta.kubernetes.io/os',
  'beta.kubernetes.io/arch',
  'beta.kubernetes.io/instance-type',
  'node.kubernetes.io/instance-type',
  'topology.kubernetes.io/zone',
  'topology.kubernetes.io/region',
  'failure-domain.beta.kubernetes.io/zone',
  'failure-domain.beta.kubernetes.io/region',
]);
/** Namespaces (and their subdomains) a node may use freely. */
const KUBELET_LABEL_NAMESPACES = ['kubelet.kubernetes.io', 'node.kubernetes.io'];
const TAINT_EFFECTS = new Set(['NoSchedule', 'PreferNoSchedule', 'NoExecute']);

/**
 * `--node-labels=k=v[,k=v]`, repeatable: pairs merge, a later key wins (the kubelet's map flag).
 * Refuses what the kubelet refuses at start: bad keys or values, and kubernetes.io / k8s.io keys
 * outside the set a node may give itself.
 */
export function parseNodeLabels(flags: readonly string[]): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const flag of flags) {
    for (const pair of flag.split(',')) {
      if (pair === '') continue;
      const eq = pair.indexOf('=');
      if (eq < 0) throw new NodeRegistrationError(`--node-labels: "${pair}" is not KEY=VALUE`);
      labels[pair.slice(0, eq).trim()] = pair.slice(eq + 1).trim();
    }
  }
  const refused = Object.keys(labels).filter((k) => isKubernetesLabel(k) && !isNodeSettableLabel(k));
  if (refused.length > 0) {
    throw new NodeRegistrationError(
      `--node-labels: ${refused.sort().join(', ')}: a node may not set labels in the kubernetes.io or k8s.io ` +
        `namespaces except under ${KUBELET_LABEL_NAMESPACES.join(', ')} or ${[...KUBELET_LABELS].sort().join(', ')}`,
    );
  }
  for (const [key, value] of Object.entries(labels)) {
    if (!isQualifiedName(key)) throw new NodeRegistrationError(`--node-labels: "${key}" is not a valid label key`);
    if (!isLabelValue(value))
      throw new NodeRegistrationError(`--node-labels: "${value}" (of ${key}) is not a valid label value`);
  }
  return labels;
}

/** `--register-with-taints=key[=value]:Effect[,...]`; a repeated flag replaces, as in the kubelet. */
export function parseTaints(flag: string): V1Taint[] {
  if (flag === '') return [];
  return flag.split(',').map((spec) => {
    const parts = spec.split(':');
    const kv = parts[0]!.split('=');
    if (parts.length !== 2 || kv.length > 2)
      throw new NodeRegistrationError(`--register-with-taints: "${spec}" is not KEY[=VALUE]:EFFECT`);
    const taint: V1Taint = { key: kv[0]!, effect: parts[1]!, ...(kv.length === 2 ? { value: kv[1]! } : {}) };
    const problem = taintProblem(taint);
    if (problem) throw new NodeRegistrationError(`--register-with-taints: "${spec}": ${problem}`);
    return taint;
  });
}

/** What is wrong with a taint, as the kubelet's checks and the API server's Node validation see it. */
export function taintProblem(taint: { key?: unknown; value?: unknown; effect?: unknown }): string | undefined {
  if (typeof taint.key !== 'string' || !isQualifiedName(taint.key))
    return `key ${JSON.stringify(taint.key)} is not valid`;
  if (taint.value !== undefined && (typeof taint.value !== 'string' || !isLabelValue(taint.value)))
    return `value ${JSON.stringify(taint.value)} is not valid`;
  // The kubelet lets an empty effect through and the API server then refuses the Node: refused here.
  if (typeof taint.effect !== 'string' || !TAINT_EFFECTS.has(taint.effect))
    return `effect ${JSON.stringify(taint.effect)} is not one of ${[...TAINT_EFFECTS].join(', ')}`;
  return undefined;
}

function labelNamespace(key: string): string {
  const slash = key.indexOf('/');
  return slash < 0 ? '' : key.slice(0, slash);
}

function isKubernetesLabel(key: string): boolean {
  const ns = labelNamespace(key);
  return ['kubernetes.io', 'k8s.io'].some((d) => ns === d || ns.endsWith(`.${d}`));
}

function isNodeSettableLabel(key: string): boolean {
  if (KUBELET_LABELS.has(key)) return true;
  const ns = labelNamespace(key);
  return KUBELET_LABEL_NAMESPACES.some((d) => ns === d || ns.endsWith(`.${d}`));
}
