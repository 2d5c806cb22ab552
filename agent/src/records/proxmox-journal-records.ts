import type { Origin, VmRef } from '@switchover/model';
import type { JournalEntry } from './journal-entry.js';
import type { JournalRecords } from './journal-records.js';
import {
  UNIT_ENDED_IDS,
  migratedFrom,
  parseCleanup,
  parseQmStarted,
  parseUnitEndedText,
  scopeVmid,
} from './proxmox-lines.js';
import { vmFromCmdline } from './qemu-cmdline.js';
import type { LogLineRecord, ProxmoxRecord, RawRecord } from './types.js';

/** The Proxmox VM name of a VMID (live: its config file; offline: what the files said). */
export type VmNameLookup = (vmid: string) => string | undefined | Promise<string | undefined>;

export interface ProxmoxJournalRecordsOptions {
  host: string;
  names?: VmNameLookup;
  /** The VM of QEMU lines that name none (a plain-text export of one VM's unit). */
  fallbackVm?: VmRef;
  /** `review`: the file the entries come from, for evidence. */
  file?: string;
  /** Entries that are not Proxmox's own (QEMU run some other way) take the ordinary step. */
  other?: JournalRecords;
  /** Bound of the (boot, pid) → VMID and VMID → name memories. Default 4096. */
  max?: number;
}

/** pve-qemu sends QEMU's stderr to the journal under this identifier once daemonized. */
const QEMU_IDENTIFIER = 'QEMU';
/** qemu-server runs `/usr/bin/kvm`: QEMU's own prefix on a node is `kvm: `. */
const KVM = 'kvm';

/**
 * One journal entry of a Proxmox VE node → records, live and offline:
 * - QEMU's stderr (`SYSLOG_IDENTIFIER=QEMU`, pve-qemu's `sd_journal_stream_fd("QEMU", …)`) becomes
 *   `log-line` records of the VM whose `_SYSTEMD_UNIT` is `<VMID>.scope`; when journald could not
 *   tell the unit (the process had exited, a plain-text export), the QEMU pid that `qm` announced;
 * - `qm`'s `VM N started with PID P …`, qmeventd's `Starting cleanup for N` and the service manager's
 *   end of `<VMID>.scope` become `proxmox` records (process start and stop);
 * - the VM is `{ name: its Proxmox name, uuid: VMID }`: the name from `names`, else QEMU's `-name`,
 *   else the VMID itself, and kept per VMID so one VM is one correlator key on this host.
 */
export class ProxmoxJournalRecords {
  private readonly pidVmid = new Map<string, string>();
  private readonly vmNames = new Map<string, string>();
  private lastRealtimeMs: number | undefined;

  constructor(private readonly o: ProxmoxJournalRecordsOptions) {}

  async records(e: JournalEntry, at: { arrival?: number; line?: number } = {}): Promise<RawRecord[]> {
    const rt = e.realtimeMs;
    if (rt !== undefined && (this.lastRealtimeMs === undefined || rt > this.lastRealtimeMs))
      this.lastRealtimeMs = rt;
    const lines = e.lines;
    if (!lines || lines.length === 0) return [];
    const arrival = at.arrival ?? this.lastRealtimeMs ?? 0;
    const origin: Origin =
      this.o.file === undefined
        ? { kind: 'journald' }
        : { kind: 'journald', file: this.o.file, ...(at.line !== undefined ? { line: at.line } : {}) };
    const base = { host: this.o.host, arrival, origin };
    const id = e.identifier;
    if (id === QEMU_IDENTIFIER) {
      const vmid = scopeVmid(e.unit) ?? this.knownPid(e);
      if (vmid !== undefined && e.pid !== undefined) this.remember(this.pidKey(e), vmid);
      const vm = vmid !== undefined ? await this.vmOf(vmid, e.cmdline) : this.o.fallbackVm;
      return lines.map((text) => {
        const r: LogLineRecord = { kind: 'log-line', ...base, vm, text, qemuProgram: KVM };
        if (rt !== undefined) r.transportTime = rt;
        return r;
      });
    }
    const out: RawRecord[] = [];
    for (const text of lines) {
      const r = await this.lifecycle(e, text, base);
      if (r) out.push(r);
    }
    if (out.length > 0 || !this.o.other) return out;
    return this.o.other.records(e, at);
  }

  private async lifecycle(
    e: JournalEntry,
    text: string,
    base: { host: string; arrival: number; origin: Origin },
  ): Promise<ProxmoxRecord | null> {
    const record = (vm: VmRef, extra: Partial<ProxmoxRecord> = {}): ProxmoxRecord => {
      const r: ProxmoxRecord = { kind: 'proxmox', from: 'journal', ...base, vm, text, ...extra };
      if (e.realtimeMs !== undefined) r.transportTime = e.realtimeMs;
      if (e.identifier !== undefined) r.identifier = e.identifier;
      return r;
    };
    const started = parseQmStarted(text);
    if (started) {
      // A new process: its name is read again (the VM may have been renamed since the last start).
      this.vmNames.delete(started.vmid);
      this.remember(`${e.bootId ?? ''}:${started.pid}`, started.vmid);
      const from = migratedFrom(e.cmdline);
      return record(await this.vmOf(started.vmid, undefined), from ? { migratedFrom: from } : {});
    }
    const cleanup = parseCleanup(text);
    if (cleanup) return record(await this.vmOf(cleanup, undefined));
    if (e.identifier === 'systemd') {
      const ended =
        e.messageId !== undefined && UNIT_ENDED_IDS.has(e.messageId)
          ? { unit: e.aboutUnit, messageId: e.messageId }
          : e.messageId === undefined
            ? parseUnitEndedText(text)
            : null;
      const vmid = scopeVmid(ended?.unit);
      if (ended && vmid !== undefined)
        return record(await this.vmOf(vmid, undefined), { messageId: ended.messageId });
    }
    return null;
  }

  private pidKey(e: JournalEntry): string {
    return `${e.bootId ?? ''}:${e.pid ?? ''}`;
  }

  private knownPid(e: JournalEntry): string | undefined {
    return e.pid === undefined ? undefined : this.pidVmid.get(this.pidKey(e));
  }

  private async vmOf(vmid: string, cmdline: string | undefined): Promise<VmRef> {
    let name = this.vmNames.get(vmid);
    if (name === undefined) {
      name = (await this.o.names?.(vmid)) ?? (cmdline ? vmFromCmdline(cmdline)?.name : undefined) ?? vmid;
      // Whatever was answered first stays until the next start: one VM, one key in the correlator.
      this.bounded(this.vmNames, vmid, name);
    }
    return { name, uuid: vmid };
  }

  private remember(key: string, vmid: string): void {
    this.bounded(this.pidVmid, key, vmid);
  }

  private bounded(map: Map<string, string>, key: string, value: string): void {
    map.delete(key);
    map.set(key, value);
    if (map.size > (this.o.max ?? 4096)) map.delete(map.keys().next().value as string);
  }
}
