/** Where each host keeps the guest kernel: libvirt's own boot-image directory, so logs show a stable path. */
export const GUEST_KERNEL_PATH = '/var/lib/libvirt/boot/switchover-guest.bin';

const QEMU_NS = 'http://libvirt.org/schemas/domain/qemu/1.0';

export interface DomainSpec {
  name: string;
  uuid: string;
  /** Default 128 MiB. */
  memoryMiB?: number;
  /**
   * Extra QEMU arguments through libvirt's `<qemu:commandline>` (libvirt then logs
   * `Domain id=N is tainted: custom-argv`), e.g. `['-trace', 'enable=migrate_set_state']`.
   */
  qemuArgs?: readonly string[];
}

const escapeXml = (s: string): string => s.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * A TCG guest (`<domain type='qemu'>`) without disks or network: the multiboot kernel, a pty serial
 * console (libvirt logs `char device redirected to /dev/pts/N`), no USB, no balloon.
 */
export function domainXml(d: DomainSpec): string {
  const args = d.qemuArgs ?? [];
  return [
    `<domain type='qemu'${args.length ? ` xmlns:qemu='${QEMU_NS}'` : ''}>`,
    `  <name>${escapeXml(d.name)}</name>`,
    `  <uuid>${escapeXml(d.uuid)}</uuid>`,
    `  <memory unit='MiB'>${d.memoryMiB ?? 128}</memory>`,
    '  <vcpu>1</vcpu>',
    "  <os><type arch='x86_64' machine='pc'>hvm</type>",
    `    <kernel>${GUEST_KERNEL_PATH}</kernel></os>`,
    '  <on_poweroff>destroy</on_poweroff><on_reboot>restart</on_reboot><on_crash>destroy</on_crash>',
    '  <devices>',
    '    <emulator>/usr/bin/qemu-system-x86_64</emulator>',
    "    <controller type='usb' model='none'/>",
    "    <serial type='pty'><target port='0'/></serial>",
    "    <memballoon model='none'/>",
    '  </devices>',
    ...qemuCommandline(args),
    '</domain>',
    '',
  ].join('\n');
}

function qemuCommandline(args: readonly string[]): string[] {
  if (args.length === 0) return [];
  return [
    '  <qemu:commandline>',
    ...args.map((a) => `    <qemu:arg value='${escapeXml(a)}'/>`),
    '  </qemu:commandline>',
  ];
}

/**
 * The same domain XML with QEMU arguments added (the qemu namespace declared if missing): libvirt's
 * ABI check on a migration's `--xml` ignores `<qemu:commandline>`, which is how a test gives only
 * the destination QEMU an option.
 */
export function withQemuArgs(xml: string, args: readonly string[]): string {
  let out = xml;
  if (!out.includes(QEMU_NS))
    out = out.replace(/<domain (type=['"][a-z]+['"])/, `<domain $1 xmlns:qemu='${QEMU_NS}'`);
  const block = qemuCommandline(args).join('\n');
  const i = out.lastIndexOf('</domain>');
  if (i < 0) throw new Error('not a domain XML: no </domain>');
  return `${out.slice(0, i)}${block}\n${out.slice(i)}`;
}
