import type { DeviceLane, DeviceSegment, Session } from '@switchover/model';
import type { VmState } from './types.js';

/** `VFIO_MIGRATION` names devices by QOM id (`hostdev0`); name them by host address when identity told us. */
export const deviceName = (vm: VmState, device: string): string => vm.devices[device] ?? device;

export function laneOf(session: Session, device: string): DeviceLane {
  let lane = session.devices.find((d) => d.device === device);
  if (!lane) {
    lane = { device, segments: [] };
    session.devices.push(lane);
  }
  return lane;
}

/** Start a segment; the previous one ends where this one starts. */
export function pushSegment(lane: DeviceLane, segment: Omit<DeviceSegment, 'end'>): void {
  const last = lane.segments.at(-1);
  if (last && last.end === null) last.end = Math.max(last.start, segment.start);
  lane.segments.push({ ...segment, end: null });
}
