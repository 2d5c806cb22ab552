import type { VmRef } from '@switchover/model';
import type { JournalEntry } from './journal-entry.js';
import {
  EntryStamps,
  logLineRecord,
  type EntryAt,
  type EntryStamp,
  type JournalRecords,
} from './journal-records.js';
import {
  UNIT_ENDED_IDS,
  migratedFrom,
  parseCleanup,
  parseQmStarted,
  parseUnitEndedText,
  PVE_QEMU_IDENTIFIER,
  scopeVmid,
} from './proxmox-lines.js';
import { vmFromCmdline } from './qemu-cmdline.js';
import type { ProxmoxRecord, RawRecord } from './types.js';

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
  private readonly stamps: EntryStamps;

  constructor(private readonly o: ProxmoxJournalRecordsOptions) {
    this.stamps = new EntryStamps(o.file);
  }

  async records(e: JournalEntry, at: EntryAt = {}): Promise<RawRecord[]> {
    const s = this.stamps.stamp(e, at);
    const lines = e.lines;
    if (!lines || lines.length === 0) return [];
    if (e.identifier === PVE_QEMU_IDENTIFIER) {
      const vmid = scopeVmid(e.unit) ?? this.knownPid(e);
      if (vmid !== undefined && e.pid !== undefined) this.remember(this.pidKey(e), vmid);
      const vm = vmid !== undefined ? await this.vmOf(vmid, e.cmdline) : this.o.fallbackVm;
      return lines.map((text) => ({ ...logLineRecord(this.o.host, vm, s, text), qemuProgram: KVM }));
    }
    const out: RawRecord[] = [];
    for (const text of lines) {
      const r = await this.lifecycle(e, text, s);
      if (r) out.push(r);
    }
    if (out.length > 0 || !this.o.other) return out;
    return this.o.other.stamped(e, s);
  }

  private async lifecycle(e: JournalEntry, text: string, s: EntryStamp): Promise<ProxmoxRecord | null> {
    const record = (vm: VmRef, extra: Partial<ProxmoxRecord> = {}): ProxmoxRecord => {
      const base = { host: this.o.host, arrival: s.arrival, origin: s.origin };
      const r: ProxmoxRecord = { kind: 'proxmox', from: 'journal', ...base, vm, text, ...extra };
      if (s.transportTime !== undefined) r.transportTime = s.transportTime;
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
