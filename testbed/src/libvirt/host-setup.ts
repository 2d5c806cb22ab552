import { execFileSync } from 'node:child_process';
import {
  appendFileSync,
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { GUEST_KERNEL_PATH } from './domain-xml.js';
import { guestKernel } from './guest-kernel.js';

/** One simulated hypervisor: its hostname, address on the shared loopback, libvirt host UUID and migration ports. */
export interface HostIdentity {
  name: string;
  address: string;
  hostUuid: string;
  migrationPorts: readonly [number, number];
}

export const DEFAULT_HOSTS: readonly [HostIdentity, HostIdentity] = [
  {
    name: 'hv-a',
    address: '127.0.0.2',
    hostUuid: '5e1f0c8a-7d2b-4c61-9a3e-2f4b6d8e0a01',
    migrationPorts: [49152, 49167],
  },
  {
    name: 'hv-b',
    address: '127.0.0.3',
    hostUuid: '5e1f0c8a-7d2b-4c61-9a3e-2f4b6d8e0a02',
    migrationPorts: [49168, 49183],
  },
];

/**
 * The per-host directories bind-mounted over libvirt's own inside the host's mount namespace. `run`
 * becomes /run/libvirt (sockets, pid files), `log` /var/log/libvirt (the domain logs in `qemu/`).
 */
export const HOST_DIRS = {
  run: '/run/libvirt',
  etc: '/etc/libvirt',
  lib: '/var/lib/libvirt',
  log: '/var/log/libvirt',
  cache: '/var/cache/libvirt',
} as const;

/**
 * PID 1 of a host's PID namespace: hostname, a private /run, the bind mounts, then virtlogd and
 * libvirtd started as systemd would (full paths, empty environment: QEMU names its killer from
 * /proc/PID/cmdline, and the caller's PATH would land in every logged command line). It stays as the
 * namespace's init, reaping the daemons and the QEMUs they re-parent to it; when it dies the kernel
 * kills everything else in the namespace.
 */
export const HOST_INIT_SCRIPT = `set -euo pipefail
D=$1; N=$2; H=$D/$N
hostname "$N"
mount -t tmpfs -o mode=0755 switchover-run /run
mkdir -p /run/libvirt
${Object.entries(HOST_DIRS)
  .map(([dir, target]) => `mount --bind "$H/${dir}" ${target}`)
  .join('\n')}
mount --bind "$D/hosts" /etc/hosts
if [ -e "$D/kvm" ]; then mount --bind "$D/kvm" /dev/kvm; fi
if [ "$3" = net ]; then /usr/sbin/ip link set lo up; fi
env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin /usr/sbin/virtlogd -d -p /run/libvirt/virtlogd.pid
env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin /usr/sbin/libvirtd -d -p /run/libvirt/libvirtd.pid
echo ready
while :; do sleep 1; done
`;

const copyTree = (from: string, to: string): void => {
  mkdirSync(to, { recursive: true });
  // cp -a keeps the packaged owners and modes (/var/lib/libvirt/qemu belongs to libvirt-qemu).
  if (existsSync(from)) execFileSync('cp', ['-a', `${from}/.`, to]);
};

/** Copy the packaged configuration into `dir/NAME/…` and add what makes this daemon a host of its own. */
export function prepareHost(dir: string, h: HostIdentity): string {
  const root = join(dir, h.name);
  for (const d of Object.keys(HOST_DIRS)) mkdirSync(join(root, d), { recursive: true });
  copyTree('/etc/libvirt', join(root, 'etc'));
  copyTree('/var/lib/libvirt', join(root, 'lib'));
  copyTree('/var/cache/libvirt', join(root, 'cache'));
  mkdirSync(join(root, 'log', 'qemu'), { recursive: true });
  // No default network: there is no dnsmasq and the guests need none.
  rmSync(join(root, 'etc', 'qemu', 'networks', 'autostart'), { recursive: true, force: true });
  appendFileSync(
    join(root, 'etc', 'libvirtd.conf'),
    // libvirt refuses a migration whose two ends share a host UUID (the hostname is the UTS namespace's).
    `\n# switchover testbed\nhost_uuid = "${h.hostUuid}"\nlog_outputs = "3:file:/var/log/libvirt/libvirtd.log"\n`,
  );
  appendFileSync(
    join(root, 'etc', 'qemu.conf'),
    [
      '',
      '# switchover testbed',
      "# Both daemons share one kernel: no cgroups, or each would reorganise the other one's.",
      'cgroup_controllers = [ ]',
      `migration_address = "${h.address}"`,
      `migration_port_min = ${h.migrationPorts[0]}`,
      `migration_port_max = ${h.migrationPorts[1]}`,
      '# No ownership xattrs on the shared kernel image.',
      'remember_owner = 0',
      '',
    ].join('\n'),
  );
  const kernel = join(root, 'lib', GUEST_KERNEL_PATH.slice(HOST_DIRS.lib.length + 1));
  writeFileSync(kernel, guestKernel(), { mode: 0o644 });
  return root;
}

/** `/etc/hosts` shared by every host: each name resolves to its own loopback address. */
export function writeHostsFile(dir: string, hosts: readonly HostIdentity[]): void {
  writeFileSync(
    join(dir, 'hosts'),
    ['127.0.0.1 localhost', '::1 localhost', ...hosts.map((h) => `${h.address} ${h.name}`), ''].join('\n'),
  );
}

/**
 * When /dev/kvm is root-only, libvirt re-probes QEMU on every start (seconds each): give the hosts a
 * `root:kvm 0660` node of the same device instead. Guests still run TCG (`<domain type='qemu'>`).
 */
export function kvmNode(dir: string): void {
  if (!existsSync('/dev/kvm')) return;
  const st = statSync('/dev/kvm');
  if ((st.mode & 0o060) === 0o060) return;
  const major = Math.floor(st.rdev / 256) & 0xfff;
  const minor = (st.rdev & 0xff) | ((Math.floor(st.rdev / 4096) & 0xfff00) >>> 0);
  let gid: number;
  try {
    gid = Number(execFileSync('getent', ['group', 'kvm'], { encoding: 'utf8' }).split(':')[2]);
  } catch {
    return; // no kvm group: libvirt probes a little longer, nothing else changes
  }
  const node = join(dir, 'kvm');
  execFileSync('mknod', [node, 'c', String(major), String(minor)]);
  chownSync(node, 0, gid);
  chmodSync(node, 0o660);
}
