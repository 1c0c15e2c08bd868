// Security contexts and namespaces → CRI, as the kubelet sends them.
import { specOptions } from '../support/fixtures.js';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readManifest } from '../../src/core/manifest/read-manifest.js';
import { containerConfig, ContainerConfigError, needsImageUser, sandboxConfig } from '../../src/core/runtime-spec.js';
import { containerConfigToProto, sandboxConfigToProto } from '../../src/runtime/cri/convert.js';
import type { StaticPod } from '../../src/core/model/static-pod.js';
import { DEFAULT_MASKED_PATHS, DEFAULT_READONLY_PATHS } from '../../src/core/spec/security.js';

const opts = specOptions({ nodeAllocatable: { cpuMilli: 2000, memoryBytes: 2 ** 33 } });

function read(spec: string): StaticPod {
  const r = readManifest(`apiVersion: v1\nkind: Pod\nmetadata: {name: sec}\nspec:\n${spec}`, {
    nodeName: 'node1',
    source: 'file',
    origin: '/m/sec.yaml',
    seenAt: 0,
  });
  if (!r.ok) assert.fail(JSON.stringify(r.problems));
  return r.pods[0]!;
}

const cfg = (pod: StaticPod, name = 'main', imageUser?: { uid?: string; username?: string }) => {
  const all = [...(pod.pod.spec!.initContainers ?? []), ...pod.pod.spec!.containers];
  const c = all.find((x) => x.name === name)!;
  return containerConfig(pod, c, false, 0, opts, { sandboxIPs: ['10.0.0.2'], ...(imageUser ? { imageUser } : {}) })
    .config;
};

describe('security context', () => {
  const pod = read(`  securityContext:
    runAsUser: 1000
    runAsGroup: 3000
    fsGroup: 2000
    supplementalGroups: [4000, 5000]
    seccompProfile: {type: RuntimeDefault}
  containers:
    - name: main
      image: busybox:1
      securityContext:
        runAsUser: 1001
        readOnlyRootFilesystem: true
        allowPrivilegeEscalation: false
        capabilities: {add: [NET_ADMIN], drop: [ALL]}
    - name: other
      image: busybox:1
    - name: local
      image: busybox:1
      securityContext:
        seccompProfile: {type: Localhost, localhostProfile: profiles/audit.json}
`);

  it('the container wins over the pod field by field; fsGroup and supplementalGroups become supplemental groups', () => {
    assert.deepEqual(cfg(pod).linux!.securityContext, {
      capabilities: { addCapabilities: ['NET_ADMIN'], dropCapabilities: ['ALL'] },
      privileged: false,
      namespaceOptions: { network: 'POD', pid: 'CONTAINER', ipc: 'POD' },
      runAsUser: { value: '1001' },
      runAsGroup: { value: '3000' },
      readonlyRootfs: true,
      supplementalGroups: ['2000', '4000', '5000'],
      noNewPrivs: true,
      maskedPaths: [...DEFAULT_MASKED_PATHS],
      readonlyPaths: [...DEFAULT_READONLY_PATHS],
      seccomp: { profileType: 'RuntimeDefault' },
    });
    const other = cfg(pod, 'other').linux!.securityContext!;
    assert.deepEqual(other.runAsUser, { value: '1000' }, "the pod's runAsUser");
    assert.equal(other.readonlyRootfs, false);
    assert.equal(other.noNewPrivs, false, 'no_new_privs only for an explicit allowPrivilegeEscalation: false');
    assert.equal(other.capabilities, undefined);
  });

  it('capabilities go to the CRI without the CAP_ prefix (the runtime adds it)', () => {
    const caps = read(`  containers:
    - name: main
      image: busybox:1
      securityContext: {capabilities: {add: [CAP_SYS_TIME, NET_ADMIN, ALL], drop: [cap_chown]}}
`);
    assert.deepEqual(cfg(caps).linux!.securityContext!.capabilities, {
      addCapabilities: ['SYS_TIME', 'NET_ADMIN', 'ALL'],
      dropCapabilities: ['chown'],
    });
  });

  it("seccomp: the container's profile, else the pod's, else Unconfined; Localhost under <root dir>/seccomp", () => {
    assert.deepEqual(cfg(pod, 'local').linux!.securityContext!.seccomp, {
      profileType: 'Localhost',
      localhostRef: '/var/lib/staticlet/seccomp/profiles/audit.json',
    });
    assert.deepEqual(cfg(pod, 'other').linux!.securityContext!.seccomp, { profileType: 'RuntimeDefault' });
    assert.deepEqual(
      cfg(read('  containers:\n    - {name: main, image: "busybox:1"}\n')).linux!.securityContext!.seccomp,
      { profileType: 'Unconfined' },
    );
  });

  it("the sandbox: the pod's user, group and supplemental groups, RuntimeDefault seccomp, privileged when any container is", () => {
    const sc = sandboxConfig(pod, 0, opts).linux!.securityContext!;
    assert.deepEqual(sc.runAsUser, { value: '1000' });
    assert.deepEqual(sc.runAsGroup, { value: '3000' });
    assert.deepEqual(sc.supplementalGroups, ['2000', '4000', '5000']);
    assert.deepEqual(sc.seccomp, { profileType: 'RuntimeDefault' });
    assert.equal(sc.privileged, false);
    const priv = read(`  initContainers:
    - name: setup
      image: busybox:1
      securityContext: {privileged: true}
  containers:
    - {name: main, image: "busybox:1"}
`);
    assert.equal(sandboxConfig(priv, 0, opts).linux!.securityContext!.privileged, true, 'an init container counts');
    assert.equal(cfg(priv, 'setup').linux!.securityContext!.privileged, true);
    assert.equal(cfg(priv).linux!.securityContext!.privileged, false);
  });

  it('goes over the wire with the upstream field names', () => {
    const wire = (containerConfigToProto(cfg(pod)) as { linux: { securityContext: Record<string, unknown> } }).linux
      .securityContext;
    assert.deepEqual(wire['supplementalGroups'], ['2000', '4000', '5000']);
    assert.deepEqual(wire['seccomp'], { profileType: 'RuntimeDefault', localhostRef: '' });
    assert.deepEqual(wire['runAsUser'], { value: '1001' });
    // containerd 1.6 takes missing lists as "mask nothing": they must be on the wire.
    assert.ok((wire['maskedPaths'] as string[]).includes('/proc/kcore'));
    assert.ok((wire['readonlyPaths'] as string[]).includes('/proc/sys'));
    const sandbox = (
      sandboxConfigToProto(sandboxConfig(pod, 0, opts)) as { linux: { securityContext: Record<string, unknown> } }
    ).linux.securityContext;
    assert.deepEqual(sandbox['runAsGroup'], { value: '3000' });
    assert.deepEqual(sandbox['seccomp'], { profileType: 'RuntimeDefault', localhostRef: '' });
  });
});

describe('namespaces', () => {
  it("hostPID and hostIPC share the node's, shareProcessNamespace the pod's, for the sandbox and every container", () => {
    const host = read(
      '  hostPID: true\n  hostIPC: true\n  hostNetwork: true\n  containers:\n    - {name: main, image: "busybox:1"}\n',
    );
    const want = { network: 'NODE', pid: 'NODE', ipc: 'NODE' };
    assert.deepEqual(sandboxConfig(host, 0, opts).linux!.securityContext!.namespaceOptions, want);
    assert.deepEqual(cfg(host).linux!.securityContext!.namespaceOptions, want);
    const shared = read('  shareProcessNamespace: true\n  containers:\n    - {name: main, image: "busybox:1"}\n');
    assert.deepEqual(cfg(shared).linux!.securityContext!.namespaceOptions, { network: 'POD', pid: 'POD', ipc: 'POD' });
    assert.deepEqual(sandboxConfig(shared, 0, opts).linux!.securityContext!.namespaceOptions, {
      network: 'POD',
      pid: 'POD',
      ipc: 'POD',
    });
  });
});

describe('runAsNonRoot', () => {
  const nonRoot = (sc: string) =>
    read(`  securityContext: {runAsNonRoot: true}\n  containers:\n    - name: main\n      image: busybox:1\n${sc}`);

  it('refuses runAsUser 0, and an image that runs as root or as a name that cannot be checked', () => {
    assert.throws(
      () => cfg(nonRoot('      securityContext: {runAsUser: 0}\n')),
      (e: unknown) => e instanceof ContainerConfigError && /runAsUser breaks non-root policy/.test(e.message),
    );
    assert.throws(() => cfg(nonRoot(''), 'main', {}), /image will run as root/, 'an image without a user runs as root');
    assert.throws(() => cfg(nonRoot(''), 'main', { uid: '0' }), /image will run as root/);
    assert.throws(() => cfg(nonRoot(''), 'main', { username: 'app' }), /non-numeric user \(app\)/);
  });

  it('allows a non-root runAsUser or a non-root image user, and asks for the image only when it matters', () => {
    assert.equal(
      cfg(nonRoot('      securityContext: {runAsUser: 65534}\n')).linux!.securityContext!.runAsUser!.value,
      '65534',
    );
    assert.doesNotThrow(() => cfg(nonRoot(''), 'main', { uid: '1000' }));
    const p = nonRoot('');
    assert.equal(needsImageUser(p.pod, p.pod.spec!.containers[0]!), true);
    const q = nonRoot('      securityContext: {runAsUser: 5}\n');
    assert.equal(needsImageUser(q.pod, q.pod.spec!.containers[0]!), false);
    const r = read('  containers:\n    - {name: main, image: "busybox:1"}\n');
    assert.equal(needsImageUser(r.pod, r.pod.spec!.containers[0]!), false);
  });
});
