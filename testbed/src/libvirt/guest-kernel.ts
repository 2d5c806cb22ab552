/**
 * The guest every harness domain boots: a 206-byte multiboot (v1, a.out kludge) kernel that QEMU's
 * `-kernel` loads at 1 MiB. It writes one word into each of 4096 pages (16 MiB of non-zero RAM, so
 * precopy has real data to send: about 16 s at `--bandwidth 1`), programs the PIT to 100 Hz and then
 * halts; each timer tick dirties the next 64 pages (25 MiB/s). So an unthrottled migration takes
 * several passes and converges, a throttled one never converges until it is cancelled, and the
 * guest costs almost no CPU while halted.
 *
 * Assembled with GNU as (`as --32`, `ld -m elf_i386 -Ttext 0x100000 --oformat binary`); the bytes
 * are kept here with their listing, so nothing needs a toolchain at test time.
 */

const REGION = 0x0040_0000; // 4 MiB: above the kernel, the IDT (0x180000) and the stack (0x1f0000)
const PAGES = 4096;
const PER_TICK = 64;

const le32 = (n: number): string =>
  [0, 8, 16, 24].map((s) => ((n >>> s) & 0xff).toString(16).padStart(2, '0')).join('');

// prettier-ignore
const CODE: ReadonlyArray<readonly [string, string]> = [
  // Multiboot header: magic, flags (bit 16: the load addresses below are valid), checksum,
  // header_addr, load_addr, load_end_addr (0: whole file), bss_end_addr, entry_addr.
  ['02b0ad1b 00000100 fe4f51e4', 'multiboot magic 0x1badb002, flags 0x00010000, checksum'],
  ['00001000 00001000 00000000 00000000 20001000', 'header/load at 0x100000, entry 0x100020'],
  ['fa', 'entry: cli'],
  ['bc00001f00', 'mov $0x1f0000,%esp'],
  [`bf${le32(REGION)}`, 'mov $REGION,%edi'],
  [`b9${le32(PAGES)}`, 'mov $PAGES,%ecx'],
  ['c7075a5a5a5a', '1: movl $0x5a5a5a5a,(%edi)      one word per page: the page is no zero page'],
  ['81c700100000', 'add $0x1000,%edi'],
  ['e2f2', 'loop 1b'],
  ['8cc8', 'mov %cs,%eax                    build one interrupt gate for all 256 vectors'],
  ['c1e010', 'shl $16,%eax'],
  ['ba8a001000', 'mov $tick,%edx'],
  ['6689d0', 'mov %dx,%ax'],
  ['81e20000ffff', 'and $0xffff0000,%edx'],
  ['81ca008e0000', 'or $0x8e00,%edx                 present, DPL 0, 32-bit interrupt gate'],
  ['bf00001800', 'mov $0x180000,%edi'],
  ['b900010000', 'mov $256,%ecx'],
  ['8907', '2: mov %eax,(%edi)'],
  ['895704', 'mov %edx,4(%edi)'],
  ['83c708', 'add $8,%edi'],
  ['e2f6', 'loop 2b'],
  ['0f011dc0001000', 'lidt idtr'],
  ['b0fe', 'mov $0xfe,%al'],
  ['e621', 'out %al,$0x21                   PIC: only IRQ0 (the timer)'],
  ['b0ff', 'mov $0xff,%al'],
  ['e6a1', 'out %al,$0xa1'],
  ['b034', 'mov $0x34,%al'],
  ['e643', 'out %al,$0x43                   PIT channel 0, rate generator'],
  ['b09c', 'mov $0x9c,%al'],
  ['e640', 'out %al,$0x40'],
  ['b02e', 'mov $0x2e,%al'],
  ['e640', 'out %al,$0x40                   divisor 11932: 100 Hz'],
  ['fb', 'sti'],
  ['f4', '3: hlt'],
  ['ebfd', 'jmp 3b'],
  ['60', 'tick: pusha'],
  ['8b3dc6001000', 'mov cursor,%edi'],
  [`b9${le32(PER_TICK)}`, 'mov $PER_TICK,%ecx'],
  ['ff07', '4: incl (%edi)'],
  ['81c700100000', 'add $0x1000,%edi'],
  [`81ff${le32(REGION + PAGES * 4096)}`, 'cmp $REGION_END,%edi'],
  ['7205', 'jb 5f'],
  [`bf${le32(REGION)}`, 'mov $REGION,%edi'],
  ['e2e9', '5: loop 4b'],
  ['893dc6001000', 'mov %edi,cursor'],
  ['ff05ca001000', 'incl ticks'],
  ['b020', 'mov $0x20,%al'],
  ['e620', 'out %al,$0x20                   end of interrupt'],
  ['61', 'popa'],
  ['cf', 'iret'],
  ['90', 'align 4'],
  ['ff07 00001800', 'idtr: limit 0x7ff, base 0x180000'],
  [le32(REGION), 'cursor'],
  ['00000000', 'ticks'],
];

/** The kernel image (206 bytes). */
export function guestKernel(): Buffer {
  return Buffer.from(CODE.map(([hex]) => hex.replaceAll(' ', '')).join(''), 'hex');
}
