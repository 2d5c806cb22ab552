import type { SideOutcome, Verdict } from '@switchover/model';
import type { DomainSpec } from '../domain-xml.js';
import type { EventWatcher } from '../events.js';
import type { LibvirtHost } from '../host.js';

/** The two harness hosts, as scenarios name them: `a` (hv-a) and `b` (hv-b). */
export type HostKey = 'a' | 'b';

/** What really happened to one migration, and the verdict Switchover should give for it. */
export interface ExpectedMigration {
  vm: string;
  vmUuid: string;
  mode: 'p2p' | 'direct';
  source: string;
  destination: string;
  /** Each side's outcome in Switchover's vocabulary (what that host itself saw). */
  outcome: { source: SideOutcome; destination: SideOutcome };
  /** Devices that failed on the destination (the simulated VFIO line's device). */
  failedDevices: string[];
  /** The destination QEMU process died (killed, crashed or aborted) during or after this migration. */
  destinationQemuDied: boolean;
  /** libvirt restarted the source's vCPUs after the migration failed (the VM went on running there). */
  sourceResumed: boolean;
  /** With both hosts' domain logs and virsh event files, and with the domain logs alone. */
  verdict: { bothInputs: Verdict; logsOnly: Verdict };
  note?: string;
}

/** Something that looks like a migration in the files but is not one (`virsh save` / `restore`). */
export interface NotAMigration {
  vm: string;
  host: string;
  what: string;
}

/** Lines a file must contain in this order (each on a later line than the one before), and never. */
export interface Shape {
  inOrder: string[];
  absent?: string[];
}

/** Lines the harness appended to a real domain log (the VFIO failure), and why. */
export interface SimulatedLines {
  host: string;
  file: string;
  lines: string[];
  why: string;
}

/** `expected.json` of one captured scenario. */
export interface ScenarioExpectation {
  scenario: string;
  about: string;
  /** Versions from the domain logs' `starting up` headers. */
  captured: { libvirt: string; qemu: string };
  /** Every file of the folder as `[host, file]` (both inputs). */
  files: Array<[string, string]>;
  /** The domain logs only. */
  logsOnly: Array<[string, string]>;
  migrations: ExpectedMigration[];
  notMigrations: NotAMigration[];
  /** Where each VM runs once the scenario is over (`virsh domstate`), null: nowhere. */
  vmRunsOn: Record<string, string | null>;
  simulated: SimulatedLines[];
  /**
   * Per file, lines it must hold (each shape on its own, e.g. one per VM of a shared events file).
   * Domain logs match raw lines; event files match after the
   * `--timestamp` prefix and the ` at SEC.USEC` part are removed, so one shape fits both forms.
   */
  shape: Record<string, Shape[]>;
}

/** What a scenario's `run` gets: the hosts, their event watchers, and the one way to simulate a line. */
export interface ScenarioContext {
  readonly a: LibvirtHost;
  readonly b: LibvirtHost;
  host(k: HostKey): LibvirtHost;
  /** The `--timestamp` watcher of a host (started before `run`, stopped after it). */
  events(k: HostKey): EventWatcher;
  /** Append lines to the real domain log of `vm` on a host, and record them as simulated. */
  simulate(k: HostKey, vm: string, lines: string[], why: string): void;
  log(message: string): void;
}

type Keyed<T> = Omit<T, 'source' | 'destination'> & { source: HostKey; destination: HostKey };

/** One scenario of issue 8 §1, run for real on the two hosts. */
export interface Scenario {
  /** The fixture folder name. */
  name: string;
  about: string;
  vms: Array<DomainSpec & { startOn: HostKey }>;
  /** Also watch both hosts without `--timestamp` (QEMU's own event time). */
  qemuTimeEvents?: boolean;
  run(ctx: ScenarioContext): Promise<void>;
  migrations: Array<Keyed<ExpectedMigration>>;
  notMigrations?: Array<Omit<NotAMigration, 'host'> & { host: HostKey }>;
  vmRunsOn: Record<string, HostKey | null>;
  shape: Array<{ host: HostKey; vm?: string; file: 'log' | 'events' | 'events-qemu-time' } & Shape>;
}
