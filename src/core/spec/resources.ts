// requests and limits → the CRI's Linux container resources, as the kubelet sets them on cgroup v1:
// CPU shares from the request, a CFS quota from the limit, the memory limit, the OOM score by QoS.
import type { V1Container, V1Pod } from '@kubernetes/client-node';
import type { LinuxContainerResources } from '../../cri-api/messages.js';
import { containerOomScoreAdj, containerResources, qosClass } from '../qos.js';
import { isZero, milliValue, value } from '../quantity.js';

export const MIN_SHARES = 2;
export const MAX_SHARES = 262_144;
export const SHARES_PER_CPU = 1024;
export const QUOTA_PERIOD = 100_000;
export const MIN_QUOTA_PERIOD = 1_000;

export function milliCpuToShares(milliCpu: bigint): bigint {
  if (milliCpu === 0n) return BigInt(MIN_SHARES);
  const shares = (milliCpu * BigInt(SHARES_PER_CPU)) / 1000n;
  if (shares < BigInt(MIN_SHARES)) return BigInt(MIN_SHARES);
  if (shares > BigInt(MAX_SHARES)) return BigInt(MAX_SHARES);
  return shares;
}

/** 0 (no quota) without a limit. */
export function milliCpuToQuota(milliCpu: bigint, period: bigint): bigint {
  if (milliCpu === 0n) return 0n;
  const quota = (milliCpu * period) / 1000n;
  return quota < BigInt(MIN_QUOTA_PERIOD) ? BigInt(MIN_QUOTA_PERIOD) : quota;
}

/**
 * The container's resources. `memoryCapacity` (bytes) only matters to a Burstable container's
 * OOM score; without it the kubelet's formula cannot run and the score is left to the runtime.
 */
export function linuxResources(
  pod: V1Pod,
  container: V1Container,
  memoryCapacity: number | undefined,
): LinuxContainerResources {
  const { requests, limits } = containerResources(container);
  const cpuRequest = requests['cpu'];
  const cpuLimit = limits['cpu'];
  // A limit without a request asks for the limit.
  const shares =
    isZero(cpuRequest) && !isZero(cpuLimit)
      ? milliCpuToShares(milliValue(cpuLimit))
      : milliCpuToShares(milliValue(cpuRequest));
  const period = BigInt(QUOTA_PERIOD);
  const memoryLimit = value(limits['memory']);
  const oom =
    memoryCapacity !== undefined || qosIsFixed(pod)
      ? containerOomScoreAdj(pod, container, memoryCapacity ?? 1)
      : undefined;
  return {
    cpuPeriod: String(period),
    cpuQuota: String(milliCpuToQuota(milliValue(cpuLimit), period)),
    cpuShares: String(shares),
    ...(memoryLimit !== 0n ? { memoryLimitInBytes: String(memoryLimit) } : {}),
    ...(oom !== undefined ? { oomScoreAdj: String(oom) } : {}),
  };
}

/** Pods whose OOM score does not depend on the node's memory: node-critical, Guaranteed, BestEffort. */
function qosIsFixed(pod: V1Pod): boolean {
  return pod.spec?.priorityClassName === 'system-node-critical' || qosClass(pod) !== 'Burstable';
}
