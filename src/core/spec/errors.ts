/**
 * The pod's configuration cannot be turned into a container here and now (runAsNonRoot with a root
 * image, a field the node cannot provide, ...): the kubelet's CreateContainerConfigError.
 */
export class ContainerConfigError extends Error {
  override readonly name = 'ContainerConfigError';
}
