// The CRI's own event stream (GetContainerEvents) on a runtime that has it (containerd 2.x, CRI-O): the
// agent chooses it, exits and deletions arrive through it and the agent acts on them without a
// relist, and a stream that breaks (the runtime restarted, or its socket gone) is subscribed again
// with back-off while the relist carries on. On containerd 1.6 (no GetContainerEvents) these are
// skipped: containerd-events.test.ts covers its task events.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { createCriRuntime } from '../../src/runtime/cri/client.js';
import { RuntimeProxy } from '../support/endpoint.js';
import {
  crictl,
  endpoint,
  manifest,
  REPO,
  testRuntime,
  useTestNode,
  waitFor,
  type AgentProcess,
} from '../support/harness.js';

const execFileP = promisify(execFile);

/** The runtime's major version, asked over the CRI (the suite's runtime, whichever it is). */
async function runtimeMajor(): Promise<number> {
  const cri = createCriRuntime(endpoint());
  try {
    return Number(/^v?(\d+)\./.exec((await cri.version()).runtimeVersion)?.[1] ?? 0);
  } finally {
    cri.close();
  }
}
// CRI-O's version is 1.x too: only containerd's 1.x lacks the stream.
const skip =
  process.env['STATICLET_TEST_CRI_ENDPOINT'] && testRuntime() === 'containerd' && (await runtimeMajor()) < 2
    ? 'the runtime has no GetContainerEvents (containerd 1.6)'
    : false;

/** Far beyond any test here: whatever the agent does, an event made it do it (or the first relist). */
const NO_PERIODIC_RELIST = '--relist-period=1h';

const CHOSE_CRI = /"events":"cri"/;
const chosenCri = (agent: AgentProcess): number => agent.logs.filter((l) => CHOSE_CRI.test(l)).length;
/** The waits the agent logged before subscribing again, in order. */
const retryWaits = (agent: AgentProcess): number[] =>
  agent.logs.flatMap((l) => {
    const m = /"retryInMs":(\d+)/.exec(l);
    return m ? [Number(m[1])] : [];
  });

/** SIGKILL to a container's main process, from the host: a crash nobody asked the runtime for. */
async function killMainProcess(containerId: string): Promise<void> {
  const inspect = JSON.parse(await crictl('inspect', containerId)) as { info?: { pid?: number } };
  const pid = inspect.info?.pid;
  assert.ok(pid && pid > 1, `crictl inspect gives the main process of ${containerId}`);
  process.kill(pid, 'SIGKILL');
}

interface LoggedEvent {
  type: string;
  containerId?: string;
  exitCode?: number;
  action?: { kind: string; first?: { containerName: string } };
}
/** Rounds of `crictl stopp` and `rmp` of the pod's sandbox, each followed by the pod's return. */
const ROUNDS_OF_STOPP = 10;
/** The event log's whole lines (the agent may be writing the last one). */
async function loggedEvents(path: string): Promise<LoggedEvent[]> {
  const lines = (await readFile(path, 'utf8')).split('\n');
  lines.pop();
  return lines.filter(Boolean).map((l) => JSON.parse(l) as LoggedEvent);
}

describe('CRI event stream (GetContainerEvents)', { skip }, () => {
  const node = useTestNode();

  /** The agent on `opts.endpoint` (default: the suite's runtime), with the web pod running. */
  async function agentWithWeb(args: string[], opts: { endpoint?: string } = {}) {
    await node.writeManifest('web.yaml', manifest('web'));
    // A later --container-runtime-endpoint wins over the harness's.
    const agent = await node.startAgent([
      ...args,
      ...(opts.endpoint ? [`--container-runtime-endpoint=${opts.endpoint}`] : []),
    ]);
    await agent.waitForLog(CHOSE_CRI);
    const web = await waitFor('web running', () => node.running('web', 'main'));
    return { agent, web };
  }

  const restartedAfter = (previousId: string) =>
    waitFor(`web restarted after ${previousId}`, async () => {
      const c = await node.running('web', 'main');
      return c && c.id !== previousId ? c : undefined;
    });

  it('the agent chooses the CRI stream; a crash arrives through it with its exit code, and the restart follows without a relist', async () => {
    const eventLog = join(node.dir, 'events.jsonl');
    const { agent, web } = await agentWithWeb([NO_PERIODIC_RELIST, `--event-log=${eventLog}`]);
    assert.match(
      agent.logs.find((l) => CHOSE_CRI.test(l))!,
      /GetContainerEvents/,
    );
    assert.ok(!agent.logs.some((l) => /"events":"containerd"/.test(l)), "containerd's task events are not used");

    await killMainProcess(web.id);
    const second = await restartedAfter(web.id);
    assert.equal(second.metadata.attempt, 1);
    const status = await node.cri.containerStatus(web.id);
    assert.equal(status.exitCode, 137);
    // The exit's facts came in the stopped event's container statuses.
    const exited = (await loggedEvents(eventLog)).find((e) => e.type === 'ContainerExited' && e.containerId === web.id);
    assert.equal(exited?.exitCode, 137, 'the ContainerExited event carries the exit code the CRI reports');
  });

  it('a sandbox deleted from outside: the deletion arrives through the stream and the pod is made again without a relist, its container with it', async () => {
    const eventLog = join(node.dir, 'events.jsonl');
    let { web } = await agentWithWeb([NO_PERIODIC_RELIST, `--event-log=${eventLog}`]);
    // Several rounds: the container's exit can reach the agent before its sandbox's stop, and its
    // restart then fails in the dying sandbox (containerd: "ttrpc: closed"; about one round in 30).
    // That failure must not hold the container back in the new sandbox (it did, for 10 s).
    for (let round = 0; round < ROUNDS_OF_STOPP; round++) {
      await crictl('stopp', web.podSandboxId);
      await crictl('rmp', web.podSandboxId);
      const gone = web;
      web = await waitFor('web in a new sandbox', async () => {
        const c = await node.running('web', 'main');
        return c && c.podSandboxId !== gone.podSandboxId ? c : undefined;
      });
      assert.notEqual(web.id, gone.id);
    }
    // The log has an action's result once the loop took it, a moment after the container runs.
    const sandboxesMade = await waitFor('every sandbox made in the event log', async () => {
      const made = (await loggedEvents(eventLog)).filter(
        (e) => e.type === 'ActionSucceeded' && e.action?.kind === 'CreateSandbox',
      );
      return made.length >= ROUNDS_OF_STOPP + 1 ? made : undefined;
    });
    for (const e of sandboxesMade)
      assert.equal(e.action?.first?.containerName, 'main', 'every new sandbox started its container with it');
  });

  it('the runtime restarted under the agent: the stream breaks, is subscribed again, and drives the restarts again', async () => {
    const dir = process.env['STATICLET_TEST_RUNTIME_DIR'];
    assert.ok(dir, 'STATICLET_TEST_RUNTIME_DIR is set by scripts/test.sh');
    const script = testRuntime() === 'cri-o' ? 'scripts/crio.sh' : 'scripts/containerd.sh';
    const { agent, web } = await agentWithWeb([NO_PERIODIC_RELIST]);
    await execFileP('bash', [join(REPO, script), 'restart', dir], { timeout: 120_000 });
    await agent.waitForLog(/container event stream broke.*subscribing again/);
    await waitFor('the CRI stream chosen again', () => chosenCri(agent) >= 2, 60_000);
    // The pod lived through it (its shim or conmon kept it), and an exit now is seen on the new stream.
    assert.equal((await node.running('web', 'main'))?.id, web.id);
    await killMainProcess(web.id);
    assert.equal((await restartedAfter(web.id)).metadata.attempt, 1);
  });

  it('the runtime socket gone: the waits double, the relist observes and repairs meanwhile, and the stream comes back', async () => {
    const proxy = new RuntimeProxy(join(node.dir, 'runtime.sock'), endpoint().replace(/^unix:\/\//, ''));
    await proxy.up();
    try {
      const { agent, web } = await agentWithWeb([], { endpoint: proxy.endpoint });
      await proxy.cut();
      // Down long enough that the next try is 16 s away (1, 2, 4, 8 s waited, then 16).
      await waitFor('the waits doubled to 16 s', () => retryWaits(agent).includes(16_000), 60_000);
      assert.deepEqual(retryWaits(agent), [1000, 2000, 4000, 8000, 16_000]);
      await proxy.up();
      // The stream is still waiting for its next try; the relist (every second) sees the crash.
      await killMainProcess(web.id);
      const second = await restartedAfter(web.id);
      assert.equal(second.metadata.attempt, 1);
      assert.equal(chosenCri(agent), 1, 'restarted by the relist, before the stream came back');
      await waitFor('the CRI stream chosen again', () => chosenCri(agent) === 2, 60_000);
    } finally {
      await proxy.cut();
    }
  });
});
