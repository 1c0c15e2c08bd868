// A static pod's identity. The UID (also the `kubernetes.io/config.hash` annotation) hashes the
// manifest *as written*, canonicalised (keys sorted, so whitespace, comments, key order and
// JSON-versus-YAML do not matter), plus the node name and the origin. Defaults are applied after
// hashing: a new agent version with other defaults never changes a UID, so it never restarts a pod.
import { createHash } from 'node:crypto';
import type { V1Container } from '@kubernetes/client-node';
import type { SourceKind, StaticPod } from '../model/static-pod.js';
import type { ValidPod } from './validate.js';

export const ANNOTATION_CONFIG_HASH = 'kubernetes.io/config.hash';
export const ANNOTATION_CONFIG_SOURCE = 'kubernetes.io/config.source';
export const ANNOTATION_CONFIG_SEEN = 'kubernetes.io/config.seen';

export interface IdentityContext {
  readonly nodeName: string;
  readonly source: SourceKind;
  readonly origin: string;
  /** When the manifest was read (ms since the epoch), for `kubernetes.io/config.seen`. */
  readonly seenAt: number;
}

/** JSON with object keys sorted at every level: one text per value, whatever the input's layout. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

export function podUid(manifest: unknown, ctx: Pick<IdentityContext, 'nodeName' | 'source' | 'origin'>): string {
  return createHash('sha256')
    .update(canonicalJson(manifest))
    .update('\n')
    .update(ctx.nodeName)
    .update('\n')
    .update(`${ctx.source}:${ctx.origin}`)
    .digest('hex')
    .slice(0, 32);
}

/**
 * The static pod for a validated manifest (only validatePod makes a ValidPod): identity applied,
 * then the kubelet's defaults.
 */
export function toStaticPod(manifest: ValidPod, ctx: IdentityContext): StaticPod {
  const uid = podUid(manifest, ctx);
  const pod = structuredClone(manifest);
  const meta = (pod.metadata ??= {});
  const spec = pod.spec!;
  const name = `${meta.name}-${ctx.nodeName}`;
  const namespace = meta.namespace || 'default';
  pod.metadata = {
    ...(meta.labels ? { labels: meta.labels } : {}),
    name,
    namespace,
    uid,
    annotations: {
      ...(meta.annotations ?? {}),
      [ANNOTATION_CONFIG_HASH]: uid,
      [ANNOTATION_CONFIG_SOURCE]: ctx.source,
      [ANNOTATION_CONFIG_SEEN]: new Date(ctx.seenAt).toISOString(),
    },
  };
  delete pod.status;
  spec.nodeName = ctx.nodeName;
  spec.restartPolicy ??= 'Always';
  spec.dnsPolicy ??= 'ClusterFirst';
  spec.terminationGracePeriodSeconds ??= 30;
  spec.hostNetwork ??= false;
  // Like the kubelet: a static pod tolerates NoExecute taints, so it is never evicted by them.
  spec.tolerations = [...(spec.tolerations ?? []), { operator: 'Exists', effect: 'NoExecute' }];
  for (const c of [...(spec.initContainers ?? []), ...spec.containers]) defaultContainer(c);
  return { uid, name, namespace, source: ctx.source, origin: ctx.origin, pod };
}

function defaultContainer(c: V1Container): void {
  c.imagePullPolicy ??= defaultPullPolicy(c.image ?? '');
  c.terminationMessagePath ??= '/dev/termination-log';
  c.terminationMessagePolicy ??= 'File';
  for (const p of c.ports ?? []) p.protocol ??= 'TCP';
}

/** The kubelet's rule: `Always` for `:latest` or no tag (and no digest), else `IfNotPresent`. */
export function defaultPullPolicy(image: string): 'Always' | 'IfNotPresent' {
  if (image.includes('@')) return 'IfNotPresent';
  const lastSlash = image.lastIndexOf('/');
  const colon = image.indexOf(':', lastSlash + 1);
  const tag = colon >= 0 ? image.slice(colon + 1) : '';
  return tag === '' || tag === 'latest' ? 'Always' : 'IfNotPresent';
}
