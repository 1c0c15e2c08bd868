// Security, checked on the real runtime: manifest-URL header values stay out of the agent's log
// and event log whatever way the URL fails; the event log is 0600; a subPath that escapes its
// volume through a symlink is refused; a writable hostPath cannot reach the agent's own state.
import assert from 'node:assert/strict';
import { mkdir, readFile, stat, symlink, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { IMAGE, useTestNode, waitFor, type AgentProcess } from '../support/harness.js';

const SECRET = 'tok-9f2c71e0d5b3a8';
const SLEEP = `["sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"]`;

const pod = (name: string, volumes: string, mounts: string, init = '') => `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
spec:
  terminationGracePeriodSeconds: 1
  volumes:
${volumes}
${init}  containers:
    - name: main
      image: ${IMAGE}
      command: ${SLEEP}
      volumeMounts: ${mounts}
`;

/** The log line of a failed start of a container of pod `name`. */
const startFailed = (agent: AgentProcess, podName: string) =>
  agent.waitForLog(new RegExp(`"pod":"default/${podName}".*StartContainer failed`), 60_000);

describe('security', () => {
  const node = useTestNode();

  it('header values never reach the log or the event log, however the URL fails; the event log is 0600', async () => {
    let hits = 0;
    const server = createServer((req, res) => {
      hits++;
      const echoed = String(req.headers['x-token'] ?? '');
      switch (hits % 5) {
        case 0: // refused
          res.writeHead(401, { 'www-authenticate': 'Bearer' }).end(`bad token ${echoed}`);
          break;
        case 1: // a body that echoes the request into an invalid manifest
          res.end(`apiVersion: v1\nkind: Pod\nmetadata:\n  name: "Bad ${echoed}"\nspec: {containers: []}\n`);
          break;
        case 2: // not YAML at all, quoting the token
          res.end(`{ "token": ${echoed} [[[`);
          break;
        case 3: // the connection dropped
          req.socket.destroy();
          break;
        case 4: // a redirect to nowhere, the token in its URL
          res.writeHead(302, { location: `http://127.0.0.1:1/${echoed}` }).end();
          break;
      }
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/pods`;
      const eventLog = join(node.dir, 'events.jsonl');
      const agent = await node.startAgent(
        [
          `--manifest-url=${url}`,
          '--http-check-frequency=1s',
          `--manifest-url-header=X-Token:${SECRET}`,
          `--manifest-url-header=Authorization:Bearer ${SECRET}`,
          `--event-log=${eventLog}`,
        ],
        { manifests: null },
      );
      await waitFor('every kind of failure, twice', () => hits >= 10, 60_000, 200);
      await agent.stop('SIGTERM');
      assert.equal((await stat(eventLog)).mode & 0o777, 0o600);
      const events = await readFile(eventLog, 'utf8');
      assert.match(events, /ManifestInvalid/, 'the failures are in the event log');
      assert.match(events, /\[redacted\]/, 'the echoed token was taken out');
      assert.ok(!events.includes(SECRET), 'no header value in the event log');
      const logs = agent.logs.join('\n');
      assert.ok(!logs.includes(SECRET), `no header value in the log:\n${logs}`);
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });

  it('a subPath through a symlink out of its volume (emptyDir or hostPath) fails the start; inside is fine', async () => {
    const outside = join(node.dir, 'outside');
    const hostVol = join(node.dir, 'hostvol');
    await mkdir(outside, { recursive: true });
    await mkdir(join(hostVol, 'inner'), { recursive: true });
    await writeFile(join(outside, 'secret'), 'host secret\n');
    await symlink(outside, join(hostVol, 'escape'));
    await symlink('inner', join(hostVol, 'fine'));
    const agent = await node.startAgent();

    // The CVE-2017-1002101 shape: an init container plants a symlink to / in an emptyDir, the
    // next container mounts it by subPath.
    await node.writeManifest(
      'plant.yaml',
      pod(
        'plant',
        '    - {name: scratch, emptyDir: {}}',
        '[{name: scratch, mountPath: /host, subPath: escape}]',
        `  initContainers:
    - name: plant
      image: ${IMAGE}
      command: ["ln", "-s", "/", "/scratch/escape"]
      volumeMounts: [{name: scratch, mountPath: /scratch}]
`,
      ),
    );
    await node.writeManifest(
      'hostlink.yaml',
      pod(
        'hostlink',
        `    - {name: vol, hostPath: {path: ${hostVol}, type: Directory}}`,
        '[{name: vol, mountPath: /x, subPath: escape}]',
      ),
    );
    await node.writeManifest(
      'inside.yaml',
      pod(
        'inside',
        `    - {name: vol, hostPath: {path: ${hostVol}, type: Directory}}`,
        '[{name: vol, mountPath: /x, subPath: fine}]',
      ),
    );

    for (const name of ['plant', 'hostlink']) {
      const line = await startFailed(agent, node.podName(name));
      assert.match(line, /"reason":"CreateContainerConfigError"/, line);
      assert.match(line, /subPath \\"escape\\".*outside the volume/, line);
    }
    await waitFor('the pod whose subPath stays inside runs', () => node.running('inside', 'main'), 60_000);
    assert.equal(await node.running('plant', 'main'), undefined);
    assert.equal(await node.running('hostlink', 'main'), undefined);
  });

  it("a writable hostPath that would reach the agent's root directory is refused, unless named exactly or read-only", async () => {
    const agent = await node.startAgent();
    // node.dir holds the agent's --root-dir.
    await node.writeManifest(
      'above.yaml',
      pod('above', `    - {name: v, hostPath: {path: ${node.dir}}}`, '[{name: v, mountPath: /x}]'),
    );
    await node.writeManifest(
      'ro.yaml',
      pod('ro', `    - {name: v, hostPath: {path: ${node.dir}}}`, '[{name: v, mountPath: /x, readOnly: true}]'),
    );
    await mkdir(node.rootDir, { recursive: true });
    await node.writeManifest(
      'exact.yaml',
      pod('exact', `    - {name: v, hostPath: {path: ${node.rootDir}}}`, '[{name: v, mountPath: /x}]'),
    );

    const line = await startFailed(agent, node.podName('above'));
    assert.match(line, /"reason":"CreateContainerConfigError"/, line);
    assert.match(line, /would reach the agent's own/, line);
    await waitFor('the read-only mount runs', () => node.running('ro', 'main'), 60_000);
    await waitFor('the exactly named root directory runs', () => node.running('exact', 'main'), 60_000);
    assert.equal(await node.running('above', 'main'), undefined);
  });
});
