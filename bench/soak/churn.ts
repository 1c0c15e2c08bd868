// The soak's churn: one change every few seconds among a hundred pods, as a node sees them over
// days, sped up. Edits (a new revision: the old pod stopped, the new one started), deletes and
// re-adds, containers stopped from outside with crictl, invalid edits (the last valid revision
// must keep running, then the file is made valid again), and a few pods that crash-loop all along.
import { busyboxPod } from '../lib/env.js';
import type { Agent, Crictl, PodFile } from '../faults/world.js';
import { randomInt } from '../faults/world.js';

export type ChurnKind = 'edit' | 'delete' | 're-add' | 'crictl-stop' | 'invalid-edit' | 'repair';

interface PodState {
  name: string;
  version: number;
  crashLoop: boolean;
  podNetwork: boolean;
  /** Removed by a delete, to be added again. */
  absent: boolean;
  /** Invalid on disk since (ms); repaired after INVALID_FOR_MS. */
  invalidSince?: number;
}

const INVALID_FOR_MS = 15_000;
const ABSENT_FOR_MS = 5_000;

function text(p: PodState): string {
  const script = p.crashLoop ? `: v${p.version}; sleep 3; exit 1` : `: v${p.version}; sleep 3600`;
  return busyboxPod(p.name, { hostNetwork: !p.podNetwork, script });
}

/** Invalid edits of several kinds: broken YAML, an invalid name, a second container of the same name. */
function invalidText(p: PodState, k: number): string {
  const good = text(p);
  switch (k % 3) {
    case 0:
      return `${good}\n  this: [is not: yaml\n`;
    case 1:
      return good.replace(`name: ${p.name}`, `name: Not_A_DNS_Name`);
    default:
      return good.replace('  containers:\n', '  containers:\n    - name: main\n      image: x\n');
  }
}

export class Churn {
  readonly counts = new Map<ChurnKind, number>();
  private readonly pods: PodState[];
  private readonly absentSince = new Map<string, number>();
  private invalidEdits = 0;

  constructor(
    private readonly agent: Agent,
    private readonly crictl: Crictl,
    n: number,
  ) {
    const crashers = Math.max(1, Math.round(n / 20));
    this.pods = Array.from({ length: n }, (_, i) => ({
      name: `soak${i}`,
      version: 0,
      crashLoop: i < crashers,
      podNetwork: i % 10 === 9,
      absent: false,
    }));
  }

  private file(p: PodState): PodFile {
    return { name: p.name, file: `${p.name}.yaml`, text: text(p), podNetwork: p.podNetwork, crashLoop: p.crashLoop };
  }

  /** Every pod, valid and present: what the node converges to once the churn stops. */
  get files(): PodFile[] {
    return this.pods.map((p) => this.file(p));
  }

  async writeAll(): Promise<void> {
    await this.agent.write(this.files);
  }

  private count(kind: ChurnKind): void {
    this.counts.set(kind, (this.counts.get(kind) ?? 0) + 1);
  }

  /** One step: due repairs and re-adds first, then one random change. */
  async step(now: number): Promise<void> {
    for (const p of this.pods) {
      if (p.invalidSince !== undefined && now - p.invalidSince > INVALID_FOR_MS) {
        p.invalidSince = undefined;
        await this.agent.write([this.file(p)]);
        this.count('repair');
      }
      if (p.absent && now - (this.absentSince.get(p.name) ?? 0) > ABSENT_FOR_MS) {
        p.absent = false;
        await this.agent.write([this.file(p)]);
        this.count('re-add');
      }
    }
    const steady = this.pods.filter((p) => !p.absent && p.invalidSince === undefined && !p.crashLoop);
    const p = steady[randomInt(0, steady.length - 1)];
    if (!p) return;
    const roll = randomInt(1, 100);
    if (roll <= 35) {
      p.version++;
      await this.agent.write([this.file(p)]);
      this.count('edit');
    } else if (roll <= 55) {
      p.absent = true;
      this.absentSince.set(p.name, now);
      await this.agent.remove([`${p.name}.yaml`]);
      this.count('delete');
    } else if (roll <= 85) {
      const full = this.agent.full(p.name);
      const c = (await this.crictl.containers()).find(
        (x) => x.state === 'CONTAINER_RUNNING' && x.labels?.['io.kubernetes.pod.name'] === full,
      );
      if (c) await this.crictl.run('stop', '--timeout', '0', c.id).catch(() => undefined);
      this.count('crictl-stop');
    } else {
      p.invalidSince = now;
      await this.agent.write([{ file: `${p.name}.yaml`, text: invalidText(p, this.invalidEdits++) }]);
      this.count('invalid-edit');
    }
  }

  /** Ends the churn: every file valid and present again. */
  async settle(): Promise<void> {
    for (const p of this.pods) {
      p.absent = false;
      p.invalidSince = undefined;
    }
    await this.writeAll();
  }
}
