// A pod's name resolution as the kubelet sets it up: resolv.conf (dnsPolicy, dnsConfig), the
// sandbox's hostname (hostname, subdomain, setHostnameAsFQDN) and the managed /etc/hosts
// (hostAliases).
import type { V1Pod } from '@kubernetes/client-node';
import type { DnsConfig } from '../../cri-api/messages.js';
import { ContainerConfigError } from './errors.js';

export interface DnsOptions {
  readonly clusterDNS: readonly string[];
  readonly clusterDomain: string;
  /** The node's own resolver settings (from /etc/resolv.conf), for dnsPolicy Default. */
  readonly hostDns: {
    readonly servers: readonly string[];
    readonly searches: readonly string[];
    readonly options: readonly string[];
  };
}

export const MAX_DNS_NAMESERVERS = 3;
export const MAX_DNS_SEARCHES = 32;
export const MAX_DNS_SEARCH_CHARS = 2048;
const MAX_SEARCH_LENGTH = 253;
const CLUSTER_OPTIONS = ['ndots:5'];

/**
 * The kubelet's DNS rules. None: only the pod's dnsConfig. ClusterFirst: the cluster DNS when one
 * is configured and the pod is not on the host network (ClusterFirstWithHostNet: even then);
 * otherwise, and for Default, the node's resolver. The pod's dnsConfig is then merged in, and the
 * result trimmed to what resolvers accept. Undefined: nothing to say (the runtime copies the
 * node's resolv.conf).
 */
export function dnsFor(pod: V1Pod, opts: DnsOptions): DnsConfig | undefined {
  const spec = pod.spec!;
  const policy = spec.dnsPolicy ?? 'ClusterFirst';
  const hostNetwork = spec.hostNetwork === true;
  let dns: DnsConfig;
  if (policy === 'None') {
    dns = { servers: [], searches: [], options: [] };
  } else if (
    opts.clusterDNS.length > 0 &&
    ((policy === 'ClusterFirst' && !hostNetwork) || policy === 'ClusterFirstWithHostNet')
  ) {
    const domain = opts.clusterDomain.replace(/\.$/, '');
    const searches = domain
      ? dedupe([`${pod.metadata?.namespace}.svc.${domain}`, `svc.${domain}`, domain, ...opts.hostDns.searches])
      : [...opts.hostDns.searches];
    dns = { servers: [...opts.clusterDNS], searches, options: [...CLUSTER_OPTIONS] };
  } else {
    dns = {
      servers: [...opts.hostDns.servers],
      searches: [...opts.hostDns.searches],
      options: [...opts.hostDns.options],
    };
  }
  const extra = spec.dnsConfig;
  if (extra) {
    dns = {
      servers: dedupe([...dns.servers, ...(extra.nameservers ?? [])]),
      searches: dedupe([...dns.searches, ...(extra.searches ?? [])]),
      options: mergeOptions(dns.options, extra.options ?? []),
    };
  }
  dns = { ...dns, servers: dns.servers.slice(0, MAX_DNS_NAMESERVERS), searches: fitSearches(dns.searches) };
  if (dns.servers.length === 0 && dns.searches.length === 0 && dns.options.length === 0) return undefined;
  return dns;
}

function dedupe(list: readonly string[]): string[] {
  return [...new Set(list)];
}

/** Options by name; the pod's dnsConfig overrides an option of the same name. */
function mergeOptions(existing: readonly string[], extra: readonly { name?: string; value?: string }[]): string[] {
  const merged = new Map<string, string>();
  for (const op of existing) {
    const colon = op.indexOf(':');
    if (colon >= 0) merged.set(op.slice(0, colon), op.slice(colon + 1));
    else merged.set(op, '');
  }
  for (const op of extra) merged.set(op.name ?? '', op.value ?? '');
  return [...merged].map(([name, v]) => (v !== '' ? `${name}:${v}` : name));
}

/** At most 32 searches, none longer than 253 characters, 2048 characters in all. */
function fitSearches(searches: readonly string[]): string[] {
  let out = searches.slice(0, MAX_DNS_SEARCHES).filter((s) => s.length <= MAX_SEARCH_LENGTH);
  let total = out.join(' ').length;
  while (total > MAX_DNS_SEARCH_CHARS && out.length > 0) {
    total -= out[out.length - 1]!.length + 1;
    out = out.slice(0, -1);
  }
  return out;
}

/**
 * The kubelet's hostname and domain of a pod: spec.hostname or the pod's name (cut to 63
 * characters), and `<subdomain>.<namespace>.svc.<cluster domain>` when a subdomain is set.
 */
export function podHostnameAndDomain(pod: V1Pod, clusterDomain: string): { hostname: string; domain: string } {
  const spec = pod.spec!;
  let hostname = spec.hostname || pod.metadata?.name || '';
  if (hostname.length > 63) hostname = hostname.slice(0, 63).replace(/[-.]+$/, '');
  const domain = spec.subdomain
    ? `${spec.subdomain}.${pod.metadata?.namespace}.svc.${clusterDomain.replace(/\.$/, '')}`
    : '';
  return { hostname, domain };
}

/** The sandbox's (kernel) hostname: none for host-network pods; the FQDN with setHostnameAsFQDN. */
export function sandboxHostname(pod: V1Pod, clusterDomain: string): string {
  if (pod.spec?.hostNetwork === true) return '';
  const { hostname, domain } = podHostnameAndDomain(pod, clusterDomain);
  if (domain && pod.spec?.setHostnameAsFQDN === true) {
    const fqdn = `${hostname}.${domain}`;
    if (fqdn.length > 64) {
      throw new ContainerConfigError(
        `failed to construct FQDN from pod hostname and cluster domain, FQDN ${fqdn} is too long (64 characters is the max, ${fqdn.length} characters requested)`,
      );
    }
    return fqdn;
  }
  return hostname;
}

const MANAGED_HEADER = '# Kubernetes-managed hosts file.\n';
const MANAGED_HEADER_HOST_NETWORK = '# Kubernetes-managed hosts file (host network).\n';

/**
 * The managed /etc/hosts. A pod on the pod network: localhost lines, each pod IP with the
 * hostname (and the FQDN first with a subdomain), then the aliases. A host-network pod: the
 * node's own hosts file, then the aliases.
 */
export function etcHostsContent(
  pod: V1Pod,
  podIPs: readonly string[],
  clusterDomain: string,
  nodeHosts: string,
): string {
  const aliases = hostAliasLines(pod);
  if (pod.spec?.hostNetwork === true) return MANAGED_HEADER_HOST_NETWORK + nodeHosts + aliases;
  const { hostname, domain } = podHostnameAndDomain(pod, clusterDomain);
  let out = MANAGED_HEADER;
  out += '127.0.0.1\tlocalhost\n';
  out += '::1\tlocalhost ip6-localhost ip6-loopback\n';
  out += 'fe00::0\tip6-localnet\n';
  out += 'fe00::0\tip6-mcastprefix\n';
  out += 'fe00::1\tip6-allnodes\n';
  out += 'fe00::2\tip6-allrouters\n';
  for (const ip of podIPs) out += domain ? `${ip}\t${hostname}.${domain}\t${hostname}\n` : `${ip}\t${hostname}\n`;
  return out + aliases;
}

function hostAliasLines(pod: V1Pod): string {
  const aliases = pod.spec?.hostAliases ?? [];
  if (aliases.length === 0) return '';
  return (
    '\n# Entries added by HostAliases.\n' + aliases.map((a) => `${a.ip}\t${(a.hostnames ?? []).join('\t')}\n`).join('')
  );
}
