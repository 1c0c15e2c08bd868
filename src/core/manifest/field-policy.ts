// Which fields of a static pod staticlet takes, field by field. Fields fall in four groups:
//  - supported: they change how the pod runs, and staticlet implements them;
//  - carried: they only matter to the scheduler or the API server, accepted and kept on the mirror;
//  - forbidden: references to API objects, which static pods may not have;
//  - unsupported: they would change how the pod runs, but are not implemented: refused, never
//    silently ignored. An empty value ({}, [], null, false, '') of such a field is accepted.

export const METADATA_ACCEPTED = new Set([
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

export const SPEC_SUPPORTED = new Set([
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
export const SPEC_CARRIED = new Set([
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
export const SPEC_FORBIDDEN: Record<string, string> = {
  serviceAccountName: 'static pods may not use a service account',
  serviceAccount: 'static pods may not use a service account',
  imagePullSecrets: 'static pods may not reference Secrets',
  resourceClaims: 'static pods may not reference ResourceClaims',
};
export const SPEC_UNSUPPORTED = new Set([
  'runtimeClassName',
  'activeDeadlineSeconds',
  'ephemeralContainers',
  'os',
  'hostUsers',
  'resources',
]);

export const CONTAINER_SUPPORTED = new Set([
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
export const CONTAINER_FORBIDDEN: Record<string, string> = {
  envFrom: 'static pods may not reference ConfigMaps or Secrets',
};
export const CONTAINER_UNSUPPORTED = new Set(['resizePolicy', 'restartPolicy', 'volumeDevices']);

export const VOLUME_SUPPORTED = new Set(['hostPath', 'emptyDir']);
export const VOLUME_FORBIDDEN: Record<string, string> = {
  secret: 'static pods may not reference Secrets',
  configMap: 'static pods may not reference ConfigMaps',
  persistentVolumeClaim: 'static pods may not reference PersistentVolumeClaims',
  projected: 'static pods may not use projected volumes (they reference API objects)',
  ephemeral: 'static pods may not create PersistentVolumeClaims',
};
export const HOST_PATH_TYPES = new Set([
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
export const DNS_POLICIES = ['ClusterFirst', 'ClusterFirstWithHostNet', 'Default', 'None'] as const;
export const PROTOCOLS = ['TCP', 'UDP', 'SCTP'] as const;
