// Image handling by pull policy, with the kubelet's failure reasons.
import { CriError, type CriRuntime } from '../runtime/cri/types.js';
import type { Logger } from '../runtime/logger.js';
import { ActionError } from './action-error.js';

export async function ensureImage(
  cri: CriRuntime,
  image: string,
  policy: string,
  log: Logger,
  pod: string,
): Promise<{ pulled: boolean }> {
  if (policy !== 'Always') {
    const present = await cri.imageStatus(image);
    if (present) return { pulled: false };
    if (policy === 'Never') {
      throw new ActionError('ErrImageNeverPull', `image "${image}" is not present and imagePullPolicy is Never`);
    }
  }
  const started = Date.now();
  try {
    await cri.pullImage(image);
  } catch (err) {
    const detail = err instanceof CriError ? err.details : err instanceof Error ? err.message : String(err);
    throw new ActionError('ErrImagePull', `pulling image "${image}": ${detail}`);
  }
  log.info({ pod, image, ms: Date.now() - started }, 'image pulled');
  return { pulled: true };
}
