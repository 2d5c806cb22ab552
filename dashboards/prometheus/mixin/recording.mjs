/**
 * Recording rules the overview dashboard and ad-hoc queries use. Names follow Prometheus'
 * `level:metric:operations` convention; the window is CONFIG.recordingWindow.
 */
import { LABELS, METRICS } from '@switchover/model';

export function recordingGroups(c) {
  const w = c.recordingWindow;
  const { verdict, role, outcome, result, value } = LABELS;
  const base = (m) => m.replace(/_total$/, '');
  // Duration is labelled by role; downtime is only known to the source (from query-migrate), so
  // it has no role label and is kept per source host instead.
  const quantile = (metric, q, level, by) => ({
    record: `${level}:${metric}:p${Math.round(q * 100)}_rate${w}`,
    expr: `histogram_quantile(${q}, sum by (le, ${by}) (rate(${metric}_bucket[${w}])))`,
  });
  return [
    {
      name: 'switchover.rules',
      rules: [
        {
          record: `${verdict}:${base(METRICS.verdicts)}:rate${w}`,
          expr: `sum by (${verdict}) (rate(${METRICS.verdicts}[${w}]))`,
        },
        {
          record: `instance_${role}_${outcome}:${base(METRICS.sessions)}:rate${w}`,
          expr: `sum by (instance, job, ${role}, ${outcome}) (rate(${METRICS.sessions}[${w}]))`,
        },
        {
          record: `instance_${result}:${base(METRICS.vfioTransitions)}:rate${w}`,
          expr: `sum by (instance, job, ${result}) (rate(${METRICS.vfioTransitions}[${w}]))`,
        },
        {
          record: `instance_${value}:${base(METRICS.returnPathShut)}:rate${w}`,
          expr: `sum by (instance, job, ${value}) (rate(${METRICS.returnPathShut}[${w}]))`,
        },
        quantile(METRICS.duration, 0.5, role, role),
        quantile(METRICS.duration, 0.9, role, role),
        quantile(METRICS.downtime, 0.5, 'instance', 'instance, job'),
        quantile(METRICS.downtime, 0.9, 'instance', 'instance, job'),
      ],
    },
  ];
}
