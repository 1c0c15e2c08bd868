import type { V1Pod } from '@kubernetes/client-node';

/** Where a static pod was defined: a manifest file, or a manifest URL. */
export type SourceKind = 'file' | 'http';

/** A pod as the agent will run it: the manifest after validation, with its node identity applied. */
export interface StaticPod {
  /** Our config hash: also the pod's UID. Stable across agent versions (see identity.ts). */
  readonly uid: string;
  /** `<manifest name>-<node name>`. */
  readonly name: string;
  readonly namespace: string;
  readonly source: SourceKind;
  /** The file path or the URL the pod came from. */
  readonly origin: string;
  /** The full pod object: manifest plus identity (name, namespace, uid, nodeName, annotations). */
  readonly pod: V1Pod;
}

/** `namespace/name`: the key the API server would use. Two static pods may not share one. */
export function fullName(pod: { namespace: string; name: string }): string {
  return `${pod.namespace}/${pod.name}`;
}
