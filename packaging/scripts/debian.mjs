// DEBIAN/control, md5sums and the copyright file of the package.
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

function walk(dir, out = []) {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) walk(p, out);
    else out.push(p);
  }
  return out;
}

const payload = (root) => walk(root).filter((p) => !relative(root, p).startsWith('DEBIAN'));

export const md5sums = (root) =>
  payload(root)
    .filter((p) => !relative(root, p).startsWith('etc/')) // conffiles are checksummed by dpkg itself
    .sort()
    .map((p) => `${createHash('md5').update(readFileSync(p)).digest('hex')}  ${relative(root, p)}\n`)
    .join('');

export function control({ version, arch, root, nodeVersion }) {
  const kib = Math.ceil(payload(root).reduce((n, p) => n + statSync(p).size, 0) / 1024);
  return `Package: switchover
Version: ${version}
Architecture: ${arch}
Maintainer: Switchover developers <noreply@switchover.invalid>
Section: admin
Priority: optional
Installed-Size: ${kib}
Depends: libc6 (>= 2.28), libstdc++6 (>= 10), libgcc-s1, passwd
Recommends: libvirt-clients
Description: watches QEMU/KVM live migrations and catches silent destination failures
 A per-hypervisor agent that follows every QEMU live migration (QMP, libvirt's
 event relay, journald, libvirt domain logs) and catches the silent destination
 failure: a VFIO device that failed RESUMING->RUNNING on the destination while
 every control plane records a success. Exports verdicts as Prometheus metrics,
 OpenTelemetry spans and a local flight recorder; "switchover review" pairs both
 hosts' logs after an incident.
 .
 One executable (/usr/bin/switchover, Node.js ${nodeVersion} single executable
 application: no Node.js needed on the host), the systemd unit, the config
 (/etc/switchover/agent.yaml), docs, Grafana dashboards, Prometheus rules and
 the Grafana panel plugin (/usr/share/switchover).
`;
}

/** The packages bundled into the executable, each with the license its package.json declares. */
export function copyright(repo, packages, nodeVersion) {
  const lines = packages.map((name) => {
    const pkg = JSON.parse(readFileSync(join(repo, 'node_modules', name, 'package.json'), 'utf8'));
    return ` ${name} ${pkg.version}: ${typeof pkg.license === 'string' ? pkg.license : JSON.stringify(pkg.license)}`;
  });
  return `Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: switchover

Files: *
Copyright: Switchover developers
License: Apache-2.0
 The Grafana panel plugin declares Apache-2.0 (grafana-plugin/LICENSE in the
 repository); on Debian systems the full text is in
 /usr/share/common-licenses/Apache-2.0.

Files: usr/bin/switchover
Copyright: Node.js contributors and the authors of the bundled packages
License: MIT and others
 /usr/bin/switchover is Node.js ${nodeVersion} (its license:
 /usr/share/doc/switchover/LICENSE.node) with Switchover's CLI and these npm
 packages bundled in:
${lines.join('\n')}
`;
}
