// Validation of resources, security contexts, the downward API, DNS settings, host aliases and
// volume mount extras (kept apart from validate.ts: each with Kubernetes' own rules). Nested
// fields follow field-policy.ts's groups: supported, accepted without effect, forbidden, refused.
import { isIP } from 'node:net';
import { isDns1123Label, isDns1123Subdomain, isQualifiedName } from '../names.js';
import { ENV_FIELD_PATHS, ENV_SUBSCRIPT, RESOURCE_FIELDS } from '../spec/env.js';
import { MAX_DNS_NAMESERVERS, MAX_DNS_SEARCH_CHARS, MAX_DNS_SEARCHES } from '../spec/dns.js';
import { compare, parseQuantity, type Quantity } from '../quantity.js';
import type { FieldPath } from './parse.js';
import type { Json, Validator } from './validator.js';

const MAX_ID = 2_147_483_647;
const NONE = new Set<string>();

/** A nested mapping's keys: `supported` and `accepted` pass; `unsupported` ones must be empty. */
function keys(
  v: Validator,
  path: FieldPath,
  obj: Json,
  supported: readonly string[],
  unsupported: readonly string[],
  forbidden: Record<string, string> = {},
): void {
  for (const [key, val] of Object.entries(obj)) {
    v.classify([...path, key], key, val, new Set(supported), NONE, forbidden, new Set(unsupported));
  }
}

/** A quantity (string or number), not negative. */
export function quantity(v: Validator, path: FieldPath, value: unknown): Quantity | undefined {
  if (value === undefined || value === null) return undefined;
  const q = parseQuantity(value);
  if (!q) {
    v.problem(
      path,
      `${typeof value === 'string' ? `"${value}"` : String(value)} is not a valid quantity (like 250m, 1, 0.5, 128Mi, 1G)`,
    );
    return undefined;
  }
  if (q.num < 0n) {
    v.problem(path, 'must be greater than or equal to 0');
    return undefined;
  }
  return q;
}

function id(v: Validator, path: FieldPath, value: unknown): number | undefined {
  return v.integer(path, value, 0, MAX_ID);
}

// ---------------------------------------------------------------------------------------------
// Resources

const RESOURCE_CARRIED = new Set(['ephemeral-storage']);

export function validateResources(v: Validator, path: FieldPath, value: unknown): void {
  const res = v.object(path, value, 'resources');
  if (!res) return;
  keys(v, path, res, ['limits', 'requests'], [], { claims: 'static pods may not reference ResourceClaims' });
  const lists: Record<string, Map<string, Quantity>> = {};
  for (const kind of ['limits', 'requests'] as const) {
    const list = v.object([...path, kind], res[kind], kind);
    const parsed = new Map<string, Quantity>();
    lists[kind] = parsed;
    for (const [name, raw] of Object.entries(list ?? {})) {
      const rp = [...path, kind, name];
      if (name.startsWith('hugepages-')) {
        v.problem(rp, `${name} is not supported yet: staticlet refuses it rather than ignore it`);
        continue;
      }
      if (name !== 'cpu' && name !== 'memory' && !RESOURCE_CARRIED.has(name)) {
        v.problem(rp, `resource "${name}" is not supported (supported: cpu, memory; ephemeral-storage is accepted)`);
        continue;
      }
      const q = quantity(v, rp, raw);
      if (q) parsed.set(name, q);
    }
  }
  for (const [name, req] of lists['requests']!) {
    const lim = lists['limits']!.get(name);
    if (lim && compare(req, lim) > 0) {
      v.problem(
        [...path, 'requests', name],
        `must be less than or equal to the ${name} limit (${String(res.limits && (res.limits as Json)[name])})`,
      );
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Security contexts

function seccompProfile(v: Validator, path: FieldPath, value: unknown): void {
  const sp = v.object(path, value, 'seccompProfile');
  if (!sp) return;
  v.knownKeys(path, sp, ['type', 'localhostProfile']);
  const type = v.string([...path, 'type'], sp.type, { required: true });
  v.oneOf([...path, 'type'], sp.type, ['RuntimeDefault', 'Unconfined', 'Localhost']);
  const local = v.string([...path, 'localhostProfile'], sp.localhostProfile, {});
  if (type === 'Localhost') {
    if (!local) v.problem([...path, 'localhostProfile'], 'localhostProfile is required when the type is Localhost');
    else localDescendingPath(v, [...path, 'localhostProfile'], local);
  } else if (local !== undefined) {
    v.problem([...path, 'localhostProfile'], 'may only be set when the type is Localhost');
  }
}

/** A relative path that stays below its base: not absolute, no `..` element. */
export function localDescendingPath(v: Validator, path: FieldPath, p: string): void {
  if (p.startsWith('/')) v.problem(path, `"${p}" must be a relative path`);
  if (p.split('/').includes('..')) v.problem(path, `"${p}" must not contain '..'`);
}

export function validatePodSecurityContext(v: Validator, path: FieldPath, value: unknown): void {
  const sc = v.object(path, value, 'securityContext');
  if (!sc) return;
  keys(
    v,
    path,
    sc,
    [
      'runAsUser',
      'runAsGroup',
      'runAsNonRoot',
      'supplementalGroups',
      'fsGroup',
      'seccompProfile',
      'supplementalGroupsPolicy',
      // Windows-only: no effect on a Linux node, as with the kubelet.
      'windowsOptions',
    ],
    ['seLinuxOptions', 'sysctls', 'fsGroupChangePolicy', 'appArmorProfile', 'seLinuxChangePolicy'],
  );
  id(v, [...path, 'runAsUser'], sc.runAsUser);
  id(v, [...path, 'runAsGroup'], sc.runAsGroup);
  id(v, [...path, 'fsGroup'], sc.fsGroup);
  v.boolean([...path, 'runAsNonRoot'], sc.runAsNonRoot);
  (v.array([...path, 'supplementalGroups'], sc.supplementalGroups) ?? []).forEach((g, i) =>
    id(v, [...path, 'supplementalGroups', i], g),
  );
  const policy = v.string([...path, 'supplementalGroupsPolicy'], sc.supplementalGroupsPolicy, {});
  if (policy === 'Strict')
    v.problem(
      [...path, 'supplementalGroupsPolicy'],
      'supplementalGroupsPolicy Strict is not supported yet (only Merge)',
    );
  else v.oneOf([...path, 'supplementalGroupsPolicy'], sc.supplementalGroupsPolicy, ['Merge']);
  seccompProfile(v, [...path, 'seccompProfile'], sc.seccompProfile);
  v.object([...path, 'windowsOptions'], sc.windowsOptions, 'windowsOptions');
}

/** Validates a container's security context; returns whether the container is privileged. */
export function validateContainerSecurityContext(v: Validator, path: FieldPath, value: unknown): boolean {
  const sc = v.object(path, value, 'securityContext');
  if (!sc) return false;
  keys(
    v,
    path,
    sc,
    [
      'capabilities',
      'privileged',
      'runAsUser',
      'runAsGroup',
      'runAsNonRoot',
      'readOnlyRootFilesystem',
      'allowPrivilegeEscalation',
      'seccompProfile',
      'procMount',
      'windowsOptions',
    ],
    ['seLinuxOptions', 'appArmorProfile'],
  );
  const privileged = v.boolean([...path, 'privileged'], sc.privileged) === true;
  id(v, [...path, 'runAsUser'], sc.runAsUser);
  id(v, [...path, 'runAsGroup'], sc.runAsGroup);
  for (const flag of ['runAsNonRoot', 'readOnlyRootFilesystem']) v.boolean([...path, flag], sc[flag]);
  const escalation = v.boolean([...path, 'allowPrivilegeEscalation'], sc.allowPrivilegeEscalation);
  const procMount = v.string([...path, 'procMount'], sc.procMount, {});
  if (procMount === 'Unmasked')
    v.problem([...path, 'procMount'], 'procMount Unmasked is not supported yet (only Default)');
  else v.oneOf([...path, 'procMount'], sc.procMount, ['Default']);
  seccompProfile(v, [...path, 'seccompProfile'], sc.seccompProfile);
  v.object([...path, 'windowsOptions'], sc.windowsOptions, 'windowsOptions');
  const caps = v.object([...path, 'capabilities'], sc.capabilities, 'capabilities');
  if (caps) {
    v.knownKeys([...path, 'capabilities'], caps, ['add', 'drop']);
    v.stringArray([...path, 'capabilities', 'add'], caps.add);
    v.stringArray([...path, 'capabilities', 'drop'], caps.drop);
  }
  if (escalation === false) {
    if (privileged)
      v.problem(
        [...path, 'allowPrivilegeEscalation'],
        'cannot set allowPrivilegeEscalation to false and privileged to true',
      );
    if (Array.isArray(caps?.add) && caps.add.includes('CAP_SYS_ADMIN')) {
      v.problem(
        [...path, 'allowPrivilegeEscalation'],
        'cannot set allowPrivilegeEscalation to false and capabilities.add CAP_SYS_ADMIN',
      );
    }
  }
  return privileged;
}

// ---------------------------------------------------------------------------------------------
// Environment: valueFrom

const CPU_DIVISORS = ['1m', '1'].map((d) => parseQuantity(d)!);
const MEMORY_DIVISORS = ['1', '1k', '1M', '1G', '1T', '1P', '1E', '1Ki', '1Mi', '1Gi', '1Ti', '1Pi', '1Ei'].map((d) =>
  parseQuantity(d)!,
);

export function validateEnvSource(v: Validator, path: FieldPath, env: Json, containerNames: ReadonlySet<string>): void {
  const fp = [...path, 'valueFrom'];
  const from = v.object(fp, env.valueFrom, 'valueFrom');
  if (!from) return;
  if (typeof env.value === 'string' && env.value !== '')
    v.problem(fp, 'may not be specified when `value` is not empty');
  keys(v, fp, from, ['fieldRef', 'resourceFieldRef'], ['fileKeyRef'], {
    secretKeyRef: 'static pods may not reference Secrets',
    configMapKeyRef: 'static pods may not reference ConfigMaps',
  });
  const sources = Object.keys(from).filter((k) => from[k] !== undefined && from[k] !== null);
  if (sources.length !== 1) {
    v.problem(
      fp,
      `needs exactly one of fieldRef, resourceFieldRef${sources.length > 1 ? `, found ${sources.join(' and ')}` : ''}`,
    );
    return;
  }
  if (from.fieldRef !== undefined) {
    const rp = [...fp, 'fieldRef'];
    const ref = v.object(rp, from.fieldRef, 'fieldRef');
    if (!ref) return;
    v.knownKeys(rp, ref, ['apiVersion', 'fieldPath']);
    const apiVersion = v.string([...rp, 'apiVersion'], ref.apiVersion, {});
    if (apiVersion !== undefined && apiVersion !== 'v1')
      v.problem([...rp, 'apiVersion'], `unsupported apiVersion "${apiVersion}" (only v1)`);
    const fieldPath = v.string([...rp, 'fieldPath'], ref.fieldPath, { required: true });
    if (fieldPath === undefined) return;
    const sub = ENV_SUBSCRIPT.exec(fieldPath);
    if (sub) {
      if (!isQualifiedName(sub[2]!))
        v.problem(
          [...rp, 'fieldPath'],
          `"${sub[2]}" is not a valid ${sub[1] === 'labels' ? 'label' : 'annotation'} key`,
        );
    } else if (!(ENV_FIELD_PATHS as readonly string[]).includes(fieldPath)) {
      v.problem(
        [...rp, 'fieldPath'],
        `"${fieldPath}" is not supported (supported: ${ENV_FIELD_PATHS.join(', ')}, metadata.labels['<key>'], metadata.annotations['<key>'])`,
      );
    }
    return;
  }
  if (from.resourceFieldRef !== undefined) {
    const rp = [...fp, 'resourceFieldRef'];
    const ref = v.object(rp, from.resourceFieldRef, 'resourceFieldRef');
    if (!ref) return;
    v.knownKeys(rp, ref, ['containerName', 'resource', 'divisor']);
    const name = v.string([...rp, 'containerName'], ref.containerName, {});
    if (name && !containerNames.has(name))
      v.problem([...rp, 'containerName'], `no container named "${name}" in the pod`);
    const resource = v.string([...rp, 'resource'], ref.resource, { required: true });
    if (resource === undefined) return;
    if (/^(limits|requests)\.(ephemeral-storage|hugepages-.+)$/.test(resource)) {
      v.problem([...rp, 'resource'], `${resource} is not supported yet (supported: ${RESOURCE_FIELDS.join(', ')})`);
      return;
    }
    if (!(RESOURCE_FIELDS as readonly string[]).includes(resource)) {
      v.problem([...rp, 'resource'], `"${resource}" is not one of ${RESOURCE_FIELDS.join(', ')}`);
      return;
    }
    const divisor = quantity(v, [...rp, 'divisor'], ref.divisor);
    if (divisor && divisor.num !== 0n) {
      const cpu = resource.endsWith('.cpu');
      const allowed = cpu ? CPU_DIVISORS : MEMORY_DIVISORS;
      if (!allowed.some((d) => compare(d, divisor) === 0)) {
        v.problem(
          [...rp, 'divisor'],
          `is not a valid divisor for ${resource} (${cpu ? '1m or 1' : '1, 1k, 1M, 1G, 1T, 1P, 1E, 1Ki, 1Mi, 1Gi, 1Ti, 1Pi or 1Ei'})`,
        );
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Pod-level: namespaces, hostname, DNS, host aliases

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

// ---------------------------------------------------------------------------------------------
// Volume mounts

export function validateMountExtras(v: Validator, path: FieldPath, mount: Json, privileged: boolean): void {
  const subPath = v.string([...path, 'subPath'], mount.subPath, {});
  if (subPath) localDescendingPath(v, [...path, 'subPath'], subPath);
  const propagation = v.string([...path, 'mountPropagation'], mount.mountPropagation, {});
  v.oneOf([...path, 'mountPropagation'], mount.mountPropagation, ['None', 'HostToContainer', 'Bidirectional']);
  if (propagation === 'Bidirectional' && !privileged) {
    v.problem(
      [...path, 'mountPropagation'],
      'Bidirectional mount propagation is available only to privileged containers',
    );
  }
}
