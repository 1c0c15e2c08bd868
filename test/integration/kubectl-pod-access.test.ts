// kubectl logs, exec, attach and port-forward on a mirror pod, end to end: kubectl → the real
// kube-apiserver (which proxies to the node's kubelet port with its kubelet-client certificate)
// → the agent's kubelet port (HTTPS, client-certificate authentication, SubjectAccessReview) with
// the pod-access routes → containerd's streaming server. The node's address is the test bridge's
// gateway (the API server refuses to proxy to loopback).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { ControlPlane } from '../support/control-plane.js';
import { TestNode, waitFor } from '../support/harness.js';
import { CRASH_POD, webPod } from '../support/pod-access-pods.js';

/** The test bridge's gateway (scripts/containerd.sh): the node's address, never another. */
const NODE_IP = '10.203.0.1';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

describe('kubectl logs, exec, attach, port-forward through the API server and the kubelet port', () => {
  const cp = new ControlPlane();
  const node = new TestNode();
  const children: ChildProcess[] = [];

  before(async () => {
    // The API server calls the node at its InternalIP (the Hostname, the node name, resolves nowhere).
    await cp.start({ apiserverFlags: ['--kubelet-preferred-address-types=InternalIP'] });
    await node.setup();
    const kubeconfig = await cp.nodeKubeconfig(node.nodeName);
    // 20000-32000, like the control plane's ports: below the ephemeral range.
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    await node.writeManifest('web.yaml', webPod({ shell: true }));
    await node.writeManifest('crash.yaml', CRASH_POD);
    // The agent as installed: the kubelet API with client certificates from the cluster's CA (the
    // API server's kubelet-client certificate), authorized by SubjectAccessReview, self-signed.
    await node.startAgent([
      `--kubeconfig=${kubeconfig}`,
      `--node-ip=${NODE_IP}`,
      `--address=${NODE_IP}`,
      `--port=${port}`,
      `--client-ca-file=${cp.caFile}`,
      '--rotate-server-certificates=false',
      '--file-check-frequency=2s',
    ]);
    await waitFor(
      'the web mirror running',
      async () => {
        const m = await cp.getPodJson('default', node.podName('web'));
        return m?.status.containerStatuses?.length === 3 && m.status.containerStatuses.every((c) => c.ready);
      },
      60_000,
      250,
    );
    // The port listens once the bridge's address exists (the first pod-network pod made it).
    await waitFor(
      'the kubelet port reachable through the API server',
      async () => {
        const r = await kubectl(['logs', node.podName('web'), '-c', 'main', '--tail=1']);
        return r.code === 0;
      },
      30_000,
      500,
    );
  });

  after(async () => {
    for (const c of children) c.kill('SIGKILL');
    await node.cleanup();
    await cp.stop();
  });

  const web = () => node.podName('web');
  const crash = () => node.podName('crash');

  /** kubectl as the admin; `input` goes to its stdin, `env` adds to its environment. */
  function kubectl(args: string[], opts: { input?: string; env?: Record<string, string> } = {}): Promise<Run> {
    return new Promise((resolve) => {
      const child = spawn('kubectl', ['--kubeconfig', cp.adminKubeconfig, ...args], {
        env: { ...process.env, ...opts.env },
        timeout: 60_000,
      });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
      child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
      child.stdin.end(opts.input ?? '');
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });
  }

  /** A long-running kubectl; resolves once its output matches, with its output so far and the child. */
  function kubectlUntil(
    args: string[],
    pattern: RegExp,
    input?: string,
  ): Promise<{ out: string; child: ChildProcess }> {
    const child = spawn('kubectl', ['--kubeconfig', cp.adminKubeconfig, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    children.push(child);
    if (input !== undefined) child.stdin.write(input);
    return new Promise((resolve, reject) => {
      let out = '';
      let err = '';
      const timer = setTimeout(
        () => reject(new Error(`kubectl ${args.join(' ')}: no ${pattern} in ${out} / ${err}`)),
        30_000,
      );
      child.stdout.setEncoding('utf8').on('data', (c: string) => {
        out += c;
        if (pattern.test(out)) {
          clearTimeout(timer);
          resolve({ out, child });
        }
      });
      child.stderr.setEncoding('utf8').on('data', (c: string) => (err += c));
      child.on('close', (code) => {
        clearTimeout(timer);
        reject(new Error(`kubectl ${args.join(' ')} exited ${code}: ${out} / ${err}`));
      });
    });
  }

  it('kubectl logs: the log, --tail, --timestamps, --previous, -f (ended by the client, and by the container’s exit)', async () => {
    const all = await kubectl(['logs', web(), '-c', 'main']);
    assert.equal(all.code, 0, all.stderr);
    assert.equal(all.stdout, 'line-1\nline-2\nline-3\nline-4\nline-5\n');
    assert.equal((await kubectl(['logs', web(), '-c', 'main', '--tail=2'])).stdout, 'line-4\nline-5\n');
    const stamped = await kubectl(['logs', web(), '-c', 'main', '--tail=1', '--timestamps']);
    assert.match(stamped.stdout, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z line-5\n$/);
    const none = await kubectl(['logs', web(), '-c', 'nope']);
    assert.notEqual(none.code, 0);

    const followed = await kubectlUntil(['logs', '-f', web(), '-c', 'ticker', '--tail=1'], /(tick-\d+\n.*){3}/s);
    followed.child.kill('SIGINT');

    const current = await waitFor(
      'crash restarted',
      async () => {
        const r = await kubectl(['logs', crash()]);
        const m = /boot-(\d+)/.exec(r.stdout);
        return m && Number(m[1]) >= 1 ? Number(m[1]) : undefined;
      },
      60_000,
      500,
    );
    const prev = await kubectl(['logs', crash(), '--previous']);
    assert.equal(prev.code, 0, prev.stderr);
    const p = Number(/boot-(\d+)/.exec(prev.stdout)?.[1]);
    assert.ok(p >= current - 1 && p <= current, `previous boot ${p}, current ${current}`);

    // -f on a running instance returns by itself when it exits.
    await waitFor('crash running', () => node.running('crash', 'main'), 60_000);
    const ended = await kubectl(['logs', '-f', crash()]);
    assert.equal(ended.code, 0, ended.stderr);
    assert.match(ended.stdout, /^boot-\d+\n$/);
  });

  it('kubectl exec: output and exit code (WebSocket and SPDY from kubectl)', async () => {
    for (const env of [{ KUBECTL_REMOTE_COMMAND_WEBSOCKETS: 'true' }, { KUBECTL_REMOTE_COMMAND_WEBSOCKETS: 'false' }]) {
      const r = await kubectl(['exec', web(), '-c', 'main', '--', 'sh', '-c', 'echo out; echo err >&2; exit 3'], {
        env,
      });
      assert.equal(r.code, 3, `${JSON.stringify(env)}: ${r.stderr}`);
      assert.equal(r.stdout, 'out\n');
      assert.match(r.stderr, /err/);
      const stdin = await kubectl(['exec', '-i', web(), '-c', 'main', '--', 'head', '-n1'], {
        env,
        input: 'piped in\n',
      });
      assert.equal(stdin.stdout, 'piped in\n', stdin.stderr);
    }
  });

  it('kubectl exec -it: an interactive shell through a pty', async () => {
    const cmd = `kubectl --kubeconfig ${cp.adminKubeconfig} exec -it ${web()} -c main -- sh`;
    const r = await new Promise<Run>((resolve) => {
      const child = spawn('script', ['-qefc', cmd, '/dev/null'], { timeout: 30_000 });
      let stdout = '';
      let typed = false;
      child.stdout.setEncoding('utf8').on('data', (c: string) => {
        stdout += c;
        // Typed once the shell prompts, as a user would.
        if (!typed && stdout.includes('/ # ')) {
          typed = true;
          child.stdin.write('echo tty-is-$(tty | cut -c1-8) $((6*7)); exit 5\r');
        }
      });
      child.stderr.setEncoding('utf8').on('data', (c: string) => (stdout += c));
      child.on('close', (code) => resolve({ code, stdout, stderr: '' }));
    });
    assert.match(r.stdout, /tty-is-\/dev\/pts 42/);
    assert.equal(r.code, 5, r.stdout);
  });

  it('kubectl attach: the container’s own output; -i to its stdin', async () => {
    const attached = await kubectlUntil(['attach', web(), '-c', 'ticker'], /tick-\d+\n.*tick-\d+\n/s);
    attached.child.kill('SIGINT');
    const shell = await kubectlUntil(
      ['attach', '-i', web(), '-c', 'shell'],
      /attached-42/,
      'echo attached-$((40+2))\n',
    );
    shell.child.kill('SIGINT');
  });

  it('kubectl port-forward to the pod’s HTTP server', async () => {
    const pf = await kubectlUntil(['port-forward', `pod/${web()}`, ':8080'], /Forwarding from 127\.0\.0\.1:(\d+)/);
    const local = Number(/127\.0\.0\.1:(\d+)/.exec(pf.out)![1]);
    for (let i = 0; i < 2; i++) {
      const res = await fetch(`http://127.0.0.1:${local}/`);
      assert.equal(res.status, 200);
      assert.equal(await res.text(), 'pf-works\n');
    }
    pf.child.kill('SIGINT');
  });
});
