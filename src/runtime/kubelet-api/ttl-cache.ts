// The answers of the API server's reviews (TokenReview, SubjectAccessReview), kept for a while so
// that a burst of requests (a scrape every few seconds, a `kubectl logs -f`) costs one review, as
// the kubelet's webhook caches do. Bounded: past MAX_ENTRIES the oldest entry goes.
export const MAX_ENTRIES = 4096;

export class TtlCache<V> {
  private readonly entries = new Map<string, { value: V; expiresAt: number }>();

  constructor(private readonly now: () => number = Date.now) {}

  get(key: string): V | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (this.now() >= entry.expiresAt) {
      this.entries.delete(key);
      return undefined;
    }
    return entry.value;
  }

  set(key: string, value: V, ttlMs: number): void {
    if (ttlMs <= 0) return;
    this.entries.delete(key);
    this.entries.set(key, { value, expiresAt: this.now() + ttlMs });
    if (this.entries.size > MAX_ENTRIES) this.entries.delete(this.entries.keys().next().value!);
  }
}
