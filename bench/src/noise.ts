import type { ExportEntry } from '@switchover/testbed';

/**
 * Host noise for the generated journal: what a hypervisor's journal is mostly made of (sshd, the
 * kernel, cron, systemd, libvirtd, an exporter's access log). Shapes and fields follow real systemd
 * 252 entries; a few messages start with digits (access logs, logfmt timestamps) so the decoders'
 * digit-first path is exercised too, and rare ones are multi-line or not UTF-8.
 */

export type Rng = () => number;

/** mulberry32: small, fast and reproducible (the same seed gives the same journal). */
export function seededRng(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const int = (rng: Rng, n: number): number => Math.floor(rng() * n);
const ip = (rng: Rng): string => `10.${int(rng, 4)}.${int(rng, 256)}.${1 + int(rng, 254)}`;
const hex = (rng: Rng, n: number): string => {
  let s = '';
  for (let i = 0; i < n; i++) s += '0123456789abcdef'[int(rng, 16)];
  return s;
};

export interface HostFields {
  bootId: string;
  machineId: string;
  hostname: string;
}

/** The fields every entry carries, in journald's order. */
export function baseFields(h: HostFields, realtimeUs: number, monoBaseUs: number): [string, string][] {
  return [
    ['__REALTIME_TIMESTAMP', String(realtimeUs)],
    ['__MONOTONIC_TIMESTAMP', String(realtimeUs - monoBaseUs)],
    ['_BOOT_ID', h.bootId],
    ['_MACHINE_ID', h.machineId],
    ['_HOSTNAME', h.hostname],
  ];
}

type Fields = [string, string | Buffer][];

function sshd(rng: Rng): Fields {
  const pid = String(3000 + int(rng, 60000));
  const port = String(30000 + int(rng, 30000));
  const msgs = [
    `Accepted publickey for root from ${ip(rng)} port ${port} ssh2: ED25519 SHA256:${hex(rng, 43)}`,
    'pam_unix(sshd:session): session opened for user root(uid=0) by (uid=0)',
    `Received disconnect from ${ip(rng)} port ${port}:11: disconnected by user`,
    `Disconnected from user root ${ip(rng)} port ${port}`,
    'pam_unix(sshd:session): session closed for user root',
    `Connection closed by authenticating user nagios ${ip(rng)} port ${port} [preauth]`,
  ];
  return [
    ['_TRANSPORT', 'syslog'],
    ['PRIORITY', '6'],
    ['SYSLOG_FACILITY', '4'],
    ['SYSLOG_IDENTIFIER', 'sshd'],
    ['SYSLOG_PID', pid],
    ['_PID', pid],
    ['_UID', '0'],
    ['_GID', '0'],
    ['_COMM', 'sshd'],
    ['_EXE', '/usr/sbin/sshd'],
    ['_CMDLINE', 'sshd: root [priv]'],
    ['_CAP_EFFECTIVE', '1ffffffffff'],
    ['_SYSTEMD_CGROUP', '/system.slice/ssh.service'],
    ['_SYSTEMD_UNIT', 'ssh.service'],
    ['_SYSTEMD_SLICE', 'system.slice'],
    ['MESSAGE', msgs[int(rng, msgs.length)]!],
  ];
}

function kernel(rng: Rng): Fields {
  const vnet = int(rng, 64);
  const msgs = [
    `br0: port ${2 + int(rng, 30)}(vnet${vnet}) entered forwarding state`,
    `br0: port ${2 + int(rng, 30)}(vnet${vnet}) entered disabled state`,
    `device vnet${vnet} entered promiscuous mode`,
    `kvm: vcpu ${int(rng, 32)}: requested ${1000 + int(rng, 200000)} ns lapic timer period limited to 200000 ns`,
    `vfio-pci 0000:3b:00.${int(rng, 8)}: enabling device (0000 -> 0002)`,
    `EXT4-fs (dm-${int(rng, 4)}): mounted filesystem with ordered data mode. Quota mode: none.`,
    `nf_conntrack: default automatic helper assignment has been turned off for security reasons`,
  ];
  return [
    ['_TRANSPORT', 'kernel'],
    ['PRIORITY', String(4 + int(rng, 3))],
    ['SYSLOG_FACILITY', '0'],
    ['SYSLOG_IDENTIFIER', 'kernel'],
    ['_SOURCE_MONOTONIC_TIMESTAMP', String(1_000_000 + int(rng, 1e9))],
    ['MESSAGE', msgs[int(rng, msgs.length)]!],
  ];
}

function cron(rng: Rng): Fields {
  const pid = String(3000 + int(rng, 60000));
  const msgs = [
    '(root) CMD (command -v debian-sa1 > /dev/null && debian-sa1 1 1)',
    'pam_unix(cron:session): session opened for user root(uid=0) by (uid=0)',
    'pam_unix(cron:session): session closed for user root',
    '(root) CMD (   cd / && run-parts --report /etc/cron.hourly)',
  ];
  return [
    ['_TRANSPORT', 'syslog'],
    ['PRIORITY', '6'],
    ['SYSLOG_FACILITY', '9'],
    ['SYSLOG_IDENTIFIER', 'CRON'],
    ['SYSLOG_PID', pid],
    ['_PID', pid],
    ['_UID', '0'],
    ['_GID', '0'],
    ['_COMM', 'cron'],
    ['_EXE', '/usr/sbin/cron'],
    ['_CMDLINE', '/usr/sbin/cron -f'],
    ['_SYSTEMD_UNIT', 'cron.service'],
    ['MESSAGE', msgs[int(rng, msgs.length)]!],
  ];
}

function systemd(rng: Rng): Fields {
  const session = 1000 + int(rng, 90000);
  const msgs: [string, string][] = [
    [`Started session-${session}.scope - Session ${session} of User root.`, `session-${session}.scope`],
    [`session-${session}.scope: Deactivated successfully.`, `session-${session}.scope`],
    ['Starting sysstat-collect.service - system activity accounting tool...', 'sysstat-collect.service'],
    ['Finished sysstat-collect.service - system activity accounting tool.', 'sysstat-collect.service'],
    ['logrotate.service: Deactivated successfully.', 'logrotate.service'],
  ];
  const [msg, unit] = msgs[int(rng, msgs.length)]!;
  return [
    ['_TRANSPORT', 'journal'],
    ['PRIORITY', '6'],
    ['SYSLOG_FACILITY', '3'],
    ['SYSLOG_IDENTIFIER', 'systemd'],
    ['_PID', '1'],
    ['_UID', '0'],
    ['_GID', '0'],
    ['_COMM', 'systemd'],
    ['_EXE', '/usr/lib/systemd/systemd'],
    ['_CMDLINE', '/sbin/init'],
    ['CODE_FILE', 'src/core/unit.c'],
    ['CODE_LINE', '5773'],
    ['CODE_FUNC', 'unit_log_success'],
    ['MESSAGE_ID', '7ad2d189f7e94e70a38c781354912448'],
    ['UNIT', unit],
    ['INVOCATION_ID', hex(rng, 32)],
    ['MESSAGE', msg],
  ];
}

function libvirtd(rng: Rng): Fields {
  const msgs = [
    `internal error: End of file from qemu monitor (vm='vm-${String(int(rng, 200)).padStart(4, '0')}')`,
    "Failed to connect socket to '/var/run/libvirt/virtlogd-sock': Connection refused",
    `Domain id=${int(rng, 9000)} name='vm-${String(int(rng, 200)).padStart(4, '0')}' uuid=${hex(rng, 8)}-${hex(rng, 4)}-4${hex(rng, 3)}-8${hex(rng, 3)}-${hex(rng, 12)} is tainted: high-privileges`,
  ];
  return [
    ['_TRANSPORT', 'journal'],
    ['PRIORITY', '3'],
    ['SYSLOG_FACILITY', '3'],
    ['SYSLOG_IDENTIFIER', 'libvirtd'],
    ['_PID', '1432'],
    ['_COMM', 'libvirtd'],
    ['_EXE', '/usr/sbin/libvirtd'],
    ['_CMDLINE', '/usr/sbin/libvirtd --timeout 120'],
    ['_SYSTEMD_UNIT', 'libvirtd.service'],
    ['CODE_FILE', '../../src/qemu/qemu_monitor.c'],
    ['MESSAGE', msgs[int(rng, msgs.length)]!],
  ];
}

/** Access log and logfmt lines: they start with digits, like QEMU's own timestamped lines. */
function exporter(rng: Rng, realtimeUs: number): Fields {
  const iso = new Date(Math.floor(realtimeUs / 1000)).toISOString();
  const msgs = [
    `${ip(rng)} - - [26/Nov/2026:15:${String(int(rng, 60)).padStart(2, '0')}:00 +0000] "GET /metrics HTTP/1.1" 200 ${20000 + int(rng, 9000)} "-" "Prometheus/2.42.0"`,
    `${iso} caller=collector.go:169 level=info msg="collector succeeded" name=cpu duration_seconds=0.00${int(rng, 9)}`,
  ];
  return [
    ['_TRANSPORT', 'stdout'],
    ['PRIORITY', '6'],
    ['SYSLOG_FACILITY', '3'],
    ['SYSLOG_IDENTIFIER', 'prometheus-node-exporter'],
    ['_PID', '977'],
    ['_COMM', 'prometheus-node'],
    ['_EXE', '/usr/bin/prometheus-node-exporter'],
    ['_CMDLINE', '/usr/bin/prometheus-node-exporter'],
    ['_SYSTEMD_UNIT', 'prometheus-node-exporter.service'],
    ['MESSAGE', msgs[int(rng, msgs.length)]!],
  ];
}

function traceback(): Fields {
  const msg = [
    'Traceback (most recent call last):',
    '  File "/usr/lib/python3/dist-packages/salt/minion.py", line 2036, in _thread_return',
    "KeyError: 'return'",
  ].join('\n');
  return [
    ['_TRANSPORT', 'stdout'],
    ['PRIORITY', '3'],
    ['SYSLOG_IDENTIFIER', 'salt-minion'],
    ['_PID', '1650'],
    ['_COMM', 'salt-minion'],
    ['MESSAGE', msg],
  ];
}

function binary(rng: Rng): Fields {
  const bytes = Buffer.concat([
    Buffer.from('usb 1-1: Product: '),
    Buffer.from([0xff, 0xfe, 0x80 + int(rng, 32)]),
    Buffer.from(' Keyboard'),
  ]);
  return [
    ['_TRANSPORT', 'kernel'],
    ['PRIORITY', '6'],
    ['SYSLOG_IDENTIFIER', 'kernel'],
    ['MESSAGE', bytes],
  ];
}

/** One noise entry's own fields (base fields added by the caller). */
export function noiseFields(rng: Rng, realtimeUs: number): Fields {
  const r = rng();
  if (r < 0.0002) return traceback();
  if (r < 0.0003) return binary(rng);
  if (r < 0.3) return sshd(rng);
  if (r < 0.55) return kernel(rng);
  if (r < 0.7) return cron(rng);
  if (r < 0.85) return systemd(rng);
  if (r < 0.9) return libvirtd(rng);
  return exporter(rng, realtimeUs);
}

export type { ExportEntry };
