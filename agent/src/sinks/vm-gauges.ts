import { Gauge, type Registry } from 'prom-client';
import { LABELS, METRICS, type Role } from '@switchover/model';

/** The end of a session as its series shows it. */
export interface EndSample {
  seconds: number;
  outcome: string;
  verdict: string;
}

/**
 * The three per-VM gauges and their label sets, defined once. `collect` runs before every scrape
 * (prom-client calls it per metric): the owner expires series there.
 */
export class VmGauges {
  private readonly start: Gauge;
  private readonly end: Gauge;
  private readonly peer: Gauge;

  constructor(registry: Registry, collect: () => void) {
    const registers = [registry];
    const { vm, role, outcome, verdict, peer } = LABELS;
    this.start = new Gauge({
      name: METRICS.vmSessionStart,
      help: "Start (Unix seconds, this host's clock) of the latest migration session of each recent VM, by role.",
      labelNames: [vm, role],
      registers,
      collect,
    });
    this.end = new Gauge({
      name: METRICS.vmSessionEnd,
      help: "End (Unix seconds, this host's clock) of the latest ended migration session of each recent VM, by role, side outcome and this host's verdict.",
      labelNames: [vm, role, outcome, verdict],
      registers,
      collect,
    });
    this.peer = new Gauge({
      name: METRICS.vmPeerInfo,
      help: "The other host of each recent VM's latest migration, as this host's logs named it (source: the migration URI's host, or the target node of a Proxmox task log); only when known. Always 1.",
      labelNames: [vm, role, peer],
      registers,
      collect,
    });
  }

  setStart(vm: string, role: Role, seconds: number): void {
    this.start.set({ [LABELS.vm]: vm, [LABELS.role]: role }, seconds);
  }

  /** Replaces the end series (its labels change with the outcome and verdict). */
  setEnd(vm: string, role: Role, previous: EndSample | null, next: EndSample): void {
    if (previous && (previous.outcome !== next.outcome || previous.verdict !== next.verdict))
      this.end.remove(this.endLabels(vm, role, previous));
    this.end.set(this.endLabels(vm, role, next), next.seconds);
  }

  /** Replaces the peer series; null shows none. */
  setPeer(vm: string, role: Role, previous: string | null, next: string | null): void {
    if (previous === next) return;
    if (previous !== null)
      this.peer.remove({ [LABELS.vm]: vm, [LABELS.role]: role, [LABELS.peer]: previous });
    if (next !== null) this.peer.set({ [LABELS.vm]: vm, [LABELS.role]: role, [LABELS.peer]: next }, 1);
  }

  removeAll(vm: string, role: Role, end: EndSample | null, peer: string | null): void {
    this.start.remove({ [LABELS.vm]: vm, [LABELS.role]: role });
    if (end) this.end.remove(this.endLabels(vm, role, end));
    this.setPeer(vm, role, peer, null);
  }

  private endLabels(vm: string, role: Role, e: EndSample) {
    return { [LABELS.vm]: vm, [LABELS.role]: role, [LABELS.outcome]: e.outcome, [LABELS.verdict]: e.verdict };
  }
}
