/** The libvirt harness's pure parts: the guest image, the domain XML and the simulated VFIO lines. */
import { describe, expect, it } from 'vitest';
import {
  CPU_DUMP,
  domainXml,
  GUEST_KERNEL_PATH,
  guestKernel,
  resetFailureLines,
  vfioFailureLine,
  withQemuArgs,
} from '../src/libvirt/index.js';

describe('guestKernel', () => {
  // `as --32 k.S && ld -m elf_i386 -Ttext 0x100000 --oformat binary` of the listing in guest-kernel.ts.
  const ASSEMBLED =
    '02b0ad1b00000100fe4f51e40000100000001000000000000000000020001000fabc00001f00bf00004000b900100000' +
    'c7075a5a5a5a81c700100000e2f28cc8c1e010ba8a0010006689d081e20000ffff81ca008e0000bf00001800b9000100' +
    '00890789570483c708e2f60f011dc0001000b0fee621b0ffe6a1b034e643b09ce640b02ee640fbf4ebfd608b3dc60010' +
    '00b940000000ff0781c70010000081ff000040017205bf00004000e2e9893dc6001000ff05ca001000b020e62061cf90' +
    'ff07000018000000400000000000';

  it('is the assembled listing, byte for byte', () => {
    expect(guestKernel().toString('hex')).toBe(ASSEMBLED);
  });

  it('carries a valid multiboot header with the a.out kludge QEMU needs for a flat image', () => {
    const k = guestKernel();
    const [magic, flags, checksum, headerAddr, loadAddr, , , entry] = [0, 4, 8, 12, 16, 20, 24, 28].map((o) =>
      k.readUInt32LE(o),
    );
    expect(magic).toBe(0x1badb002);
    expect(flags).toBe(0x00010000);
    expect(((magic as number) + (flags as number) + (checksum as number)) % 2 ** 32).toBe(0);
    expect([headerAddr, loadAddr, entry]).toEqual([0x100000, 0x100000, 0x100020]);
  });
});

describe('domainXml', () => {
  it('escapes names from anywhere and declares the qemu namespace only with arguments', () => {
    const xml = domainXml({ name: `a'b"<c>&__proto__`, uuid: '00000000-0000-4000-8000-000000000001' });
    expect(xml).toContain('<name>a&#39;b&#34;&#60;c&#62;&#38;__proto__</name>');
    expect(xml).not.toContain('xmlns:qemu');
    expect(xml).toContain(`<kernel>${GUEST_KERNEL_PATH}</kernel>`);
    expect(xml).toContain("<domain type='qemu'>");
    const traced = domainXml({ name: 'v', uuid: 'u', qemuArgs: ['-trace', "enable=it's"] });
    expect(traced).toContain("xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'");
    expect(traced).toContain("<qemu:arg value='enable=it&#39;s'/>");
  });

  it('withQemuArgs adds arguments to a dumped XML, declaring the namespace once', () => {
    const dumped = "<domain type='qemu' id='3'>\n  <name>v</name>\n</domain>\n";
    const once = withQemuArgs(dumped, ['-global', 'migration.send-configuration=off']);
    expect(once.match(/xmlns:qemu=/g)).toHaveLength(1);
    expect(once.indexOf('<qemu:commandline>')).toBeLessThan(once.indexOf('</domain>'));
    expect(withQemuArgs(once, ['-S']).match(/xmlns:qemu=/g)).toHaveLength(1);
    expect(() => withQemuArgs('<domain/>', ['-S'])).toThrow(/no <\/domain>/);
  });
});

describe('the simulated VFIO failure lines (QEMU format strings, arguments expanded)', () => {
  it('9.1+: error_setg_errno appends the strerror after the message', () => {
    expect(vfioFailureLine({ form: '9.1', device: '0000:e1:00.4' })).toBe(
      '0000:e1:00.4: Failed setting device state to RUNNING. Recover state is ERROR. Resetting device: Input/output error',
    );
    expect(
      vfioFailureLine({ form: '9.1', device: 'hostdev0', target: 'RUNNING_P2P', error: 'Invalid argument' }),
    ).toBe(
      'hostdev0: Failed setting device state to RUNNING_P2P. Recover state is ERROR. Resetting device: Invalid argument',
    );
  });

  it('8.0-9.0: error_report with `err: %s` in the middle', () => {
    expect(vfioFailureLine({ form: '8.0', device: '0000:3b:00.1', error: 'Invalid argument' })).toBe(
      '0000:3b:00.1: Failed setting device state to RUNNING, err: Invalid argument. Recover state is ERROR. Resetting device',
    );
  });

  it('7.2: the v1 protocol prints the state it tried to set, in hex; it has no RUNNING_P2P', () => {
    expect(vfioFailureLine({ form: '7.2', device: '0000:3b:00.1' })).toBe(
      '0000:3b:00.1: Failed to set device state 0x1',
    );
    expect(() => vfioFailureLine({ form: '7.2', device: 'x', target: 'RUNNING_P2P' })).toThrow();
  });

  it('a failed reset: 8.0-9.0 print the failure first, 9.1+ abort before printing it', () => {
    const hw = 'qemu: hardware error: 0000:3b:00.1: Failed resetting device, err: Input/output error';
    expect(resetFailureLines({ form: '8.0', device: '0000:3b:00.1' })).toEqual([
      vfioFailureLine({ form: '8.0', device: '0000:3b:00.1' }),
      hw,
      'CPU #0:',
      ...CPU_DUMP,
    ]);
    expect(resetFailureLines({ form: '9.1', device: '0000:3b:00.1' }).slice(0, 2)).toEqual([hw, 'CPU #0:']);
    expect(() => resetFailureLines({ form: '7.2', device: 'x' })).toThrow();
    // No line of a register dump may look like a timestamped QEMU line.
    for (const l of CPU_DUMP) expect(l).toMatch(/^[A-Z]/);
  });
});
