// Image handling by pull policy, with the kubelet's failure reasons.
import type { V1Container } from '@kubernetes/client-node';
import { CriError, type CriRuntime } from '../cri-api/runtime-service.js';
import type { ImageStatus } from '../cri-api/messages.js';
import type { Logger } from '../runtime/logger.js';
import { ActionError } from './action-error.js';

export async function ensureImage(
  cri: CriRuntime,
  image: string,
  policy: string,
  log: Logger,
  pod: string,
  lookup: ImageLookup = new ImageLookup(cri, Date.now),
): Promise<{ pulled: boolean }> {
  if (looksUpFirst(policy)) {
    const present = await lookup.status(image);
    if (present) return { pulled: false };
    if (policy === 'Never') {
      throw new ActionError('ErrImageNeverPull', `image "${image}" is not present and imagePullPolicy is Never`);
    }
  }
  const started = Date.now();
  try {
    await cri.pullImage(image);
    lookup.forget(image);
  } catch (err) {
    const detail = err instanceof CriError ? err.details : err instanceof Error ? err.message : String(err);
    throw new ActionError('ErrImagePull', `pulling image "${image}": ${detail}`);
  }
  log.info({ pod, image, ms: Date.now() - started }, 'image pulled');
  return { pulled: true };
}

/** Every policy but Always asks the runtime before pulling. */
function looksUpFirst(policy: string | undefined): boolean {
  return policy !== 'Always';
}

/**
 * Image status lookups, started early and shared briefly. The sandbox step starts one for each of
 * the pod's images while RunPodSandbox runs, so the container step that follows finds the answer
 * waiting; and pods started together ask once per image. An answer is used for FRESH_MS only; a
 * pull forgets it. An image removed within that window makes CreateContainer fail, and the retry
 * asks again.
 */
export class ImageLookup {
  static readonly FRESH_MS = 1_000;
  private readonly recent = new Map<
    string,
    { readonly at: number; readonly status: Promise<ImageStatus | undefined> }
  >();

  constructor(
    private readonly cri: CriRuntime,
    private readonly now: () => number,
  ) {}

  /**
   * Starts the lookups the containers' starts will make, unless an answer is fresh enough to
   * still be fresh when they ask (a sandbox takes a fraction of FRESH_MS to start): an answer
   * that expires in between would put a lookup back on the start path.
   */
  prefetch(containers: readonly V1Container[]): void {
    for (const c of containers)
      if (looksUpFirst(c.imagePullPolicy)) void this.status(c.image!, ImageLookup.FRESH_MS / 2).catch(() => undefined);
  }

  /** The image's status: a shared answer at most FRESH_MS − `keepFreshMs` old, else a new lookup. */
  status(image: string, keepFreshMs = 0): Promise<ImageStatus | undefined> {
    const now = this.now();
    for (const [key, entry] of this.recent) if (now - entry.at > ImageLookup.FRESH_MS) this.recent.delete(key);
    const fresh = this.recent.get(image);
    if (fresh && now - fresh.at + keepFreshMs <= ImageLookup.FRESH_MS) return fresh.status;
    const status = this.cri.imageStatus(image);
    this.recent.set(image, { at: now, status });
    // A failed lookup is not kept: the next caller asks again.
    status.catch(() => this.recent.get(image)?.status === status && this.recent.delete(image));
    return status;
  }

  forget(image: string): void {
    this.recent.delete(image);
  }
}
