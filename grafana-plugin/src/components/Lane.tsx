import React from 'react';
import { Tooltip, useStyles2, useTheme2 } from '@grafana/ui';
import { TEST_IDS } from '../testIds';
import type { LaneLayout, LaneMarker } from '../layout/timeline';
import { getStyles, segmentColor } from './styles';

const pct = (f: number): string => `${(f * 100).toFixed(3)}%`;

function Marker({ m }: { m: LaneMarker }) {
  const styles = useStyles2(getStyles);
  if (m.kind !== 'failure') {
    return (
      <div className={styles.marker} style={{ left: pct(m.left) }} data-testid={TEST_IDS.marker} data-kind={m.kind}>
        <span className={styles.markerLabel}>{m.label}</span>
      </div>
    );
  }
  // The raw QEMU line is the evidence a responder quotes; show it verbatim on hover and focus.
  const content = (
    <div>
      <div>{m.label}</div>
      <pre className={styles.rawLine}>{m.raw || '(no QEMU line recorded)'}</pre>
    </div>
  );
  return (
    <Tooltip content={content} placement="top" interactive>
      <div
        className={styles.failure}
        style={{ left: pct(m.left) }}
        data-testid={TEST_IDS.marker}
        data-kind="failure"
        data-raw={m.raw}
        tabIndex={0}
        aria-label={`${m.label}: ${m.raw ?? ''}`}
      >
        ✕
      </div>
    </Tooltip>
  );
}

export function Lane({ lane }: { lane: LaneLayout }) {
  const styles = useStyles2(getStyles);
  const theme = useTheme2();
  const side = lane.role === 'source' ? 'src' : 'dst';
  const label = lane.kind === 'side' ? `${side} ${lane.host}` : `${side} ${lane.label}`;
  return (
    <div
      className={styles.lane}
      data-testid={TEST_IDS.lane}
      data-role={lane.role}
      data-kind={lane.kind}
      data-label={lane.label}
    >
      <div
        className={styles.laneLabel}
        title={lane.kind === 'side' ? `${lane.role} on ${lane.host}` : `VFIO ${lane.label}`}
      >
        {lane.kind === 'device' ? '└ ' : ''}
        {label}
      </div>
      <div className={styles.track}>
        <div className={styles.extent} style={{ left: pct(lane.extent.left), width: pct(lane.extent.width) }} />
        {lane.segments.map((s, i) => (
          <div
            key={i}
            className={styles.segment}
            style={{ left: pct(s.left), width: pct(s.width), background: segmentColor(theme, s.kind, s.label) }}
            data-testid={TEST_IDS.segment}
            data-kind={s.kind}
            data-label={s.label}
            title={`${s.label}${s.open ? ' (open)' : ''}`}
          />
        ))}
        {lane.downtime && (
          <div
            className={styles.downtime}
            style={{ left: pct(lane.downtime.left), width: pct(lane.downtime.width) }}
            data-testid={TEST_IDS.downtime}
            title="downtime"
          />
        )}
        {lane.markers.map((m, i) => (
          <Marker key={i} m={m} />
        ))}
      </div>
    </div>
  );
}
