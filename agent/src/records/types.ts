import type { Origin, VmRef } from '@switchover/model';

/**
 * What a source hands to the decoders: one raw record with its host, origin and arrival time.
 * Sources attribute every record to a VM when they can (by QMP socket, by log file, by journald
 * `_PID`/`_CMDLINE`); `vm` is undefined only when nothing tells.
 */
interface RawBase {
  host: string;
  vm?: VmRef;
  /** Agent receive time, epoch ms. */
  arrival: number;
  origin: Origin;
}

/** A QMP event object as QEMU sent it (`{event, data, timestamp}`). */
export interface QmpEventRecord extends RawBase {
  kind: 'qmp-event';
  event: {
    event: string;
    data?: Record<string, unknown>;
    timestamp?: { seconds: number; microseconds: number };
  };
}

/**
 * Not a QMP command: the QMP source's `qom-list`/`qom-get` walk over vfio-pci devices, reported as one
 * reply `{qomId: hostAddress}` so the decoder can name devices by host address.
 */
export const VFIO_DEVICES_COMMAND = 'vfio-devices';

/** The reply to one of the read-only queries the agent issues (or `VFIO_DEVICES_COMMAND`). */
export interface QmpReplyRecord extends RawBase {
  kind: 'qmp-reply';
  command: string;
  result: unknown;
}

/** One line of QEMU's stderr / log (trace line, error_report line, libvirt's own line). */
export interface LogLineRecord extends RawBase {
  kind: 'log-line';
  text: string;
  /** A time the transport attached (journald `__REALTIME_TIMESTAMP`), epoch ms. */
  transportTime?: number;
  /** Offline only: timestamped neighbours of the line in the same file, epoch ms (null = none). */
  neighbours?: { before: number | null; after: number | null };
  /**
   * The QEMU binary's name when the source knows the line is QEMU's and the name is not `qemu*`
   * (Proxmox VE: `kvm`, so `kvm: …` is QEMU's prefix; the kernel's kvm module prints `kvm: …` too).
   */
  qemuProgram?: string;
}

/** One line of `virsh qemu-monitor-event --loop [--timestamp]` output. */
export interface VirshLineRecord extends RawBase {
  kind: 'virsh-line';
  text: string;
}

/**
 * What a Proxmox VE node says about a migration outside QEMU's own lines:
 * - `task-log`: one line of a `qmigrate` task log (source node), `YYYY-MM-DD HH:MM:SS msg` in the
 *   node's local time, hence `timeZone` (IANA name or `±HH:MM`) to read it;
 * - `journal`: a line of `qm` (`VM N started with PID …`), `qmeventd` (`Starting cleanup for N`) or
 *   the service manager about `<VMID>.scope` (`messageId`), timed by the journal (`transportTime`);
 *   `migratedFrom` is the node named by `--migratedfrom` on the logging `qm` command line;
 * - `config-moved`: the VM's config appeared under this node (`/etc/pve/qemu-server/<VMID>.conf`):
 *   the source moves it only after QEMU reported `completed`, just before it resumes the target.
 */
export interface ProxmoxRecord extends RawBase {
  kind: 'proxmox';
  from: 'task-log' | 'journal' | 'config-moved';
  text: string;
  timeZone?: string;
  transportTime?: number;
  identifier?: string;
  messageId?: string;
  migratedFrom?: string;
}

export type RawRecord = QmpEventRecord | QmpReplyRecord | LogLineRecord | VirshLineRecord | ProxmoxRecord;
