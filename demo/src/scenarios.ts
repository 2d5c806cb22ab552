/** The migrations the demo performs, in order. */
export interface Scenario {
  key: 'healthy' | 'failed' | 'silent';
  vm: string;
  title: string;
  explain: string;
  /** Destination RAM (MiB); a size different from the source's 64 makes the load fail for real. */
  dstRamMb: number;
  /**
   * The one thing the demo simulates: the VFIO device. This is the line QEMU 9.1+ prints on the destination
   * when the device fails RESUMING→RUNNING during libvirt's `cont`: no timestamp, no program prefix.
   */
  injectAfterResume?: string;
}

export const DEMO_DEVICE = '0000:3b:00.1';

export const SCENARIOS: readonly Scenario[] = [
  {
    key: 'healthy',
    vm: 'demo-healthy',
    title: 'A healthy migration',
    explain: 'both sides complete; the destination resumes the VM',
    dstRamMb: 64,
  },
  {
    key: 'failed',
    vm: 'demo-ram-mismatch',
    title: 'A loud failure',
    explain: 'the destination was started with 128 MiB instead of 64 MiB: it rejects the stream and exits',
    dstRamMb: 128,
  },
  {
    key: 'silent',
    vm: 'demo-gpu-vm',
    title: 'The silent destination failure',
    explain: `after RESUME the destination's VFIO device ${DEMO_DEVICE} fails RESUMING→RUNNING; QEMU prints one line and carries on`,
    dstRamMb: 64,
    injectAfterResume: `${DEMO_DEVICE}: Failed setting device state to RUNNING. Recover state is ERROR. Resetting device: Input/output error`,
  },
];
