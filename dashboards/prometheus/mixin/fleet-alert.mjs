/**
 * QemuMigrationDestinationUnverified: the fleet's blind spot. A source agent vouches for its side of
 * a migration; only a destination agent can see a silent destination failure. When no agent reported
 * the destination side at all, nobody would have seen one.
 */
import { LABELS, METRICS } from '@switchover/model';
import { FLEET } from './fleet-names.mjs';
import { alertRule } from './promql.mjs';

export function destinationUnverified(c) {
  const { vm, role } = LABELS;
  return alertRule(c, 'QemuMigrationDestinationUnverified', {
    // The VM's latest migration is a source that completed with no destination session reported
    // by any agent; `instance` is the source host. The peer is looked up for the text only, so an
    // agent restart that briefly hides it cannot change the alert's labels and restart `for`.
    expr: [
      `max by (${vm}, instance) (`,
      `  label_replace(${FLEET.verdict}{${LABELS.verdict}="unverified", ${LABELS.sourceInstance}!="", ${LABELS.destinationInstance}=""}, "instance", "$1", "${LABELS.sourceInstance}", "(.*)")`,
      `)`,
    ].join('\n'),
    for: c.destinationUnverifiedFor,
    severity: 'warning',
    summary: `VM {{ $labels.${vm} }} migrated away from {{ $labels.instance }}, but no agent reported its destination`,
    description:
      `Source host {{ $labels.instance }} completed a live migration of VM {{ $labels.${vm} }}` +
      // A Go raw string, as the selector holds double quotes.
      `{{ with printf \`${METRICS.vmPeerInfo}{${c.agentSelector},instance=%q,${vm}=%q,${role}="source"}\` $labels.instance $labels.${vm} | query }}` +
      `{{ with . | first }} to {{ .Labels.${LABELS.peer} }}{{ end }}{{ end }}` +
      ` (started {{ $value | humanizeTimestamp }}), and no Switchover agent has reported the destination side ` +
      `for ${c.destinationUnverifiedFor}. A silent destination failure there would go unnoticed. Likely causes: the ` +
      `destination host runs no agent, its agent is down (SwitchoverAgentDown) or not scraped, or the input that ` +
      `would see the VM there is down or missed it (SwitchoverSourceDown). Check the VM on its new host.`,
  });
}
