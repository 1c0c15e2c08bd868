// Our hand-written CRI subset (src/runtime/cri/proto/runtime_v1.proto) must agree with the
// upstream Kubernetes CRI definition on everything it declares: package, message and enum names,
// field names/numbers/types/labels, map key and value types, enum value numbers, and RPC
// signatures. A mismatch would silently corrupt data on the wire, so this test fails (never
// skips) when it cannot find the upstream file.
//
// Upstream: $STATICLET_CRI_API_PROTO, else k8s.io/cri-api@v0.34.1 fetched with `go mod download`.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import protobuf from 'protobufjs';
import { defaultProtoPath, loadMethods } from '../../src/runtime/cri/proto-methods.js';
import {
  containerFromProto,
  containerStatusFromProto,
  containerEventFromProto,
  execSyncFromProto,
  imageStatusFromProto,
  listOf,
  podSandboxFromProto,
} from '../../src/runtime/cri/convert.js';

const CRI_API_MODULE = 'k8s.io/cri-api@v0.34.1';
const UPSTREAM_RELATIVE = join('pkg', 'apis', 'runtime', 'v1', 'api.proto');
const PACKAGE = 'runtime.v1';

// ---------------------------------------------------------------------------------------------
// Locating and parsing

function goBinary(): string {
  for (const dir of (process.env['PATH'] ?? '').split(':')) {
    if (dir && existsSync(join(dir, 'go'))) return join(dir, 'go');
  }
  if (existsSync('/usr/local/go/bin/go')) return '/usr/local/go/bin/go';
  return 'go';
}

let upstreamPathMemo: string | undefined;
const scratchDirs: string[] = [];
after(() => {
  for (const d of scratchDirs) rmSync(d, { recursive: true, force: true });
});

function upstreamProtoPath(): string {
  if (upstreamPathMemo) return upstreamPathMemo;
  const fromEnv = process.env['STATICLET_CRI_API_PROTO'];
  if (fromEnv) {
    assert.ok(existsSync(fromEnv), `STATICLET_CRI_API_PROTO=${fromEnv} does not exist`);
    upstreamPathMemo = fromEnv;
    return fromEnv;
  }
  // Run outside the repository so no go.mod (ours or a parent's) is consulted.
  const cwd = mkdtempSync(join(tmpdir(), 'staticlet-cri-api-'));
  scratchDirs.push(cwd);
  let out: string;
  try {
    out = execFileSync(goBinary(), ['mod', 'download', '-json', CRI_API_MODULE], {
      cwd,
      encoding: 'utf8',
      timeout: 5 * 60_000,
      env: { ...process.env, GO111MODULE: 'on', GOFLAGS: '-mod=mod' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    assert.fail(
      `cannot find the upstream CRI proto: set STATICLET_CRI_API_PROTO, or make ` +
        `\`go mod download -json ${CRI_API_MODULE}\` work (${e.message.trim()}; ` +
        `stdout: ${e.stdout?.trim() ?? ''}; stderr: ${e.stderr?.trim() ?? ''})`,
    );
  }
  const info = JSON.parse(out) as { Dir?: string; Error?: string };
  assert.ok(!info.Error, `go mod download ${CRI_API_MODULE}: ${info.Error}`);
  assert.ok(info.Dir, `go mod download ${CRI_API_MODULE} gave no Dir: ${out}`);
  const path = join(info.Dir, UPSTREAM_RELATIVE);
  assert.ok(existsSync(path), `upstream CRI proto missing at ${path}`);
  upstreamPathMemo = path;
  return path;
}

interface ParsedProto {
  source: string;
  pkg: string | undefined;
  syntax: string | undefined;
  imports: string[];
  root: protobuf.Root;
}

function parseProto(source: string, filename: string): ParsedProto {
  const parsed = protobuf.parse(source, new protobuf.Root(), { keepCase: true, alternateCommentMode: true });
  try {
    parsed.root.resolveAll();
  } catch (err) {
    throw new Error(`${filename}: ${(err as Error).message}`);
  }
  return {
    source,
    pkg: parsed.package,
    syntax: /^\s*syntax\s*=\s*"([^"]+)"\s*;/m.exec(source)?.[1],
    imports: [...(parsed.imports ?? []), ...(parsed.weakImports ?? [])],
    root: parsed.root,
  };
}

const oursPath = defaultProtoPath();
const oursSource = readFileSync(oursPath, 'utf8');

// ---------------------------------------------------------------------------------------------
// The checker

function typeName(f: protobuf.Field): string {
  // Messages and enums: the resolved full name; scalars: the scalar name.
  return f.resolvedType ? f.resolvedType.fullName : f.type;
}

function allNested(ns: protobuf.NamespaceBase): protobuf.ReflectionObject[] {
  const out: protobuf.ReflectionObject[] = [];
  for (const obj of ns.nestedArray) {
    out.push(obj);
    if (obj instanceof protobuf.Namespace) out.push(...allNested(obj));
  }
  return out;
}

/** Every difference between what `ours` declares and `upstream`; empty when compatible. */
function compareProtos(ours: ParsedProto, upstream: ParsedProto): string[] {
  const problems: string[] = [];
  if (ours.pkg !== upstream.pkg) problems.push(`package: ours ${ours.pkg}, upstream ${upstream.pkg}`);
  if (ours.pkg !== PACKAGE) problems.push(`package: ours ${ours.pkg}, expected ${PACKAGE}`);
  if (ours.syntax !== upstream.syntax) problems.push(`syntax: ours ${ours.syntax}, upstream ${upstream.syntax}`);
  if (ours.imports.length > 0) problems.push(`ours imports ${ours.imports.join(', ')}: it must be self-contained`);

  let declared = 0;
  for (const obj of allNested(ours.root)) {
    const name = obj.fullName.replace(/^\./, '');
    if (obj instanceof protobuf.Type) {
      declared++;
      const up = upstream.root.lookup(obj.fullName);
      if (!(up instanceof protobuf.Type)) {
        problems.push(`message ${name}: ${up ? 'is not a message' : 'missing'} upstream`);
        continue;
      }
      for (const f of obj.fieldsArray) {
        const where = `${name}.${f.name}`;
        const uf = up.fields[f.name];
        if (!uf) {
          const byId = up.fieldsById[f.id];
          problems.push(`field ${where}: missing upstream${byId ? ` (upstream #${f.id} is ${byId.name})` : ''}`);
          continue;
        }
        if (f.id !== uf.id) problems.push(`field ${where}: number ${f.id}, upstream ${uf.id}`);
        if (typeName(f) !== typeName(uf))
          problems.push(`field ${where}: type ${typeName(f)}, upstream ${typeName(uf)}`);
        if (f.repeated !== uf.repeated)
          problems.push(`field ${where}: repeated ${f.repeated}, upstream ${uf.repeated}`);
        if (f.map !== uf.map) problems.push(`field ${where}: map ${f.map}, upstream ${uf.map}`);
        if (f instanceof protobuf.MapField && uf instanceof protobuf.MapField && f.keyType !== uf.keyType) {
          problems.push(`field ${where}: map key ${f.keyType}, upstream ${uf.keyType}`);
        }
        const opt = Boolean(f.options?.['proto3_optional']);
        const uopt = Boolean(uf.options?.['proto3_optional']);
        if (opt !== uopt) problems.push(`field ${where}: proto3 optional ${opt}, upstream ${uopt}`);
        const oneof = f.partOf && !f.partOf.name.startsWith('_') ? f.partOf.name : undefined;
        const uoneof = uf.partOf && !uf.partOf.name.startsWith('_') ? uf.partOf.name : undefined;
        if (oneof !== uoneof) problems.push(`field ${where}: oneof ${oneof}, upstream ${uoneof}`);
      }
    } else if (obj instanceof protobuf.Enum) {
      declared++;
      const up = upstream.root.lookup(obj.fullName);
      if (!(up instanceof protobuf.Enum)) {
        problems.push(`enum ${name}: ${up ? 'is not an enum' : 'missing'} upstream`);
        continue;
      }
      for (const [value, num] of Object.entries(obj.values)) {
        const unum = up.values[value];
        if (unum === undefined) problems.push(`enum ${name}.${value}: missing upstream`);
        else if (unum !== num) problems.push(`enum ${name}.${value}: number ${num}, upstream ${unum}`);
      }
    } else if (obj instanceof protobuf.Service) {
      declared++;
      const up = upstream.root.lookup(obj.fullName);
      if (!(up instanceof protobuf.Service)) {
        problems.push(`service ${name}: ${up ? 'is not a service' : 'missing'} upstream`);
        continue;
      }
      for (const m of obj.methodsArray) {
        const where = `${name}.${m.name}`;
        const um = up.methods[m.name];
        if (!um) {
          problems.push(`rpc ${where}: missing upstream`);
          continue;
        }
        const req = m.resolvedRequestType?.fullName;
        const ureq = um.resolvedRequestType?.fullName;
        const res = m.resolvedResponseType?.fullName;
        const ures = um.resolvedResponseType?.fullName;
        if (req !== ureq) problems.push(`rpc ${where}: request ${req}, upstream ${ureq}`);
        if (res !== ures) problems.push(`rpc ${where}: response ${res}, upstream ${ures}`);
        if (Boolean(m.requestStream) !== Boolean(um.requestStream)) {
          problems.push(
            `rpc ${where}: client streaming ${Boolean(m.requestStream)}, upstream ${Boolean(um.requestStream)}`,
          );
        }
        if (Boolean(m.responseStream) !== Boolean(um.responseStream)) {
          problems.push(
            `rpc ${where}: server streaming ${Boolean(m.responseStream)}, upstream ${Boolean(um.responseStream)}`,
          );
        }
      }
    } else if (obj instanceof protobuf.Namespace) {
      // A package namespace (runtime, runtime.v1): must be the one package.
      if (!`${PACKAGE}.`.startsWith(`${name}.`)) problems.push(`unexpected namespace ${name}`);
    } else {
      problems.push(`unexpected definition ${name} (${obj.constructor.name})`);
    }
  }
  if (declared === 0) problems.push('ours declares nothing');
  return problems;
}

let upstreamMemo: ParsedProto | undefined;
function upstream(): ParsedProto {
  if (!upstreamMemo) {
    const path = upstreamProtoPath();
    upstreamMemo = parseProto(readFileSync(path, 'utf8'), path);
  }
  return upstreamMemo;
}

function ours(source: string = oursSource): ParsedProto {
  return parseProto(source, oursPath);
}

/** Replace exactly one occurrence of `from` in our proto source. */
function altered(from: RegExp, to: string): ParsedProto {
  const matches = oursSource.match(new RegExp(from.source, 'g'));
  assert.equal(matches?.length, 1, `alteration ${from} must match exactly once in our proto`);
  const changed = oursSource.replace(from, to);
  assert.notEqual(changed, oursSource);
  return ours(changed);
}

// ---------------------------------------------------------------------------------------------

describe('CRI proto compatibility with upstream k8s.io/cri-api', () => {
  test('the upstream api.proto is found and parses', () => {
    const up = upstream();
    assert.equal(up.pkg, PACKAGE);
    assert.ok(up.root.lookup(`${PACKAGE}.RuntimeService`) instanceof protobuf.Service);
  });

  test('our proto declares only what upstream declares, identically', () => {
    const problems = compareProtos(ours(), upstream());
    assert.deepEqual(problems, [], `incompatibilities:\n  ${problems.join('\n  ')}`);
  });

  test('our proto declares every RPC the client calls, with the expected streaming', () => {
    const root = ours().root;
    const expect: Record<string, string[]> = {
      RuntimeService: [
        'Version',
        'RunPodSandbox',
        'StopPodSandbox',
        'RemovePodSandbox',
        'PodSandboxStatus',
        'ListPodSandbox',
        'CreateContainer',
        'StartContainer',
        'StopContainer',
        'RemoveContainer',
        'ListContainers',
        'ContainerStatus',
        'ExecSync',
        'Exec',
        'Attach',
        'PortForward',
        'ListContainerStats',
        'GetContainerEvents',
      ],
      ImageService: ['ImageStatus', 'PullImage'],
    };
    for (const [svc, methods] of Object.entries(expect)) {
      const s = root.lookupService(`${PACKAGE}.${svc}`);
      assert.deepEqual(Object.keys(s.methods).sort(), [...methods].sort(), `${svc} methods`);
      for (const m of s.methodsArray) {
        assert.equal(Boolean(m.responseStream), m.name === 'GetContainerEvents', `${svc}.${m.name} server streaming`);
        assert.equal(Boolean(m.requestStream), false, `${svc}.${m.name} client streaming`);
      }
    }
  });

  test("the client's method table: every method of our proto at its service's path", () => {
    const methods = loadMethods(oursPath);
    assert.equal(methods.GetContainerEvents.path, '/runtime.v1.RuntimeService/GetContainerEvents');
    assert.equal(methods.RunPodSandbox.path, '/runtime.v1.RuntimeService/RunPodSandbox');
    assert.equal(methods.PullImage.path, '/runtime.v1.ImageService/PullImage');
    assert.equal(methods.ImageStatus.path, '/runtime.v1.ImageService/ImageStatus');
  });
});

describe('the checker catches incompatibilities (self-check on altered copies)', () => {
  test('a wrong field number', () => {
    const problems = compareProtos(
      altered(/(message RunPodSandboxResponse \{\s*string pod_sandbox_id = )1;/, '$12;'),
      upstream(),
    );
    assert.ok(
      problems.some((p) => p === 'field runtime.v1.RunPodSandboxResponse.pod_sandbox_id: number 2, upstream 1'),
      `expected a field number problem, got: ${JSON.stringify(problems)}`,
    );
  });

  test('a wrong scalar type, a wrong message type, a lost repeated label', () => {
    let problems = compareProtos(altered(/int64 started_at = 5;/, 'int32 started_at = 5;'), upstream());
    assert.ok(
      problems.includes('field runtime.v1.ContainerStatus.started_at: type int32, upstream int64'),
      JSON.stringify(problems),
    );
    problems = compareProtos(altered(/ImageSpec image = 4;/, 'ContainerMetadata image = 4;'), upstream());
    assert.ok(
      problems.includes(
        'field runtime.v1.Container.image: type .runtime.v1.ContainerMetadata, upstream .runtime.v1.ImageSpec',
      ),
      JSON.stringify(problems),
    );
    problems = compareProtos(altered(/repeated string cmd = 2;(?=\s+int64 timeout)/, 'string cmd = 2;'), upstream());
    assert.ok(
      problems.includes('field runtime.v1.ExecSyncRequest.cmd: repeated false, upstream true'),
      JSON.stringify(problems),
    );
  });

  test('a wrong map key type, a wrong enum number, a renamed field, an invented message', () => {
    let problems = compareProtos(
      altered(/map<string, string> sysctls = 3;/, 'map<int32, string> sysctls = 3;'),
      upstream(),
    );
    assert.ok(
      problems.includes('field runtime.v1.LinuxPodSandboxConfig.sysctls: map key int32, upstream string'),
      JSON.stringify(problems),
    );
    problems = compareProtos(altered(/CONTAINER_EXITED = 2;/, 'CONTAINER_EXITED = 5;'), upstream());
    assert.ok(
      problems.includes('enum runtime.v1.ContainerState.CONTAINER_EXITED: number 5, upstream 2'),
      JSON.stringify(problems),
    );
    problems = compareProtos(altered(/string log_directory = 3;/, 'string log_dir = 3;'), upstream());
    assert.ok(
      problems.includes('field runtime.v1.PodSandboxConfig.log_dir: missing upstream (upstream #3 is log_directory)'),
      JSON.stringify(problems),
    );
    problems = compareProtos(ours(`${oursSource}\nmessage NotInCri { string x = 1; }\n`), upstream());
    assert.ok(problems.includes('message runtime.v1.NotInCri: missing upstream'), JSON.stringify(problems));
  });

  test('a wrong streaming flag, a wrong response type, a wrong package', () => {
    let problems = compareProtos(
      altered(/returns \(stream ContainerEventResponse\)/, 'returns (ContainerEventResponse)'),
      upstream(),
    );
    assert.ok(
      problems.includes('rpc runtime.v1.RuntimeService.GetContainerEvents: server streaming false, upstream true'),
      JSON.stringify(problems),
    );
    problems = compareProtos(
      altered(
        /rpc StartContainer\(StartContainerRequest\) returns \(StartContainerResponse\)/,
        'rpc StartContainer(StartContainerRequest) returns (StopContainerResponse)',
      ),
      upstream(),
    );
    assert.ok(
      problems.includes(
        'rpc runtime.v1.RuntimeService.StartContainer: response .runtime.v1.StopContainerResponse, upstream .runtime.v1.StartContainerResponse',
      ),
      JSON.stringify(problems),
    );
    problems = compareProtos(altered(/package runtime\.v1;/, 'package runtime.v2;'), upstream());
    assert.ok(problems.includes('package: ours runtime.v2, upstream runtime.v1'), JSON.stringify(problems));
  });
});

describe('wire compatibility: upstream-encoded responses decode through our proto and converters', () => {
  const methods = loadMethods(oursPath);

  function encodeUpstream(type: string, value: Record<string, unknown>): Buffer {
    const t = upstream().root.lookupType(`${PACKAGE}.${type}`);
    return Buffer.from(t.encode(t.fromObject(value)).finish());
  }

  test('ContainerStatusResponse with fields we do not declare', () => {
    const wire = encodeUpstream('ContainerStatusResponse', {
      status: {
        id: 'c1',
        metadata: { name: 'app', attempt: 2 },
        state: 'CONTAINER_EXITED',
        created_at: '1700000000123456789',
        started_at: '1700000001123456789',
        finished_at: '1700000002123456789',
        exit_code: 137,
        image: { image: 'staticlet.local/busybox:1', user_specified_image: 'busybox' },
        image_ref: 'sha256:abc',
        reason: 'Error',
        labels: { a: 'b' },
        mounts: [{ container_path: '/x', host_path: '/y', readonly: true }],
        log_path: '/var/log/pods/x/app/2.log',
        resources: { linux: { cpu_shares: '2' } },
        image_id: 'sha256:abc',
        stop_signal: 'SIGTERM',
      },
      info: { big: 'x'.repeat(1000) },
    });
    const decoded = methods.ContainerStatus.responseDeserialize(wire);
    const status = containerStatusFromProto((decoded as { status?: unknown }).status);
    assert.deepEqual(status, {
      id: 'c1',
      metadata: { name: 'app', attempt: 2 },
      state: 'CONTAINER_EXITED',
      createdAt: '1700000000123456789',
      startedAt: '1700000001123456789',
      finishedAt: '1700000002123456789',
      exitCode: 137,
      image: 'staticlet.local/busybox:1',
      imageRef: 'sha256:abc',
      reason: 'Error',
      message: '',
      labels: { a: 'b' },
      annotations: {},
      logPath: '/var/log/pods/x/app/2.log',
    });
  });

  test('enums at their zero value (left out on the wire) read as that value; unknown ones do not', () => {
    const sandboxes = listOf(
      methods.ListPodSandbox.responseDeserialize(
        encodeUpstream('ListPodSandboxResponse', {
          items: [
            { id: 's0', state: 'SANDBOX_READY', created_at: '0' },
            { id: 's1', state: 'SANDBOX_NOTREADY' },
            { id: 's7', state: 7 },
          ],
        }),
      ),
      'items',
    ).map(podSandboxFromProto);
    assert.deepEqual(
      sandboxes.map((s) => [s.id, s.state, s.createdAt]),
      [
        ['s0', 'SANDBOX_READY', '0'],
        ['s1', 'SANDBOX_NOTREADY', '0'],
        ['s7', 'SANDBOX_NOTREADY', '0'],
      ],
    );
    const containers = listOf(
      methods.ListContainers.responseDeserialize(
        encodeUpstream('ListContainersResponse', {
          containers: [
            { id: 'c0', state: 'CONTAINER_CREATED', metadata: { name: 'app', attempt: 0 } },
            { id: 'c1', state: 'CONTAINER_RUNNING' },
            { id: 'c9', state: 9 },
          ],
        }),
      ),
      'containers',
    ).map(containerFromProto);
    assert.deepEqual(
      containers.map((c) => [c.id, c.state, c.metadata]),
      [
        ['c0', 'CONTAINER_CREATED', { name: 'app', attempt: 0 }],
        ['c1', 'CONTAINER_RUNNING', { name: '', attempt: 0 }],
        ['c9', 'CONTAINER_UNKNOWN', { name: '', attempt: 0 }],
      ],
    );
    const created = containerEventFromProto(
      methods.GetContainerEvents.responseDeserialize(
        encodeUpstream('ContainerEventResponse', {
          container_id: 'c0',
          container_event_type: 'CONTAINER_CREATED_EVENT',
        }),
      ),
    );
    assert.equal(created?.eventType, 'CONTAINER_CREATED_EVENT');
  });

  test('ExecSyncResponse bytes become Buffers; events and image status convert', () => {
    const exec = execSyncFromProto(
      methods.ExecSync.responseDeserialize(
        encodeUpstream('ExecSyncResponse', {
          stdout: Buffer.from('hi\n'),
          stderr: Buffer.from([0xff, 0]),
          exit_code: 3,
        }),
      ),
    );
    assert.ok(Buffer.isBuffer(exec.stdout));
    assert.equal(exec.stdout.toString(), 'hi\n');
    assert.deepEqual([...exec.stderr], [0xff, 0]);
    assert.equal(exec.exitCode, 3);

    const event = containerEventFromProto(
      methods.GetContainerEvents.responseDeserialize(
        encodeUpstream('ContainerEventResponse', {
          container_id: 'c1',
          container_event_type: 'CONTAINER_STOPPED_EVENT',
          created_at: '1',
          pod_sandbox_status: { id: 's1', state: 'SANDBOX_READY' },
          containers_statuses: [
            { id: 'c1', state: 'CONTAINER_EXITED', exit_code: 137, finished_at: '1700000000123456789' },
          ],
        }),
      ),
    );
    const { containersStatuses, ...rest } = event!;
    assert.deepEqual(rest, {
      containerId: 'c1',
      eventType: 'CONTAINER_STOPPED_EVENT',
      createdAt: '1',
      podSandboxId: 's1',
    });
    // The exit's facts ride along in the statuses (containerd 2.x sends them).
    assert.deepEqual(
      containersStatuses.map((c) => [c.id, c.state, c.exitCode, c.finishedAt]),
      [['c1', 'CONTAINER_EXITED', 137, '1700000000123456789']],
    );

    const present = imageStatusFromProto(
      methods.ImageStatus.responseDeserialize(
        encodeUpstream('ImageStatusResponse', {
          image: { id: 'sha256:1', size: '18446744073709551615', repo_tags: ['a:1'] },
        }),
      ),
    );
    assert.deepEqual(present, { id: 'sha256:1', size: '18446744073709551615' });
    assert.equal(
      imageStatusFromProto(methods.ImageStatus.responseDeserialize(encodeUpstream('ImageStatusResponse', {}))),
      undefined,
    );
  });
});
