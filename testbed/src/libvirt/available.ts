import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const NEEDED: ReadonlyArray<readonly [string, string]> = [
  ['/usr/sbin/libvirtd', 'libvirt-daemon-system / libvirt-daemon-driver-qemu'],
  ['/usr/sbin/virtlogd', 'libvirt-daemon-system'],
  ['/usr/bin/virsh', 'libvirt-clients'],
  ['/usr/bin/qemu-system-x86_64', 'qemu-system-x86'],
  ['/usr/bin/unshare', 'util-linux'],
  ['/usr/bin/nsenter', 'util-linux'],
  ['/usr/sbin/ip', 'iproute2'],
];

/**
 * Why two libvirt hosts cannot run here, or null when they can: root (namespaces, bind mounts, a
 * system libvirtd), the Debian packages `scripts/system-deps.sh test` installs, and a kernel that
 * lets us create PID, mount, UTS and network namespaces.
 */
export function libvirtUnavailable(): string | null {
  if (process.getuid?.() !== 0) return 'real libvirt hosts need root';
  for (const [path, pkg] of NEEDED) if (!existsSync(path)) return `${path} not found (Debian package ${pkg})`;
  const probe = spawnSync('/usr/bin/unshare', ['--pid', '--fork', '--mount', '--uts', '--net', '/bin/true'], {
    stdio: 'ignore',
    timeout: 10_000,
  });
  if (probe.status !== 0) return 'cannot create PID/mount/UTS/network namespaces here';
  return null;
}
