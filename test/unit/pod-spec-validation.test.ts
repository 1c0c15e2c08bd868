// Validation of the newly supported fields, of what stays refused, and of kubeadm's static pods.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { readManifest } from '../../src/core/manifest/read-manifest.js';
import { qosClass } from '../../src/core/qos.js';
import { containerConfig, sandboxConfig, type RuntimeSpecOptions } from '../../src/core/runtime-spec.js';

const ctx = { nodeName: 'node1', source: 'file' as const, origin: '/m/p.yaml', seenAt: 0 };

function doc(spec: string, container = ''): string {
  return `apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n${spec}  containers:\n    - name: main\n      image: busybox:1\n${container}`;
}

function ok(text: string) {
  const r = readManifest(text, ctx);
  if (!r.ok) assert.fail(`expected valid, got ${JSON.stringify(r.problems)}`);
  return r.pods[0]!;
}

function problems(text: string): { field: string; message: string }[] {
  const r = readManifest(text, ctx);
  assert.equal(r.ok, false, 'expected problems');
  return r.ok ? [] : r.problems.map((p) => ({ field: p.field ?? '', message: p.message }));
}

function refused(text: string, field: string, message: RegExp): void {
  const ps = problems(text);
  assert.ok(
    ps.some((p) => p.field === field && message.test(p.message)),
    `expected ${field}: ${message}, got ${JSON.stringify(ps)}`,
  );
}

describe('validation of the supported fields', () => {
  it('accepts resources, security contexts, the downward API, DNS, host aliases and the new volume kinds', () => {
    ok(
      doc(
        `  hostPID: true
  hostIPC: true
  hostname: web-0
  subdomain: web
  setHostnameAsFQDN: true
  dnsPolicy: None
  dnsConfig: {nameservers: [1.1.1.1, "2001:db8::1"], searches: [a.example, b.example.], options: [{name: ndots, value: "2"}, {name: rotate}]}
  hostAliases: [{ip: 10.1.2.3, hostnames: [foo.local, bar]}]
  securityContext:
    runAsUser: 1000
    runAsGroup: 1000
    runAsNonRoot: true
    fsGroup: 2000
    supplementalGroups: [3000]
    supplementalGroupsPolicy: Merge
    seccompProfile: {type: Localhost, localhostProfile: my/profile.json}
  volumes:
    - {name: s, hostPath: {path: /run/x.sock, type: Socket}}
    - {name: f, hostPath: {path: /etc/x.conf, type: FileOrCreate}}
    - {name: c, hostPath: {path: /dev/null, type: CharDevice}}
    - {name: m, emptyDir: {medium: Memory, sizeLimit: 64Mi}}
    - {name: d, emptyDir: {sizeLimit: 1Gi}}
`,
        `      resources:
        requests: {cpu: 250m, memory: 64Mi, ephemeral-storage: 1Gi}
        limits: {cpu: 1, memory: 128Mi}
      securityContext:
        privileged: true
        capabilities: {add: [NET_ADMIN], drop: [ALL]}
        readOnlyRootFilesystem: true
        allowPrivilegeEscalation: true
        procMount: Default
        seccompProfile: {type: RuntimeDefault}
      env:
        - {name: A, value: "$(B)"}
        - name: NAME
          valueFrom: {fieldRef: {fieldPath: metadata.name}}
        - name: TIER
          valueFrom: {fieldRef: {fieldPath: "metadata.labels['example.com/tier']"}}
        - name: MEM
          valueFrom: {resourceFieldRef: {resource: limits.memory, divisor: 1Mi}}
        - name: CPU
          valueFrom: {resourceFieldRef: {containerName: main, resource: requests.cpu, divisor: 1m}}
      volumeMounts:
        - {name: s, mountPath: /run/x.sock}
        - {name: m, mountPath: /cache, subPath: a/b, mountPropagation: Bidirectional}
        - {name: d, mountPath: /d, mountPropagation: HostToContainer, recursiveReadOnly: Disabled}
`,
      ),
    );
  });

  it("refuses bad values with the field and Kubernetes' reason", () => {
    refused(
      doc('', '      resources: {limits: {cpu: lots}}\n'),
      'spec.containers[0].resources.limits.cpu',
      /"lots" is not a valid quantity/,
    );
    refused(
      doc('', '      resources: {limits: {memory: "-1"}}\n'),
      'spec.containers[0].resources.limits.memory',
      /greater than or equal to 0/,
    );
    refused(
      doc('', '      resources: {requests: {cpu: "2"}, limits: {cpu: "1"}}\n'),
      'spec.containers[0].resources.requests.cpu',
      /less than or equal to the cpu limit/,
    );
    refused(
      doc('', '      resources: {limits: {nvidia.com/gpu: 1}}\n'),
      'spec.containers[0].resources.limits.nvidia.com/gpu',
      /resource "nvidia.com\/gpu" is not supported/,
    );
    refused(
      doc('', '      resources: {limits: {hugepages-2Mi: 1Gi}}\n'),
      'spec.containers[0].resources.limits.hugepages-2Mi',
      /not supported yet/,
    );
    refused(
      doc('', '      resources: {claims: [{name: gpu}]}\n'),
      'spec.containers[0].resources.claims',
      /ResourceClaims/,
    );
    refused(doc('  securityContext: {runAsUser: -1}\n'), 'spec.securityContext.runAsUser', /out of range/);
    refused(
      doc('  securityContext: {seccompProfile: {type: Localhost}}\n'),
      'spec.securityContext.seccompProfile.localhostProfile',
      /required/,
    );
    refused(
      doc('  securityContext: {seccompProfile: {type: Localhost, localhostProfile: ../x.json}}\n'),
      'spec.securityContext.seccompProfile.localhostProfile',
      /'\.\.'/,
    );
    refused(
      doc('  securityContext: {seccompProfile: {type: Strict}}\n'),
      'spec.securityContext.seccompProfile.type',
      /not one of RuntimeDefault, Unconfined, Localhost/,
    );
    refused(
      doc('', '      securityContext: {privileged: true, allowPrivilegeEscalation: false}\n'),
      'spec.containers[0].securityContext.allowPrivilegeEscalation',
      /privileged/,
    );
    refused(
      doc('', '      securityContext: {allowPrivilegeEscalation: false, capabilities: {add: [CAP_SYS_ADMIN]}}\n'),
      'spec.containers[0].securityContext.allowPrivilegeEscalation',
      /CAP_SYS_ADMIN/,
    );
    refused(
      doc('  hostPID: true\n  shareProcessNamespace: true\n'),
      'spec.shareProcessNamespace',
      /cannot both be true/,
    );
    refused(doc('  hostname: Web_0\n'), 'spec.hostname', /not a valid DNS label/);
    refused(doc('  dnsPolicy: None\n'), 'spec.dnsConfig', /required when dnsPolicy is None/);
    refused(
      doc('  dnsPolicy: None\n  dnsConfig: {searches: [a.example]}\n'),
      'spec.dnsConfig.nameservers',
      /at least one nameserver/,
    );
    refused(
      doc('  dnsConfig: {nameservers: [1.1.1.1, 1.0.0.1, 8.8.8.8, 8.8.4.4]}\n'),
      'spec.dnsConfig.nameservers',
      /at most 3/,
    );
    refused(doc('  dnsConfig: {nameservers: [dns.example]}\n'), 'spec.dnsConfig.nameservers[0]', /not an IP address/);
    refused(doc('  hostAliases: [{ip: nope, hostnames: [a]}]\n'), 'spec.hostAliases[0].ip', /not an IP address/);
    refused(
      doc('  hostAliases: [{ip: 10.0.0.1, hostnames: [Bad_Name]}]\n'),
      'spec.hostAliases[0].hostnames[0]',
      /not a valid host name/,
    );
    refused(
      doc(
        '  volumes: [{name: v, emptyDir: {}}]\n',
        '      volumeMounts: [{name: v, mountPath: /v, subPath: ../etc}]\n',
      ),
      'spec.containers[0].volumeMounts[0].subPath',
      /must not contain '\.\.'/,
    );
    refused(
      doc('  volumes: [{name: v, emptyDir: {}}]\n', '      volumeMounts: [{name: v, mountPath: /v, subPath: /etc}]\n'),
      'spec.containers[0].volumeMounts[0].subPath',
      /relative path/,
    );
    refused(
      doc(
        '  volumes: [{name: v, emptyDir: {}}]\n',
        '      volumeMounts: [{name: v, mountPath: /v, mountPropagation: Bidirectional}]\n',
      ),
      'spec.containers[0].volumeMounts[0].mountPropagation',
      /only to privileged containers/,
    );
    refused(
      doc(
        '  volumes: [{name: v, emptyDir: {}}]\n',
        '      volumeMounts: [{name: v, mountPath: /v, mountPropagation: Shared}]\n',
      ),
      'spec.containers[0].volumeMounts[0].mountPropagation',
      /not one of None, HostToContainer, Bidirectional/,
    );
    refused(
      doc('  volumes: [{name: v, emptyDir: {sizeLimit: big}}]\n'),
      'spec.volumes[0].emptyDir.sizeLimit',
      /not a valid quantity/,
    );
    refused(
      doc('  volumes: [{name: v, emptyDir: {medium: Tape}}]\n'),
      'spec.volumes[0].emptyDir.medium',
      /unknown emptyDir medium/,
    );
  });

  it('the downward API: only the paths and resources an environment variable may use', () => {
    const env = (from: string, value = '') =>
      doc('', `      env:\n        - name: X\n${value}          valueFrom: ${from}\n`);
    refused(
      env('{fieldRef: {fieldPath: spec.containers}}'),
      'spec.containers[0].env[0].valueFrom.fieldRef.fieldPath',
      /not supported/,
    );
    refused(
      env('{fieldRef: {fieldPath: metadata.labels}}'),
      'spec.containers[0].env[0].valueFrom.fieldRef.fieldPath',
      /not supported/,
    );
    refused(
      env('{fieldRef: {fieldPath: "metadata.labels[\'bad key\']"}}'),
      'spec.containers[0].env[0].valueFrom.fieldRef.fieldPath',
      /not a valid label key/,
    );
    refused(
      env('{fieldRef: {fieldPath: metadata.name, apiVersion: v2}}'),
      'spec.containers[0].env[0].valueFrom.fieldRef.apiVersion',
      /only v1/,
    );
    refused(
      env('{resourceFieldRef: {resource: limits.cpu, divisor: 1Mi}}'),
      'spec.containers[0].env[0].valueFrom.resourceFieldRef.divisor',
      /not a valid divisor for limits.cpu/,
    );
    refused(
      env('{resourceFieldRef: {resource: requests.memory, divisor: 3}}'),
      'spec.containers[0].env[0].valueFrom.resourceFieldRef.divisor',
      /not a valid divisor/,
    );
    refused(
      env('{resourceFieldRef: {resource: limits.ephemeral-storage}}'),
      'spec.containers[0].env[0].valueFrom.resourceFieldRef.resource',
      /not supported yet/,
    );
    refused(
      env('{resourceFieldRef: {resource: limits.gpu}}'),
      'spec.containers[0].env[0].valueFrom.resourceFieldRef.resource',
      /not one of/,
    );
    refused(
      env('{resourceFieldRef: {containerName: other, resource: limits.cpu}}'),
      'spec.containers[0].env[0].valueFrom.resourceFieldRef.containerName',
      /no container named "other"/,
    );
    refused(
      env('{fieldRef: {fieldPath: metadata.name}, resourceFieldRef: {resource: limits.cpu}}'),
      'spec.containers[0].env[0].valueFrom',
      /exactly one/,
    );
    refused(
      env('{fieldRef: {fieldPath: metadata.name}}', '          value: x\n'),
      'spec.containers[0].env[0].valueFrom',
      /`value` is not empty/,
    );
    refused(
      env('{secretKeyRef: {name: s, key: k}}'),
      'spec.containers[0].env[0].valueFrom.secretKeyRef',
      /may not reference Secrets/,
    );
    refused(
      env('{configMapKeyRef: {name: c, key: k}}'),
      'spec.containers[0].env[0].valueFrom.configMapKeyRef',
      /may not reference ConfigMaps/,
    );
    ok(env('{resourceFieldRef: {resource: limits.cpu, divisor: "1000m"}}'));
  });

  it('still refuses what would change how a container runs and is not implemented, naming the field', () => {
    refused(
      doc('  securityContext: {sysctls: [{name: net.core.somaxconn, value: "1024"}]}\n'),
      'spec.securityContext.sysctls',
      /sysctls is not supported yet/,
    );
    refused(
      doc('  securityContext: {seLinuxOptions: {level: "s0:c1"}}\n'),
      'spec.securityContext.seLinuxOptions',
      /not supported yet/,
    );
    refused(
      doc('  securityContext: {supplementalGroupsPolicy: Strict}\n'),
      'spec.securityContext.supplementalGroupsPolicy',
      /Strict is not supported yet/,
    );
    refused(
      doc('', '      securityContext: {appArmorProfile: {type: RuntimeDefault}}\n'),
      'spec.containers[0].securityContext.appArmorProfile',
      /not supported yet/,
    );
    refused(
      doc('', '      securityContext: {procMount: Unmasked}\n'),
      'spec.containers[0].securityContext.procMount',
      /not supported yet/,
    );
    refused(
      doc(
        '  volumes: [{name: v, emptyDir: {}}]\n',
        '      volumeMounts: [{name: v, mountPath: /v, subPathExpr: "$(POD)"}]\n',
      ),
      'spec.containers[0].volumeMounts[0].subPathExpr',
      /not supported yet/,
    );
    refused(
      doc('  volumes: [{name: v, emptyDir: {medium: HugePages}}]\n'),
      'spec.volumes[0].emptyDir.medium',
      /not supported yet/,
    );
    refused(doc('  resources: {limits: {cpu: "1"}}\n'), 'spec.resources', /not supported yet/);
    refused(
      doc('', '      env:\n        - name: X\n          valueFrom: {fileKeyRef: {path: a, key: b, volumeName: v}}\n'),
      'spec.containers[0].env[0].valueFrom.fileKeyRef',
      /not supported yet/,
    );
    ok(doc('  securityContext: {sysctls: []}\n', '      securityContext: {seLinuxOptions: {}}\n'));
  });
});

const KUBEADM = join(dirname(fileURLToPath(import.meta.url)), '../fixtures/kubeadm');
const spec: RuntimeSpecOptions = {
  nodeName: 'cp1',
  podLogsDir: '/var/log/pods',
  rootDir: '/var/lib/staticlet',
  clusterDNS: ['10.96.0.10'],
  clusterDomain: 'cluster.local',
  hostDns: { servers: ['192.0.2.53'], searches: [], options: [] },
  nodeIP: '192.0.2.10',
  nodeAllocatable: { cpuMilli: 2000, memoryBytes: 2 ** 33 },
};

describe('kubeadm v1.34 static pods', () => {
  const files = readdirSync(KUBEADM)
    .filter((f) => f.endsWith('.yaml'))
    .sort();

  it('has the four control-plane manifests', () => {
    assert.deepEqual(files, [
      'etcd.yaml',
      'kube-apiserver.yaml',
      'kube-controller-manager.yaml',
      'kube-scheduler.yaml',
    ]);
  });

  for (const file of files) {
    it(`${file} validates and translates like the kubelet would run it`, () => {
      const r = readManifest(readFileSync(join(KUBEADM, file), 'utf8'), {
        nodeName: 'cp1',
        source: 'file',
        origin: `/etc/kubernetes/manifests/${file}`,
        seenAt: 0,
      });
      // Probes included: the whole manifest is valid, as written by kubeadm.
      assert.ok(r.ok, `${file}: ${JSON.stringify(!r.ok && r.problems)}`);
      const pod = r.pods[0]!;
      assert.equal(pod.namespace, 'kube-system');
      assert.equal(qosClass(pod.pod), 'Burstable');
      const sandbox = sandboxConfig(pod, 0, spec);
      assert.equal(sandbox.linux?.securityContext?.namespaceOptions?.network, 'NODE');
      const c = pod.pod.spec!.containers[0]!;
      const { config, prepare } = containerConfig(pod, c, false, 0, spec, { nodeHosts: '127.0.0.1 localhost\n' });
      const sc = config.linux!.securityContext!;
      assert.deepEqual(sc.seccomp, { profileType: 'RuntimeDefault' });
      assert.equal(config.linux!.resources!.oomScoreAdj, '-997', 'system-node-critical');
      const cpu = {
        'etcd.yaml': '102',
        'kube-apiserver.yaml': '256',
        'kube-controller-manager.yaml': '204',
        'kube-scheduler.yaml': '102',
      }[file];
      assert.equal(config.linux!.resources!.cpuShares, cpu);
      assert.equal(config.linux!.resources!.cpuQuota, '0');
      const types = new Set(
        prepare.filter((p) => p.kind === 'hostPath').map((p) => (p.kind === 'hostPath' ? p.type : '')),
      );
      assert.ok(
        [...types].every((t) => t === 'DirectoryOrCreate' || t === 'FileOrCreate'),
        [...types].join(),
      );
      assert.equal(
        config.mounts.at(-1)?.containerPath,
        '/etc/hosts',
        'the kubelet manages /etc/hosts for host-network pods too',
      );
    });
  }
});
