/** Names of the series the fleet rules record (mixin/fleet.mjs), for the rules and the dashboards. */
import { METRICS } from '@switchover/model';

export const FLEET = {
  start: `vm_role:${METRICS.vmSessionStart}:latest`,
  end: `vm_role:${METRICS.vmSessionEnd}:latest`,
  source: `vm:qemu_migration_source_start_timestamp_seconds:latest`,
  destination: `vm:qemu_migration_destination_start_timestamp_seconds:latest`,
  pair: `vm:qemu_migration_pair_start_timestamp_seconds:latest`,
  verdict: `vm:qemu_migration_verdict:latest`,
  verdictCount: `verdict:qemu_migration_verdict:count_latest`,
};
