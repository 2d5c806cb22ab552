/** Small PromQL builders shared by the alert and recording rules. */

/**
 * Failures counted by a counter whose series only appears at the first failure (prom-client
 * exports a labelled counter once it is incremented). `increase()` needs two samples, so a series
 * born at 1 never "increases": the second branch catches series that did not exist `window` ago.
 * A target that was down `window` ago (agent restart that restored its counters) is excluded so
 * old failures do not page twice.
 */
export function newOrIncreased(metric, window, agentSelector) {
  return [
    `(`,
    `  increase(${metric}[${window}]) > 0`,
    `)`,
    `or`,
    `(`,
    `  (${metric} unless ${metric} offset ${window})`,
    `  unless on (instance, job)`,
    `  (up{${agentSelector}} offset ${window} == 0)`,
    `)`,
  ].join('\n');
}

export const runbook = (base, alertName) => `${base}#${alertName.toLowerCase()}`;

/** An alert in the house style: explicit `for`, a `severity` label, summary, description, runbook link. */
export const alertRule = (c, alert, { expr, for: forDuration, severity, summary, description }) => ({
  alert,
  expr,
  for: forDuration,
  labels: { severity },
  annotations: { summary, description, runbook_url: runbook(c.runbookBase, alert) },
});
