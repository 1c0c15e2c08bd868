// Labels and annotations on what we create in the runtime. The `io.kubernetes.*` keys are the
// kubelet's (so crictl and other tools show our pods like the kubelet's); the `staticlet.io/*` keys
// mark what we created, so the agent only ever touches its own sandboxes and containers and can
// rebuild its state from the runtime after a restart.
export const LABEL = {
  podName: 'io.kubernetes.pod.name',
  podNamespace: 'io.kubernetes.pod.namespace',
  podUid: 'io.kubernetes.pod.uid',
  containerName: 'io.kubernetes.container.name',
  managed: 'staticlet.io/managed',
  node: 'staticlet.io/node',
} as const;

export const ANNOTATION = {
  containerHash: 'io.kubernetes.container.hash',
  restartCount: 'io.kubernetes.container.restartCount',
  terminationMessagePath: 'io.kubernetes.container.terminationMessagePath',
  terminationMessagePolicy: 'io.kubernetes.container.terminationMessagePolicy',
  terminationMessageHostPath: 'staticlet.io/termination-message-host-path',
  gracePeriod: 'io.kubernetes.pod.terminationGracePeriod',
  preStop: 'io.kubernetes.container.preStopHandler',
  configSource: 'kubernetes.io/config.source',
  origin: 'staticlet.io/origin',
  init: 'staticlet.io/init-container',
} as const;

/** The label selector for everything this agent (this node name) created. */
export function ownedSelector(nodeName: string): Record<string, string> {
  return { [LABEL.managed]: 'true', [LABEL.node]: nodeName };
}
