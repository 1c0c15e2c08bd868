// The name patterns Kubernetes objects and their fields use, in one place. Pure string checks.

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LOOSE_DNS1123_NAME = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;
const QUALIFIED_NAME_PART = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** A DNS-1123 label: at most 63 lower-case letters, digits and '-', starting and ending with a letter or digit. */
export function isDns1123Label(s: string): boolean {
  return s.length <= 63 && DNS1123_LABEL.test(s);
}

/** The characters of a DNS-1123 label, without its length limit. */
export function isDns1123LabelOfAnyLength(s: string): boolean {
  return DNS1123_LABEL.test(s);
}

/** A DNS-1123 subdomain: at most 253 characters, DNS-1123 labels joined by '.'. */
export function isDns1123Subdomain(s: string): boolean {
  return s.length <= 253 && DNS1123_SUBDOMAIN.test(s);
}

/**
 * Lower-case letters, digits, '-' and '.', starting and ending with a letter or digit, any length.
 * Looser than a subdomain ('a..b' and 'a.-b' pass): the check the CLI makes on node and pod names.
 */
export function isLooseDns1123Name(s: string): boolean {
  return LOOSE_DNS1123_NAME.test(s);
}

/**
 * A container port's name as probes and hooks accept it: a DNS-1123 label of at most 15 characters.
 * Looser than the IANA service name Kubernetes asks for (that also needs a letter and no '--').
 */
export function isPortName(s: string): boolean {
  return s.length <= 15 && DNS1123_LABEL.test(s);
}

/** A label or annotation key: an optional DNS-1123 subdomain and '/', then at most 63 of [-A-Za-z0-9_.]. */
export function isQualifiedName(key: string): boolean {
  const slash = key.lastIndexOf('/');
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  if (prefix !== undefined && !isDns1123Subdomain(prefix)) return false;
  return name.length <= 63 && QUALIFIED_NAME_PART.test(name);
}

/** A label value: empty, or at most 63 of [-A-Za-z0-9_.] starting and ending with a letter or digit. */
export function isLabelValue(s: string): boolean {
  return s.length <= 63 && LABEL_VALUE.test(s);
}
