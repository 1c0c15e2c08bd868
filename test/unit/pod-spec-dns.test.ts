// DNS (dnsPolicy, dnsConfig), the sandbox hostname (hostname, subdomain, setHostnameAsFQDN) and the
// kubelet-managed /etc/hosts (hostAliases).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readManifest } from '../../src/core/manifest/read-manifest.js';
import { containerConfig, dnsFor, sandboxConfig, type RuntimeSpecOptions } from '../../src/core/runtime-spec.js';
import type { StaticPod } from '../../src/core/model/static-pod.js';

const base: RuntimeSpecOptions = {
  nodeName: 'node1',
  podLogsDir: '/var/log/pods',
  rootDir: '/var/lib/staticlet',
  clusterDNS: ['10.96.0.10'],
  clusterDomain: 'cluster.local',
  hostDns: { servers: ['192.0.2.53'], searches: ['corp.example'], options: ['edns0', 'ndots:2'] },
  nodeIP: '192.0.2.10',
};

function read(spec: string, meta = 'name: web\n  namespace: team'): StaticPod {
  const r = readManifest(
    `apiVersion: v1\nkind: Pod\nmetadata:\n  ${meta}\nspec:\n${spec}  containers:\n    - {name: main, image: "busybox:1"}\n`,
    { nodeName: 'node1', source: 'file', origin: '/m/web.yaml', seenAt: 0 },
  );
  if (!r.ok) assert.fail(JSON.stringify(r.problems));
  return r.pods[0]!;
}

describe('dnsPolicy and dnsConfig', () => {
  it("ClusterFirst: the cluster DNS, the cluster searches then the node's, ndots:5", () => {
    assert.deepEqual(dnsFor(read(''), base), {
      servers: ['10.96.0.10'],
      searches: ['team.svc.cluster.local', 'svc.cluster.local', 'cluster.local', 'corp.example'],
      options: ['ndots:5'],
    });
  });

  it("Default and ClusterFirst on the host network: the node's resolver", () => {
    const node = { servers: ['192.0.2.53'], searches: ['corp.example'], options: ['edns0', 'ndots:2'] };
    assert.deepEqual(dnsFor(read('  dnsPolicy: Default\n'), base), node);
    assert.deepEqual(dnsFor(read('  hostNetwork: true\n'), base), node);
    assert.equal(
      dnsFor(read('  hostNetwork: true\n  dnsPolicy: ClusterFirstWithHostNet\n'), base)!.servers[0],
      '10.96.0.10',
    );
  });

  it("None: only the pod's dnsConfig", () => {
    const pod = read(`  dnsPolicy: None
  dnsConfig:
    nameservers: [1.1.1.1]
    searches: [my.example]
    options: [{name: ndots, value: "2"}, {name: rotate}]
`);
    assert.deepEqual(dnsFor(pod, base), {
      servers: ['1.1.1.1'],
      searches: ['my.example'],
      options: ['ndots:2', 'rotate'],
    });
  });

  it('dnsConfig merges into the other policies: servers and searches appended without duplicates, options by name', () => {
    const pod = read(`  dnsConfig:
    nameservers: [10.96.0.10, 10.0.0.53]
    searches: [cluster.local, extra.example]
    options: [{name: ndots, value: "1"}, {name: edns0}]
`);
    assert.deepEqual(dnsFor(pod, base), {
      servers: ['10.96.0.10', '10.0.0.53'],
      searches: ['team.svc.cluster.local', 'svc.cluster.local', 'cluster.local', 'corp.example', 'extra.example'],
      options: ['ndots:1', 'edns0'],
    });
    const onDefault = read(`  dnsPolicy: Default
  dnsConfig:
    options: [{name: ndots, value: "3"}, {name: timeout, value: "1"}]
`);
    assert.deepEqual(dnsFor(onDefault, base)!.options, ['edns0', 'ndots:3', 'timeout:1']);
  });

  it('trims to what resolvers take: 3 servers, 32 searches, 2048 characters', () => {
    const many = read(`  dnsConfig:
    nameservers: [10.0.0.1, 10.0.0.2, 10.0.0.3]
    searches: [${Array.from({ length: 30 }, (_, i) => `s${i}.example`).join(', ')}]
`);
    const dns = dnsFor(many, base)!;
    assert.deepEqual(dns.servers, ['10.96.0.10', '10.0.0.1', '10.0.0.2']);
    assert.equal(dns.searches.length, 32);
    const longSearch = (i: number) =>
      `${String(i).padStart(2, '0')}${'a'.repeat(58)}.${'b'.repeat(60)}.${'c'.repeat(60)}.example`;
    const longHost = {
      ...base,
      hostDns: { ...base.hostDns, searches: Array.from({ length: 12 }, (_, i) => longSearch(i)) },
    };
    const searches = dnsFor(read(''), longHost)!.searches;
    assert.equal(searches.length, 3 + 12 - 2, 'cut from the end to fit');
    assert.ok(searches.join(' ').length <= 2048);
    assert.deepEqual(
      dnsFor(read(''), {
        ...base,
        hostDns: { ...base.hostDns, searches: ['x'.repeat(254), 'ok.example'] },
      })!.searches.slice(3),
      ['ok.example'],
      'a search over 253 characters is dropped',
    );
  });
});

describe('hostname, subdomain, setHostnameAsFQDN', () => {
  it('the sandbox hostname: spec.hostname or the pod name; the FQDN with setHostnameAsFQDN and a subdomain; none on the host network', () => {
    assert.equal(sandboxConfig(read(''), 0, base).hostname, 'web-node1');
    assert.equal(sandboxConfig(read('  hostname: db-0\n'), 0, base).hostname, 'db-0');
    assert.equal(sandboxConfig(read('  hostname: db-0\n  subdomain: dbs\n'), 0, base).hostname, 'db-0');
    assert.equal(
      sandboxConfig(read('  hostname: db-0\n  subdomain: dbs\n  setHostnameAsFQDN: true\n'), 0, base).hostname,
      'db-0.dbs.team.svc.cluster.local',
    );
    assert.equal(
      sandboxConfig(read('  setHostnameAsFQDN: true\n'), 0, base).hostname,
      'web-node1',
      'no subdomain, no FQDN',
    );
    assert.equal(sandboxConfig(read('  hostNetwork: true\n  hostname: x\n'), 0, base).hostname, '');
    assert.throws(
      () =>
        sandboxConfig(read(`  hostname: ${'h'.repeat(40)}\n  subdomain: dbs\n  setHostnameAsFQDN: true\n`), 0, base),
      /FQDN .* is too long/,
    );
  });

  it('cuts a long pod name to 63 characters, never ending in - or .', () => {
    // 62 + '-node1': cut at 63, the trailing '-' goes.
    const pod = read('', `name: ${'a'.repeat(62)}`);
    assert.equal(sandboxConfig(pod, 0, base).hostname, 'a'.repeat(62));
  });
});

describe('managed /etc/hosts', () => {
  const hostsOf = (pod: StaticPod, sandboxIPs: string[], nodeHosts?: string) => {
    const { config, prepare } = containerConfig(pod, pod.pod.spec!.containers[0]!, false, 0, base, {
      sandboxIPs,
      ...(nodeHosts !== undefined ? { nodeHosts } : {}),
    });
    const file = prepare.find((p) => p.kind === 'file');
    const mount = config.mounts.find((m) => m.containerPath === '/etc/hosts');
    return {
      content: file?.kind === 'file' ? file.content : undefined,
      mount,
      path: file?.kind === 'file' ? file.path : undefined,
    };
  };

  it('localhost lines, the pod IP with its hostname (FQDN first with a subdomain), then the aliases; written under the pod directory', () => {
    const pod = read(`  hostname: db-0
  subdomain: dbs
  hostAliases:
    - ip: 10.1.2.3
      hostnames: [foo.local, bar.local]
    - ip: 10.1.2.4
      hostnames: [baz.local]
`);
    const { content, mount, path } = hostsOf(pod, ['10.203.0.9']);
    assert.equal(
      content,
      [
        '# Kubernetes-managed hosts file.',
        '127.0.0.1\tlocalhost',
        '::1\tlocalhost ip6-localhost ip6-loopback',
        'fe00::0\tip6-localnet',
        'fe00::0\tip6-mcastprefix',
        'fe00::1\tip6-allnodes',
        'fe00::2\tip6-allrouters',
        '10.203.0.9\tdb-0.dbs.team.svc.cluster.local\tdb-0',
        '',
        '# Entries added by HostAliases.',
        '10.1.2.3\tfoo.local\tbar.local',
        '10.1.2.4\tbaz.local',
        '',
      ].join('\n'),
    );
    assert.equal(path, `/var/lib/staticlet/pods/${pod.uid}/etc-hosts`);
    assert.deepEqual(mount, { containerPath: '/etc/hosts', hostPath: path, readonly: false, selinuxRelabel: true });
    assert.match(hostsOf(read(''), ['10.203.0.9']).content!, /\n10\.203\.0\.9\tweb-node1\n$/);
  });

  it("a host-network pod: the node's hosts file plus the aliases", () => {
    const pod = read('  hostNetwork: true\n  hostAliases:\n    - {ip: 10.1.2.3, hostnames: [foo.local]}\n');
    assert.equal(
      hostsOf(pod, [], '127.0.0.1 localhost\n').content,
      '# Kubernetes-managed hosts file (host network).\n127.0.0.1 localhost\n\n# Entries added by HostAliases.\n10.1.2.3\tfoo.local\n',
    );
  });

  it('none without a pod IP, or when the container mounts its own /etc/hosts', () => {
    assert.equal(hostsOf(read(''), []).mount, undefined);
    const own = readManifest(
      `apiVersion: v1
kind: Pod
metadata: {name: own}
spec:
  volumes: [{name: h, hostPath: {path: /etc/hosts, type: File}}]
  containers:
    - name: main
      image: busybox:1
      volumeMounts: [{name: h, mountPath: /etc/hosts}]
`,
      { nodeName: 'node1', source: 'file', origin: '/m/own.yaml', seenAt: 0 },
    );
    assert.ok(own.ok);
    const { mount } = hostsOf(own.pods[0]!, ['10.0.0.1']);
    assert.equal(mount?.hostPath, '/etc/hosts');
  });
});
