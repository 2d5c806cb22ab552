/** QEMU's `MigrationStatus` values (qapi/migration.json), 7.2 through 10.2. */
export const MIGRATION_STATUSES = [
  'none',
  'setup',
  'cancelling',
  'cancelled',
  'active',
  'postcopy-device',
  'postcopy-active',
  'postcopy-paused',
  'postcopy-recover-setup',
  'postcopy-recover',
  'completed',
  'failed',
  'colo',
  'pre-switchover',
  'device',
  'wait-unplug',
] as const;
export type MigrationStatus = (typeof MIGRATION_STATUSES)[number];

export const isMigrationStatus = (s: string): s is MigrationStatus =>
  (MIGRATION_STATUSES as readonly string[]).includes(s);

/**
 * VFIO device migration states in the kernel uAPI spelling QEMU's traces and error lines use
 * (`mig_state_to_str()`); `VFIO_MIGRATION` events use the lower-case QAPI spelling, which
 * `vfioStateFromQapi()` maps onto these.
 */
export const VFIO_STATES = [
  'ERROR',
  'STOP',
  'RUNNING',
  'STOP_COPY',
  'RESUMING',
  'RUNNING_P2P',
  'PRE_COPY',
  'PRE_COPY_P2P',
] as const;
export type VfioState = (typeof VFIO_STATES)[number];

export const isVfioState = (s: string): s is VfioState => (VFIO_STATES as readonly string[]).includes(s);

export function vfioStateFromQapi(s: string): VfioState | undefined {
  const upper = s.toUpperCase().replace(/-/g, '_');
  return isVfioState(upper) ? upper : undefined;
}
