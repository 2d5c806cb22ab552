/** `stage` values of the named failures the QMP source reports. */
export const QMP_STAGES = {
  discovery: 'qmp-discovery',
  connect: 'qmp-connect',
  identify: 'qmp-identify',
  queryMigrate: 'qmp-query-migrate',
  protocol: 'qmp-protocol',
  record: 'qmp-record',
} as const;
