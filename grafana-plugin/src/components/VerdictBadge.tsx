import React from 'react';
import { css } from '@emotion/css';
import { useTheme2 } from '@grafana/ui';
import type { Verdict } from '@switchover/model';
import { TEST_IDS } from '../testIds';
import { verdictColors } from './styles';

export const VERDICT_LABELS: Record<Verdict, string> = {
  'destination-lost': 'DESTINATION LOST',
  'silent-destination-failure': 'SILENT DESTINATION FAILURE',
  failed: 'Failed',
  cancelled: 'Cancelled',
  unverified: 'Unverified',
  'in-progress': 'In progress',
  succeeded: 'Succeeded',
};

/** Solid theme colour per verdict; the silent failure also gets a warning sign and capitals. */
export function VerdictBadge({ verdict, count }: { verdict: Verdict; count?: number }) {
  const theme = useTheme2();
  const { bg, fg } = verdictColors(theme, verdict);
  const silent = verdict === 'silent-destination-failure';
  const cls = css({
    background: bg,
    color: fg,
    borderRadius: theme.shape.radius.default,
    padding: theme.spacing(0, 0.75),
    fontWeight: silent ? theme.typography.fontWeightBold : theme.typography.fontWeightMedium,
    whiteSpace: 'nowrap',
    lineHeight: '18px',
    outline: silent ? `2px solid ${theme.colors.error.border}` : undefined,
  });
  return (
    <span
      className={cls}
      data-testid={count === undefined ? TEST_IDS.badge : TEST_IDS.summaryCount}
      data-verdict={verdict}
      title={
        silent
          ? 'The destination reset a VFIO device during switchover while every control plane recorded success'
          : undefined
      }
    >
      {silent ? '⚠ ' : ''}
      {VERDICT_LABELS[verdict]}
      {count === undefined ? '' : `: ${count}`}
    </span>
  );
}
