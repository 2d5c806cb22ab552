import path from 'node:path';
import type { VmRef } from '@switchover/model';
import { parseTaskLine, STARTING_MIGRATION, taskMessageStart } from '../decoders/index.js';
import { parseEntry } from '../records/journal-entry.js';
import { parseQmStarted, parseUpid, PVE_QEMU_IDENTIFIER, scopeVmid } from '../records/proxmox-lines.js';
import { vmFromCmdline } from '../records/qemu-cmdline.js';
import type { ProxmoxRecord, RawRecord } from '../records/types.js';
import type { FileInput } from './records.js';

/**
 * What `review` does for a Proxmox VE incident: the source's `qmigrate` task log as records, VM
 * names from the journal exports, and the one fact the target node's journal cannot tell: that the
 * migration completed. Live, the target agent sees the VM's config arrive under its node; offline
 * the source's task log says so (`migration status: completed`), and the config moves right after.
 */

/** The VMID a task log is about: its `starting migration of VM N` line, else its UPID file name. */
export function taskLogVmid(lines: readonly string[], file: string): string | undefined {
  for (const l of lines.slice(0, 50)) {
    const m = STARTING_MIGRATION.exec(l);
    if (m) return m[1];
  }
  const upid = parseUpid(path.basename(file));
  return upid?.type === 'qmigrate' ? upid.id : undefined;
}

/** The node a task log migrates to (`… to node 'X' (ip)`). */
function targetNode(lines: readonly string[]): string | undefined {
  for (const l of lines.slice(0, 50)) {
    const m = STARTING_MIGRATION.exec(l);
    if (m?.[2]) return m[2];
  }
  return undefined;
}

export function taskLogRecords(
  f: FileInput,
  timeZone: string,
  names: ReadonlyMap<string, string>,
): RawRecord[] {
  const vmid = taskLogVmid(f.lines, f.file);
  const vm: VmRef = vmid ? { name: names.get(vmid) ?? vmid, uuid: vmid } : { name: f.defaultVm };
  const out: RawRecord[] = [];
  f.lines.forEach((text, i) => {
    if (text === '') return;
    out.push({
      kind: 'proxmox',
      from: 'task-log',
      host: f.host,
      vm,
      arrival: 0,
      origin: { kind: 'proxmox-task', file: f.file, line: i + 1 },
      text,
      timeZone,
    });
  });
  return out;
}

/** VMID → Proxmox VM name, from QEMU's command line (`-name NAME,debug-threads=on`) in JSON exports. */
export function namesFromJournals(files: readonly FileInput[]): Map<string, string> {
  const names = new Map<string, string>();
  for (const f of files) {
    if (f.kind !== 'journald-json') continue;
    for (const line of f.lines) {
      if (!line.includes(`"${PVE_QEMU_IDENTIFIER}"`)) continue;
      const p = parseEntry(line, 'units');
      if (!p.ok || p.entry.identifier !== PVE_QEMU_IDENTIFIER) continue;
      const vmid = scopeVmid(p.entry.unit);
      const name = p.entry.cmdline ? vmFromCmdline(p.entry.cmdline)?.name : undefined;
      if (vmid && name && !names.has(vmid)) names.set(vmid, name);
    }
  }
  return names;
}

interface TaskMigration {
  vmid: string;
  vm: VmRef;
  host: string;
  target: string | undefined;
  start: number;
  /** The `migration status: completed` line, when there is one. */
  completed: ProxmoxRecord | null;
  completedAt: number | null;
  end: number;
}

function migrationsOf(records: readonly RawRecord[]): TaskMigration[] {
  const byFile = new Map<string, ProxmoxRecord[]>();
  for (const r of records) {
    if (r.kind !== 'proxmox' || r.from !== 'task-log') continue;
    const key = `${r.host}\0${r.origin.file ?? ''}`;
    let list = byFile.get(key);
    if (!list) byFile.set(key, (list = []));
    list.push(r);
  }
  const out: TaskMigration[] = [];
  for (const list of byFile.values()) {
    const first = list[0];
    const vmid = first?.vm?.uuid;
    if (!first || !vmid) continue;
    let start = Number.POSITIVE_INFINITY;
    let end = Number.NEGATIVE_INFINITY;
    let completed: ProxmoxRecord | null = null;
    let completedAt: number | null = null;
    for (const r of list) {
      const p = parseTaskLine(r.text, r.timeZone ?? 'UTC');
      if (p.time === null) continue;
      start = Math.min(start, p.time);
      end = Math.max(end, p.time);
      if (!completed && r.text.slice(taskMessageStart(r.text)) === 'migration status: completed') {
        completed = r;
        completedAt = p.time;
      }
    }
    if (!Number.isFinite(start)) continue;
    const target = targetNode(list.map((r) => r.text));
    out.push({ vmid, vm: first.vm as VmRef, host: first.host, target, start, completed, completedAt, end });
  }
  return out;
}

/**
 * Joins the hosts' records across what one node says about the other:
 * - a `qm` start of the VM on another host while its task log migrates it (plain-text exports carry
 *   no `--migratedfrom`) is that migration's incoming QEMU;
 * - the task log's `migration status: completed` is also the target's completion (a `config-moved`
 *   record on the target host: the host named like the task's target node, else the only other one).
 * `skewMs` is the clock difference allowed between the nodes.
 */
export function joinProxmoxHosts(byHost: Map<string, RawRecord[]>, skewMs: number): void {
  const all = [...byHost.values()].flat();
  const migrations = migrationsOf(all);
  if (migrations.length === 0) return;
  const hosts = [...byHost.keys()];
  for (const m of migrations) {
    const target =
      m.target && byHost.has(m.target)
        ? m.target
        : hosts.length === 2
          ? hosts.find((h) => h !== m.host)
          : undefined;
    if (target === undefined) continue;
    const records = byHost.get(target) as RawRecord[];
    let incomingAt = Number.NEGATIVE_INFINITY;
    for (const r of records) {
      if (r.kind !== 'proxmox' || r.from !== 'journal' || r.vm?.uuid !== m.vmid) continue;
      const t = r.transportTime ?? r.arrival;
      if (!parseQmStarted(r.text) || t < m.start - skewMs || t > (m.completedAt ?? m.end) + skewMs) continue;
      r.migratedFrom ??= m.host;
      incomingAt = Math.max(incomingAt, t);
    }
    // Only into a target QEMU of this migration: never a completion with nothing to complete.
    if (!m.completed || m.completedAt === null || !Number.isFinite(incomingAt)) continue;
    // The task log counts whole seconds: `completed` at 10:27:42 happened in [42.000, 43.000), and
    // never before the target QEMU it completed into had started.
    const at = Math.min(Math.max(m.completedAt, incomingAt + 1), m.completedAt + 999);
    records.push({
      kind: 'proxmox',
      from: 'config-moved',
      host: target,
      vm: m.vm,
      arrival: at,
      transportTime: at,
      origin: m.completed.origin,
      text: m.completed.text,
    });
  }
}
