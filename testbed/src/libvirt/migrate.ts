import { withQemuArgs } from './domain-xml.js';
import type { LibvirtHost } from './host.js';
import type { VirshResult } from './virsh.js';

export interface MigrateOptions {
  /** `p2p`: the source libvirtd drives the migration (`--p2p`); `direct`: the virsh client talks to both daemons. */
  mode: 'p2p' | 'direct';
  /** `--bandwidth` in MiB/s (a 16 MiB guest then needs ~16 s for its first pass). */
  bandwidthMiB?: number;
  /** `--xml FILE`: the domain XML the destination starts with (libvirt checks it is ABI-compatible). */
  destinationXmlFile?: string;
}

/**
 * `virsh migrate --live` of `vm` from one host to the other. Resolves when virsh exits, with its
 * result (a failed migration is a result, not a rejection), so a test can act while it runs.
 */
export function migrate(
  from: LibvirtHost,
  to: LibvirtHost,
  vm: string,
  o: MigrateOptions,
): Promise<VirshResult> {
  const args = ['migrate', '--live'];
  if (o.mode === 'p2p') args.push('--p2p');
  if (o.bandwidthMiB !== undefined) args.push('--bandwidth', String(o.bandwidthMiB));
  if (o.destinationXmlFile !== undefined) args.push('--xml', o.destinationXmlFile);
  args.push(vm, to.uri);
  return from.virsh(args);
}

/** `virsh migrate-setspeed VM MiB`: the bandwidth limit of the domain's next (or current) migration. */
export async function setMigrationSpeed(host: LibvirtHost, vm: string, mib: number): Promise<void> {
  await host.virshOk(['migrate-setspeed', vm, String(mib)]);
}

/** `virsh domjobabort VM`: cancel the running migration job on the source. */
export async function abortJob(host: LibvirtHost, vm: string): Promise<void> {
  await host.virshOk(['domjobabort', vm]);
}

/**
 * A destination XML that makes the destination QEMU reject the incoming stream. libvirt has no knob
 * for a broken stream, so the destination alone gets `-global migration.send-configuration=off`
 * through `<qemu:commandline>` (which libvirt's ABI check on `--xml` does not compare): the source
 * sends its configuration section and the destination, not expecting one, fails with `Unknown
 * savevm section type 7` / `load of migration failed: Invalid argument`, as a real mismatch of
 * machine or device state fails. The destination's log also says `tainted: custom-argv`.
 */
export async function rejectingDestinationXml(from: LibvirtHost, vm: string): Promise<string> {
  const { stdout } = await from.virshOk(['dumpxml', '--migratable', vm]);
  return from.writeXml(
    `${vm}.rejecting-destination`,
    withQemuArgs(stdout, ['-global', 'migration.send-configuration=off']),
  );
}
