import { appendFileSync } from 'node:fs';

/**
 * The VFIO failure is the one thing the harness simulates: no test machine has a migratable VFIO
 * device, and libvirt offers no knob for one (a `<hostdev>` or `-device vfio-pci` needs a real
 * device in /sys/bus/pci). So the destination's domain has no vfio-pci `-device`, and the line QEMU
 * would print is appended to the real destination domain log, in QEMU's exact wording per version.
 *
 * Under libvirt the line is printed while QEMU handles libvirt's `cont` (Finish phase), i.e. inside
 * a monitor command: `error_report` then writes neither the `-msg timestamp=on` timestamp nor the
 * `qemu-system-x86_64: ` prefix, and virtlogd adds nothing. It appears right after the destination's
 * `RESUME` event (emitted before the VFIO handlers run).
 */
export const VFIO_LINE_FORMS = ['7.2', '8.0', '9.1'] as const;
/** `7.2` (v1 region protocol), `8.0` (8.0 through 9.0), `9.1` (9.1 and later). */
export type VfioLineForm = (typeof VFIO_LINE_FORMS)[number];

export interface VfioFailure {
  form: VfioLineForm;
  /** `VFIODevice.name`: the destination's host PCI address, e.g. `0000:3b:00.1` (or a QOM id, an mdev UUID). */
  device: string;
  /** The state QEMU tried to enter: `RUNNING`, or `RUNNING_P2P` (the prepare step: 8.2+, P2P-capable devices). */
  target?: 'RUNNING' | 'RUNNING_P2P';
  /** strerror(errno) in the C locale libvirt runs QEMU with. Default `Input/output error`. */
  error?: string;
}

// v1 uAPI: VFIO_DEVICE_STATE_V1_RUNNING is bit 0; 7.2 prints the state it tried to set in hex.
const V1_STATE: Record<'RUNNING', string> = { RUNNING: '1' };

/** The failure line of one QEMU version, as it lands in the domain log (no prefix, no timestamp). */
export function vfioFailureLine(f: VfioFailure): string {
  const target = f.target ?? 'RUNNING';
  const err = f.error ?? 'Input/output error';
  switch (f.form) {
    case '9.1':
      // error_setg_errno() appends ": <strerror>"; printed by migration_file_set_error() on the destination.
      return `${f.device}: Failed setting device state to ${target}. Recover state is ERROR. Resetting device: ${err}`;
    case '8.0':
      return `${f.device}: Failed setting device state to ${target}, err: ${err}. Recover state is ERROR. Resetting device`;
    case '7.2':
      if (target !== 'RUNNING') throw new Error('QEMU 7.2 has no RUNNING_P2P state');
      return `${f.device}: Failed to set device state 0x${V1_STATE[target]}`;
  }
}

/**
 * What QEMU prints when the reset after the failed transition fails too: `hw_error()` writes
 * `qemu: hardware error: …` with plain fprintf (never a timestamp), dumps every vCPU and aborts.
 * 8.0–9.0 `error_report` the set-state failure first; 9.1+ only store it in an Error that the caller
 * would print, and the abort comes first, so their output has the hardware error alone.
 */
export function resetFailureLines(f: VfioFailure & { resetError?: string }): string[] {
  if (f.form === '7.2') throw new Error('the 7.2 (v1 protocol) reset path is not simulated');
  const hw = `qemu: hardware error: ${f.device}: Failed resetting device, err: ${f.resetError ?? f.error ?? 'Input/output error'}`;
  return [...(f.form === '8.0' ? [vfioFailureLine(f)] : []), hw, 'CPU #0:', ...CPU_DUMP];
}

/**
 * The body of `cpu_dump_state(cpu, stderr, CPU_DUMP_FPU)` for the harness guest's one vCPU, taken from
 * QEMU 7.2.22's HMP `info registers` (the same call) while the guest idled in its `hlt` loop.
 */
export const CPU_DUMP: readonly string[] = [
  'EAX=0008002e EBX=00009500 ECX=00000000 EDX=00108e00',
  'ESI=00000000 EDI=00180800 EBP=00000000 ESP=001f0000',
  'EIP=00100088 EFL=00000216 [----AP-] CPL=0 II=0 A20=1 SMM=0 HLT=1',
  'ES =0010 00000000 ffffffff 00cf9300 DPL=0 DS   [-WA]',
  'CS =0008 00000000 ffffffff 00cf9a00 DPL=0 CS32 [-R-]',
  'SS =0010 00000000 ffffffff 00cf9300 DPL=0 DS   [-WA]',
  'DS =0010 00000000 ffffffff 00cf9300 DPL=0 DS   [-WA]',
  'FS =0010 00000000 ffffffff 00cf9300 DPL=0 DS   [-WA]',
  'GS =0010 00000000 ffffffff 00cf9300 DPL=0 DS   [-WA]',
  'LDT=0000 00000000 0000ffff 00008200 DPL=0 LDT',
  'TR =0000 00000000 0000ffff 00008b00 DPL=0 TSS32-busy',
  'GDT=     000c02b8 00000027',
  'IDT=     00180000 000007ff',
  'CR0=00000011 CR2=00000000 CR3=00000000 CR4=00000000',
  'DR0=0000000000000000 DR1=0000000000000000 DR2=0000000000000000 DR3=0000000000000000 ',
  'DR6=00000000ffff0ff0 DR7=0000000000000400',
  'EFER=0000000000000000',
  'FCW=037f FSW=0000 [ST=0] FTW=00 MXCSR=00001f80',
  'FPR0=0000000000000000 0000 FPR1=0000000000000000 0000',
  'FPR2=0000000000000000 0000 FPR3=0000000000000000 0000',
  'FPR4=0000000000000000 0000 FPR5=0000000000000000 0000',
  'FPR6=0000000000000000 0000 FPR7=0000000000000000 0000',
  'XMM00=0000000000000000 0000000000000000 XMM01=0000000000000000 0000000000000000',
  'XMM02=0000000000000000 0000000000000000 XMM03=0000000000000000 0000000000000000',
  'XMM04=0000000000000000 0000000000000000 XMM05=0000000000000000 0000000000000000',
  'XMM06=0000000000000000 0000000000000000 XMM07=0000000000000000 0000000000000000',
];

/**
 * Append lines to a domain log that virtlogd is writing: it opened the file with O_APPEND, so whole
 * lines written with O_APPEND here interleave with its own, never overwrite them.
 */
export function appendToDomainLog(file: string, lines: readonly string[]): void {
  appendFileSync(file, lines.map((l) => `${l}\n`).join(''));
}
