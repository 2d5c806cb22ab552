import { css } from '@emotion/css';
import type { GrafanaTheme2 } from '@grafana/data';
import type { Verdict } from '@switchover/model';

export const ROW_HEADER_PX = 24;
export const LANE_PX = 18;
export const AXIS_PX = 14;
export const ROW_GAP_PX = 8;
export const LABEL_PX = 170;

export const rowHeight = (lanes: number): number => ROW_HEADER_PX + lanes * LANE_PX + AXIS_PX + ROW_GAP_PX;

/** Verdict colours from the theme: a silent destination failure is the loudest thing on the panel. */
export function verdictColors(theme: GrafanaTheme2, v: Verdict): { bg: string; fg: string } {
  const c = theme.colors;
  switch (v) {
    case 'destination-lost':
    case 'silent-destination-failure':
      return { bg: c.error.main, fg: c.error.contrastText };
    case 'failed':
      return { bg: c.warning.main, fg: c.warning.contrastText };
    case 'in-progress':
      return { bg: c.info.main, fg: c.info.contrastText };
    case 'unverified':
      return { bg: c.secondary.main, fg: c.secondary.contrastText };
    case 'cancelled':
      return { bg: c.action.disabledBackground, fg: c.text.primary };
    case 'succeeded':
      return { bg: c.success.main, fg: c.success.contrastText };
  }
}

// Maps, not object literals: labels come from the frames (whatever wrote the spans), and a phase
// called `constructor` must not read an inherited member as its colour name.
const PHASE_COLORS = new Map<string, string>([
  ['setup', 'purple'],
  ['active', 'blue'],
  ['pre-switchover', 'yellow'],
  ['device', 'orange'],
  ['completed', 'green'],
  ['cancelling', 'red'],
  ['postcopy', 'super-light-blue'],
]);
const STATE_COLORS = new Map<string, string>([
  ['RUNNING', 'green'],
  ['RUNNING_P2P', 'semi-dark-green'],
  ['STOP', 'text'],
  ['STOP_COPY', 'orange'],
  ['PRE_COPY', 'yellow'],
  ['PRE_COPY_P2P', 'semi-dark-yellow'],
  ['RESUMING', 'blue'],
  ['ERROR', 'red'],
]);

export function segmentColor(theme: GrafanaTheme2, kind: 'phase' | 'state', label: string): string {
  const name = (kind === 'phase' ? PHASE_COLORS : STATE_COLORS).get(label);
  if (name === 'text' || name === undefined) {
    return theme.colors.text.disabled;
  }
  return theme.visualization.getColorByName(name);
}

export const getStyles = (theme: GrafanaTheme2) => ({
  panel: css({
    display: 'flex',
    flexDirection: 'column',
    height: '100%',
    fontSize: theme.typography.bodySmall.fontSize,
  }),
  summary: css({
    display: 'flex',
    gap: theme.spacing(1),
    alignItems: 'center',
    flexWrap: 'wrap',
    paddingBottom: theme.spacing(0.5),
  }),
  scroller: css({ flex: 1, overflowY: 'auto', position: 'relative' }),
  row: css({
    position: 'absolute',
    left: 0,
    right: 0,
    borderLeft: `3px solid ${theme.colors.border.weak}`,
    paddingLeft: theme.spacing(0.5),
  }),
  header: css({
    display: 'flex',
    gap: theme.spacing(1),
    alignItems: 'center',
    height: ROW_HEADER_PX,
    whiteSpace: 'nowrap',
    overflow: 'hidden',
  }),
  vm: css({ fontWeight: theme.typography.fontWeightMedium, color: theme.colors.text.primary }),
  muted: css({ color: theme.colors.text.secondary }),
  note: css({ color: theme.colors.warning.text }),
  link: css({ color: theme.colors.text.link, '&:hover': { textDecoration: 'underline' } }),
  lane: css({ display: 'flex', height: LANE_PX, alignItems: 'center' }),
  laneLabel: css({
    width: LABEL_PX,
    flexShrink: 0,
    overflow: 'hidden',
    textOverflow: 'ellipsis',
    whiteSpace: 'nowrap',
    color: theme.colors.text.secondary,
    paddingRight: theme.spacing(0.5),
  }),
  track: css({ position: 'relative', flex: 1, height: LANE_PX - 4 }),
  extent: css({
    position: 'absolute',
    top: 5,
    height: 4,
    background: theme.colors.background.secondary,
    borderRadius: 2,
  }),
  segment: css({
    position: 'absolute',
    top: 1,
    bottom: 1,
    minWidth: 1,
    borderRadius: 2,
    opacity: 0.85,
    overflow: 'hidden',
  }),
  downtime: css({
    position: 'absolute',
    top: -1,
    bottom: -1,
    minWidth: 2,
    background: `repeating-linear-gradient(45deg, ${theme.colors.warning.transparent}, ${theme.colors.warning.transparent} 3px, transparent 3px, transparent 6px)`,
    border: `1px solid ${theme.colors.warning.border}`,
  }),
  marker: css({
    position: 'absolute',
    top: -2,
    bottom: -2,
    width: 2,
    marginLeft: -1,
    background: theme.colors.text.primary,
  }),
  markerLabel: css({
    position: 'absolute',
    top: -3,
    left: 4,
    fontSize: 9,
    lineHeight: 1,
    color: theme.colors.text.primary,
    whiteSpace: 'nowrap',
  }),
  failure: css({
    position: 'absolute',
    top: -1,
    width: 12,
    height: 12,
    marginLeft: -6,
    borderRadius: '50%',
    background: theme.colors.error.main,
    color: theme.colors.error.contrastText,
    fontSize: 9,
    lineHeight: '12px',
    textAlign: 'center',
    cursor: 'help',
    boxShadow: `0 0 0 2px ${theme.colors.background.primary}`,
  }),
  axis: css({
    position: 'relative',
    height: AXIS_PX,
    marginLeft: LABEL_PX,
    borderTop: `1px solid ${theme.colors.border.weak}`,
    color: theme.colors.text.disabled,
    fontSize: 9,
  }),
  tick: css({ position: 'absolute', top: 1, transform: 'translateX(-50%)', whiteSpace: 'nowrap' }),
  rawLine: css({
    fontFamily: theme.typography.fontFamilyMonospace,
    whiteSpace: 'pre-wrap',
    wordBreak: 'break-all',
    maxWidth: 520,
    margin: 0,
  }),
  help: css({ padding: theme.spacing(1), color: theme.colors.text.secondary, overflow: 'auto', height: '100%' }),
  code: css({ fontFamily: theme.typography.fontFamilyMonospace, color: theme.colors.text.primary }),
});
