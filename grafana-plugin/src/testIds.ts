/** data-testid values shared by the unit tests and the browser test: one registry, no spelling twice. */
export const TEST_IDS = {
  panel: 'switchover-timeline-panel',
  empty: 'switchover-timeline-empty',
  schemaHelp: 'switchover-timeline-schema-help',
  summary: 'switchover-timeline-summary',
  summaryCount: 'switchover-timeline-summary-count',
  scroller: 'switchover-timeline-scroller',
  row: 'switchover-timeline-row',
  badge: 'switchover-timeline-verdict-badge',
  lane: 'switchover-timeline-lane',
  segment: 'switchover-timeline-segment',
  marker: 'switchover-timeline-marker',
  downtime: 'switchover-timeline-downtime',
  skewNote: 'switchover-timeline-skew-note',
  traceLink: 'switchover-timeline-trace-link',
  logsLink: 'switchover-timeline-logs-link',
  axis: 'switchover-timeline-axis',
} as const;
