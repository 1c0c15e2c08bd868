// When the serving certificate is renewed: like the kubelet's certificate manager
// (k8s.io/client-go/util/certificate, nextRotationDeadline), at a random point between 70% and
// 90% of its lifetime, so that nodes whose certificates were issued together do not all ask at
// once, and a renewal that fails has the last tenth and more to be retried in.

export const RENEW_AT_FRACTION = { min: 0.7, max: 0.9 } as const;

/**
 * The moment (ms since the epoch) to renew a certificate valid from `notBefore` to `notAfter`;
 * `random` is in [0, 1). A certificate already past that point is renewed at once (the caller
 * compares with now).
 */
export function renewalTime(notBefore: number, notAfter: number, random: number): number {
  const lifetime = Math.max(0, notAfter - notBefore);
  const fraction = RENEW_AT_FRACTION.min + (RENEW_AT_FRACTION.max - RENEW_AT_FRACTION.min) * clamp01(random);
  return notBefore + Math.round(lifetime * fraction);
}

/** Whether a certificate that is valid until `notAfter` still has a use at `now`. */
export function stillValid(notAfter: number, now: number): boolean {
  return now < notAfter;
}

function clamp01(x: number): number {
  return Number.isFinite(x) ? Math.min(Math.max(x, 0), 1) : 0.5;
}
