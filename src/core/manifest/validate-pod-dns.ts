// Validation of the pod-level naming settings: host namespaces, hostname and subdomain, DNS config
// and host aliases.
import { isIP } from 'node:net';
import { isDns1123Label, isDns1123Subdomain } from '../names.js';
import { MAX_DNS_NAMESERVERS, MAX_DNS_SEARCH_CHARS, MAX_DNS_SEARCHES } from '../spec/dns.js';
import type { FieldPath } from './parse.js';
import type { Json, Validator } from './validator.js';

export function validatePodNaming(v: Validator, path: FieldPath, spec: Json): void {
  const hostPID = v.boolean([...path, 'hostPID'], spec.hostPID);
  v.boolean([...path, 'hostIPC'], spec.hostIPC);
  const share = v.boolean([...path, 'shareProcessNamespace'], spec.shareProcessNamespace);
  if (hostPID && share)
    v.problem([...path, 'shareProcessNamespace'], 'shareProcessNamespace and hostPID cannot both be true');
  for (const key of ['hostname', 'subdomain']) {
    const s = v.string([...path, key], spec[key], {});
    if (s !== undefined && s !== '' && !isDns1123Label(s))
      v.problem([...path, key], `"${s}" is not a valid DNS label: at most 63 lower-case letters, digits and '-'`);
  }
  v.boolean([...path, 'setHostnameAsFQDN'], spec.setHostnameAsFQDN);
}

export function validateDnsConfig(v: Validator, path: FieldPath, policy: unknown, value: unknown): void {
  const dc = v.object(path, value, 'dnsConfig');
  if (policy === 'None') {
    if (!dc) v.problem(path, 'dnsConfig is required when dnsPolicy is None');
    else if (!Array.isArray(dc.nameservers) || dc.nameservers.length === 0)
      v.problem([...path, 'nameservers'], 'at least one nameserver is required when dnsPolicy is None');
  }
  if (!dc) return;
  v.knownKeys(path, dc, ['nameservers', 'searches', 'options']);
  const servers = v.array([...path, 'nameservers'], dc.nameservers) ?? [];
  if (servers.length > MAX_DNS_NAMESERVERS)
    v.problem([...path, 'nameservers'], `at most ${MAX_DNS_NAMESERVERS} nameservers`);
  servers.forEach((s, i) => {
    const ip = v.string([...path, 'nameservers', i], s, { required: true });
    if (ip !== undefined && isIP(ip) === 0) v.problem([...path, 'nameservers', i], `"${ip}" is not an IP address`);
  });
  const searches = v.array([...path, 'searches'], dc.searches) ?? [];
  if (searches.length > MAX_DNS_SEARCHES)
    v.problem([...path, 'searches'], `at most ${MAX_DNS_SEARCHES} search domains`);
  searches.forEach((s, i) => {
    const d = v.string([...path, 'searches', i], s, { required: true });
    if (d !== undefined && !isDns1123Subdomain(d.replace(/\.$/, '')))
      v.problem([...path, 'searches', i], `"${d}" is not a valid domain name`);
  });
  if (searches.filter((s) => typeof s === 'string').join(' ').length > MAX_DNS_SEARCH_CHARS) {
    v.problem([...path, 'searches'], `the search list is longer than ${MAX_DNS_SEARCH_CHARS} characters`);
  }
  (v.array([...path, 'options'], dc.options) ?? []).forEach((o, i) => {
    const op = v.object([...path, 'options', i], o, 'an option');
    if (!op) return;
    v.knownKeys([...path, 'options', i], op, ['name', 'value']);
    const name = v.string([...path, 'options', i, 'name'], op.name, { required: true });
    if (name === '') v.problem([...path, 'options', i, 'name'], 'the option name is empty');
    v.string([...path, 'options', i, 'value'], op.value, {});
  });
}

export function validateHostAliases(v: Validator, path: FieldPath, value: unknown): void {
  (v.array(path, value) ?? []).forEach((item, i) => {
    const hp = [...path, i];
    const alias = v.object(hp, item, 'a host alias');
    if (!alias) return;
    v.knownKeys(hp, alias, ['ip', 'hostnames']);
    const ip = v.string([...hp, 'ip'], alias.ip, { required: true });
    if (ip !== undefined && isIP(ip) === 0) v.problem([...hp, 'ip'], `"${ip}" is not an IP address`);
    (v.array([...hp, 'hostnames'], alias.hostnames) ?? []).forEach((h, j) => {
      const name = v.string([...hp, 'hostnames', j], h, { required: true });
      if (name !== undefined && !isDns1123Subdomain(name))
        v.problem([...hp, 'hostnames', j], `"${name}" is not a valid host name`);
    });
  });
}
