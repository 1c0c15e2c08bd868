// A real etcd + kube-apiserver for the mirror-pod tests (scripts/kube/control-plane.sh), with
// Node authorization and NodeRestriction; kubectl with the admin kubeconfig as the outside client.
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { REPO } from './harness.js';

const execFileP = promisify(execFile);
const script = join(REPO, 'scripts/kube/control-plane.sh');

export class ControlPlane {
  dir = '';

  get adminKubeconfig(): string {
    return join(this.dir, 'admin.kubeconfig');
  }

  /** `apiserverFlags`: more kube-apiserver flags; `@PKI@` in them is the control plane's pki directory. */
  async start(options: { apiserverFlags?: string[] } = {}): Promise<this> {
    this.dir = await mkdtemp(join(tmpdir(), 'staticlet-cp-'));
    await this.run('start', this.dir, { STATICLET_CP_APISERVER_FLAGS: (options.apiserverFlags ?? []).join(' ') });
    return this;
  }

  /** The cluster CA (it signs the API server's, the users' and, with the signer, the nodes' serving certificates). */
  get caFile(): string {
    return join(this.dir, 'pki/ca.crt');
  }

  /** kube-controller-manager with only the CSR signer, signing with the cluster CA for `duration` (`150s`). */
  async startSigner(duration: string): Promise<void> {
    await this.run('start-signer', this.dir, duration);
  }

  /** A kubeconfig for `system:node:<name>` (group system:nodes). */
  async nodeKubeconfig(nodeName: string): Promise<string> {
    return (await this.run('node-kubeconfig', this.dir, nodeName)).trim();
  }

  stopApiserver(): Promise<string> {
    return this.run('stop-apiserver', this.dir);
  }

  startApiserver(): Promise<string> {
    return this.run('start-apiserver', this.dir);
  }

  async stop(): Promise<void> {
    if (!this.dir) return;
    await this.run('stop', this.dir).catch(() => undefined);
    await rm(this.dir, { recursive: true, force: true });
  }

  /** kubectl as the cluster admin. */
  async kubectl(...args: string[]): Promise<string> {
    // The API server's /metrics is several MB.
    const { stdout } = await execFileP('kubectl', ['--kubeconfig', this.adminKubeconfig, ...args], {
      timeout: 60_000,
      maxBuffer: 64 << 20,
    });
    return stdout;
  }

  /** kubectl with some other kubeconfig (a node's); resolves with the exit code and output. */
  async kubectlAs(kubeconfig: string, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    try {
      const { stdout, stderr } = await execFileP('kubectl', ['--kubeconfig', kubeconfig, ...args], { timeout: 60_000 });
      return { code: 0, stdout, stderr };
    } catch (err) {
      const e = err as { code?: number; stdout?: string; stderr?: string };
      return { code: typeof e.code === 'number' ? e.code : 1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
    }
  }

  async getPodJson(namespace: string, name: string): Promise<KubePod | undefined> {
    try {
      return JSON.parse(await this.kubectl('get', 'pod', '-n', namespace, name, '-o', 'json')) as KubePod;
    } catch {
      return undefined;
    }
  }

  private async run(...args: (string | Record<string, string>)[]): Promise<string> {
    const env = { ...process.env, ...Object.assign({}, ...args.filter((a) => typeof a !== 'string')) };
    const argv = args.filter((a): a is string => typeof a === 'string');
    const { stdout } = await execFileP('bash', [script, ...argv], { timeout: 180_000, env });
    return stdout;
  }
}

/** The parts of a pod the tests read, as kubectl prints them. */
export interface KubePod {
  metadata: {
    name: string;
    namespace: string;
    uid: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    ownerReferences?: { kind: string; name: string; uid: string; controller?: boolean }[];
    creationTimestamp: string;
  };
  spec: { nodeName?: string };
  status: {
    phase?: string;
    podIP?: string;
    hostIP?: string;
    startTime?: string;
    conditions?: { type: string; status: string }[];
    containerStatuses?: {
      name: string;
      ready: boolean;
      restartCount: number;
      containerID?: string;
      state?: Record<string, unknown>;
    }[];
  };
}
