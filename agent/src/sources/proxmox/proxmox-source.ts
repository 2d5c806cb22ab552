import { ERROR_TYPES, INPUTS, STAGES, type VmRef } from '@switchover/model';
import type { BackoffPolicy } from '../../lib/backoff.js';
import { systemClock, type Clock } from '../../lib/clock.js';
import { createLogger, type Logger } from '../../lib/log.js';
import { ProxmoxJournalRecords } from '../../records/proxmox-journal-records.js';
import { parseQmStarted, PVE_QEMU_IDENTIFIER } from '../../records/proxmox-lines.js';
import type { ProxmoxRecord, RawRecord } from '../../records/types.js';
import type { SpawnFn } from '../child-process.js';
import { JournaldSource } from '../journald/journald-source.js';
import type { Source, SourceCallbacks } from '../types.js';
import { TaskLogSource } from './task-log-source.js';
import { VmConfigs, nodeFs, type PveFs } from './vm-configs.js';

/**
 * What a Proxmox node's journal says about its VMs: QEMU's stderr (pve-qemu's identifier `QEMU`),
 * `qm` (`VM N started with PID …`), qmeventd (`Starting cleanup for N`), and the service manager's
 * end of a unit (its catalog ids; among them the VMs' `<VMID>.scope`). journalctl ORs repeated
 * fields and ANDs different ones; `+` separates the groups.
 */
export const PROXMOX_JOURNAL_MATCHES: readonly string[] = [
  `SYSLOG_IDENTIFIER=${PVE_QEMU_IDENTIFIER}`,
  'SYSLOG_IDENTIFIER=qm',
  'SYSLOG_IDENTIFIER=qmeventd',
  '+',
  '_PID=1',
  'MESSAGE_ID=7ad2d189f7e94e70a38c781354912448',
  'MESSAGE_ID=d9b373ed55a64feb8242e02dbe79a49c',
];

export interface ProxmoxSourceConfig {
  host: string;
  stateDir: string;
  /** The node's zone, for the task logs' local times. */
  timeZone: string;
  /** `qmigrate` task logs (config default `/var/log/pve/tasks`). */
  tasksDir: string;
  /** VM configs (config default `/etc/pve`): names; a config arriving under this node ends an incoming migration. */
  pveDir: string;
  /** Journal files elsewhere (`--directory`) or a journald namespace; default the system journal. */
  directory?: string;
  namespace?: string;
  startAt?: 'now' | 'all';
  journalctl?: string;
  /** Task logs and configs are polled this often. Default 1000 ms. */
  pollIntervalMs?: number;
  /** An incoming VM's config is awaited this long after its QEMU started. Default 600 s. */
  configWaitMs?: number;
}

export interface ProxmoxSourceDeps {
  spawn?: SpawnFn;
  clock?: Clock;
  logger?: Logger;
  backoff?: Partial<BackoffPolicy>;
  fs?: PveFs;
  onLag?: (seconds: number) => void;
}

/**
 * The agent on a Proxmox VE node: the journal (target and source: QEMU's lines, the VM process's
 * start and end), the `qmigrate` task logs (source: the migration's start, QEMU's status as
 * polled, the end), and on a target the VM's config arriving under this node (the migration
 * completed). Proxmox's QMP socket is never opened: it is qemu-server's, one client at a time.
 */
export class ProxmoxSource implements Source {
  readonly name: string;
  private readonly journal: JournaldSource;
  private readonly tasks: TaskLogSource;
  private readonly configs: VmConfigs;
  private readonly clock: Clock;
  /** Incoming VMs whose config has not reached this node yet: VMID → VM and since when. */
  private readonly awaiting = new Map<string, { vm: VmRef; since: number }>();
  private timer: NodeJS.Timeout | null = null;
  private polling: Promise<void> | null = null;
  private configFailing = false;

  constructor(
    private readonly config: ProxmoxSourceConfig,
    private readonly callbacks: SourceCallbacks,
    deps: ProxmoxSourceDeps = {},
  ) {
    this.clock = deps.clock ?? systemClock;
    const logger = deps.logger ?? createLogger();
    this.configs = new VmConfigs(config.pveDir, deps.fs ?? nodeFs, (err) => {
      if (this.configFailing) return;
      this.configFailing = true;
      callbacks.error(STAGES.proxmoxConfig, ERROR_TYPES.proxmoxConfig.read, err);
    });
    const names = (vmid: string) => this.configs.name(vmid);
    const record = (r: RawRecord) => this.onRecord(r);
    const wrapped: SourceCallbacks = { ...callbacks, record };
    this.journal = new JournaldSource(
      {
        host: config.host,
        stateDir: config.stateDir,
        input: INPUTS.proxmoxJournal,
        matches: [...PROXMOX_JOURNAL_MATCHES],
        startAt: config.startAt ?? 'now',
        ...(config.directory ? { directory: config.directory } : {}),
        ...(config.namespace ? { namespace: config.namespace } : {}),
        ...(config.journalctl ? { journalctl: config.journalctl } : {}),
      },
      wrapped,
      {
        ...(deps.spawn ? { spawn: deps.spawn } : {}),
        ...(deps.backoff ? { backoff: deps.backoff } : {}),
        ...(deps.onLag ? { onLag: deps.onLag } : {}),
        clock: this.clock,
        logger: logger.child({ input: INPUTS.proxmoxJournal }),
        records: () => new ProxmoxJournalRecords({ host: config.host, names }),
        entryFields: 'units',
      },
    );
    this.tasks = new TaskLogSource(
      {
        host: config.host,
        stateDir: config.stateDir,
        timeZone: config.timeZone,
        tasksDir: config.tasksDir,
        ...(config.pollIntervalMs ? { pollIntervalMs: config.pollIntervalMs } : {}),
      },
      callbacks,
      { clock: this.clock, logger: logger.child({ input: INPUTS.proxmoxTasks }), names },
    );
    this.name = `proxmox:${this.journal.name},${this.tasks.name}`;
  }

  async start(): Promise<void> {
    await this.tasks.start();
    await this.journal.start();
    this.schedule();
  }

  async stop(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.polling;
    // Each part stops whatever the other did.
    try {
      await this.journal.stop();
    } finally {
      await this.tasks.stop();
    }
  }

  private async onRecord(r: RawRecord): Promise<void> {
    const vmid = r.kind === 'proxmox' && r.from === 'journal' ? r.vm?.uuid : undefined;
    const started = vmid !== undefined && parseQmStarted((r as ProxmoxRecord).text) !== null;
    if (vmid !== undefined && !started) {
      // The VM's QEMU is gone. What the other inputs wrote before that must come first: the source's
      // task log (`completed` precedes the source VM's stop), the target's config move.
      await this.tasks.flush(vmid);
      if (this.awaiting.has(vmid)) await this.pollConfigs([vmid]);
    }
    await this.callbacks.record(r);
    if (vmid === undefined || r.kind !== 'proxmox') return;
    if (started) {
      this.awaiting.delete(vmid);
      if (r.migratedFrom === undefined) return;
      this.awaiting.set(vmid, { vm: r.vm ?? { name: vmid, uuid: vmid }, since: this.clock.now() });
      // The journal may be read later than it was written: the config can have moved already.
      await this.pollConfigs([vmid]);
    } else {
      // The VM's process ended (qmeventd's cleanup, the scope's end): nothing to wait for.
      this.awaiting.delete(vmid);
    }
  }

  private schedule(): void {
    this.timer = setTimeout(() => {
      this.polling = this.pollConfigs().finally(() => {
        this.polling = null;
        if (this.timer) this.schedule();
      });
    }, this.config.pollIntervalMs ?? 1000);
  }

  /** Incoming VMs whose config arrived under this node: the source saw QEMU complete. */
  private async pollConfigs(only?: readonly string[]): Promise<void> {
    const waitMs = this.config.configWaitMs ?? 600_000;
    for (const [vmid, w] of [...this.awaiting]) {
      if (only && !only.includes(vmid)) continue;
      if (this.clock.now() - w.since > waitMs) {
        this.awaiting.delete(vmid);
        continue;
      }
      if (!(await this.configs.ownedHere(vmid))) continue;
      // Polled from two places (the timer, a journal line): only one of them reports the move.
      if (this.awaiting.get(vmid) !== w) continue;
      this.awaiting.delete(vmid);
      const file = this.configs.localFile(vmid);
      const r: ProxmoxRecord = {
        kind: 'proxmox',
        from: 'config-moved',
        host: this.config.host,
        vm: w.vm,
        arrival: this.clock.now(),
        origin: { kind: 'proxmox-config', file },
        text: `${file}: the VM's config moved to this node`,
      };
      try {
        await this.callbacks.record(r);
      } catch (err) {
        this.callbacks.error(STAGES.proxmoxConfig, ERROR_TYPES.proxmoxConfig.record, err);
      }
    }
  }
}
