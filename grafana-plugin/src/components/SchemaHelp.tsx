import React from 'react';
import { useStyles2 } from '@grafana/ui';
import { EXPECTED_SCHEMA, type SchemaProblem } from '../data/migrations';
import { TEST_IDS } from '../testIds';
import { getStyles } from './styles';

/** Shown instead of an empty panel when frames arrived but none had the fields a timeline needs. */
export function SchemaHelp({ problems }: { problems: SchemaProblem[] }) {
  const styles = useStyles2(getStyles);
  const code = (s: readonly string[]) => <span className={styles.code}>{s.join(', ')}</span>;
  return (
    <div className={styles.help} data-testid={TEST_IDS.schemaHelp}>
      <p>The data has no migration timeline in it. Missing fields:</p>
      <ul>
        {problems.map((p) => (
          <li key={p.frame} data-frame={p.frame}>
            {p.frame}: {code(p.missing)}
          </li>
        ))}
      </ul>
      <p>This panel expects one of:</p>
      <ul>
        <li>
          Tempo TraceQL results (table format Spans or Traces, or a trace ID) of the agent&apos;s spans, with fields{' '}
          {code(EXPECTED_SCHEMA.tempoSpans)} (add the attributes with <span className={styles.code}>select(…)</span>)
        </li>
        <li>
          the sessions table (<span className={styles.code}>/api/migrations?format=table</span> or a CSV) with fields{' '}
          {code(EXPECTED_SCHEMA.table)}
        </li>
      </ul>
    </div>
  );
}
