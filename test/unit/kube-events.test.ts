// The Kubernetes Events a step tells of, as `kubectl describe pod` shows them: a new sandbox's
// first container (started within the sandbox's action) gets the same story as any other start.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CoreV1Event } from '@kubernetes/client-node';
import { pino } from 'pino';
import type { Action, CreateSandbox } from '../../src/core/model/actions.js';
import type { ActionOutcome } from '../../src/core/model/events.js';
import type { LoopStep } from '../../src/loop.js';
import { initialState, type State } from '../../src/core/model/state.js';
import { fullName } from '../../src/core/model/static-pod.js';
import { createEventRecorder } from '../../src/effects/kube-events.js';
import type { KubeApi } from '../../src/runtime/kube/types.js';
import { container, NODE, sandbox, staticPod } from '../support/fixtures.js';

const web = staticPod('web');

/** A state whose API view has web's mirror pod, so its events have somewhere to go. */
function withMirror(): State {
  const s = initialState(['file'], 1_000, { nodeIP: '192.0.2.10', runtimeName: 'containerd' });
  const pods = new Map([
    [
      fullName(web),
      { namespace: web.namespace, name: web.name, uid: 'mirror-uid', mirrorOf: web.uid, deleting: false },
    ],
  ]);
  return { ...s, api: { ...s.api, synced: true, pods } };
}

/** The events recorded for one ActionSucceeded step of `action`. */
async function recorded(action: Action, outcome: ActionOutcome): Promise<string[]> {
  const sent: CoreV1Event[] = [];
  const kube = { createEvent: async (_ns: string, e: CoreV1Event) => void sent.push(e) } as unknown as KubeApi;
  const recorder = createEventRecorder(kube, NODE, pino({ level: 'silent' }));
  const state = withMirror();
  const step: LoopStep = {
    event: { type: 'ActionSucceeded', action, outcome, seq: 1, at: state.now },
    state,
    actions: [],
  };
  recorder.record(step);
  await new Promise((r) => setTimeout(r, 10));
  recorder.close();
  return sent.map((e) => `${e.type} ${e.reason}: ${e.message}`);
}

const create = (first?: CreateSandbox['first']): CreateSandbox => ({
  kind: 'CreateSandbox',
  id: '1.0',
  podUid: web.uid,
  podFullName: fullName(web),
  pod: web,
  attempt: 0,
  ...(first ? { first } : {}),
});

describe("events of a new sandbox's first container", () => {
  it("started within the sandbox's action: Pulled, Created, Started", async () => {
    const got = await recorded(create({ containerName: 'web', init: false, attempt: 0 }), {
      sandboxes: [sandbox(web, 'sb1')],
      containers: [container(web, 'c1', 'sb1', 'web')],
    });
    assert.deepEqual(got, [
      'Normal Pulled: Container image "staticlet.local/busybox:1" already present on machine',
      'Normal Created: Created container: web',
      'Normal Started: Started container web',
    ]);
  });

  it("failed within the sandbox's action: a Failed warning with its reason", async () => {
    const got = await recorded(create({ containerName: 'web', init: false, attempt: 0 }), {
      sandboxes: [sandbox(web, 'sb1')],
      firstFailed: { reason: 'CreateContainerConfigError', message: 'hostPath /nope does not exist' },
    });
    assert.deepEqual(got, ['Warning Failed: CreateContainerConfigError: hostPath /nope does not exist']);
  });

  it('a sandbox without a first container tells nothing of containers', async () => {
    assert.deepEqual(await recorded(create(), { sandboxes: [sandbox(web, 'sb1')] }), []);
  });
});
