/**
 * Alert rules, in the style of node_exporter's mixin: CamelCase names, explicit `for`, a `severity`
 * label, summary/description naming VM, device and host, a runbook link. Thresholds come from
 * CONFIG only; metric and label names from @switchover/model only.
 */
import { LABELS, METRICS } from '@switchover/model';
import { alertRule, newOrIncreased } from './promql.mjs';

export function alertGroups(c) {
  const rule = (alert, spec) => alertRule(c, alert, spec);
  const { vm, device, role, outcome, input, stage, errorType } = LABELS;
  const sessionsIn = (w, sel = '') =>
    `sum by (instance, job, ${role}) (increase(${METRICS.sessions}{${sel}}[${w}]))`;
  const finished = `${outcome}!="in-progress"`;

  const migration = [
    rule('QemuMigrationDestinationLost', {
      expr: newOrIncreased(METRICS.destinationLost, c.destinationLostWindow, c.agentSelector),
      for: '0m',
      severity: 'critical',
      summary: `VM {{ $labels.${vm} }} may be running nowhere: its QEMU died on destination {{ $labels.${LABELS.host} }} right after a live migration`,
      description:
        `The live migration of VM {{ $labels.${vm} }} to host {{ $labels.${LABELS.host} }} ({{ $labels.instance }}) completed, ` +
        `then the destination QEMU died inside the attribution window (a hardware error after a failed VFIO device ` +
        `reset, an exit on the failed transition, or a crash). If the source had quit, the VM runs on no host while ` +
        `the control plane shows it migrated; if libvirt rolled the switchover back, it runs on the source again. ` +
        `Find where it runs and restart it if it runs nowhere; 'switchover review' with both hosts' logs tells which.`,
    }),
    rule('QemuMigrationSilentDestinationFailure', {
      expr: newOrIncreased(METRICS.silentDestinationFailures, c.silentFailureWindow, c.agentSelector),
      for: '0m',
      severity: 'critical',
      summary: `VM {{ $labels.${vm} }}: device {{ $labels.${device} }} failed silently on destination {{ $labels.instance }} after live migration`,
      description:
        `VFIO device {{ $labels.${device} }} of VM {{ $labels.${vm} }} failed its RESUMING to RUNNING transition on ` +
        `destination host {{ $labels.instance }} ({{ $value | humanize }} in the last ${c.silentFailureWindow}). ` +
        `QEMU reset the device and the VM kept running; the source host and the control plane recorded a ` +
        `successful migration. Work the guest had in flight on that device is lost. Check the guest, then run ` +
        `'switchover review' with both hosts' logs for the evidence lines.`,
    }),
    rule('QemuMigrationDestinationLoadFailure', {
      expr: newOrIncreased(METRICS.loadFailures, c.loadFailureWindow, c.agentSelector),
      for: '0m',
      severity: 'warning',
      summary: `Destination {{ $labels.instance }} rejected an incoming migration stream`,
      description:
        `QEMU on destination host {{ $labels.instance }} failed to load {{ $value | humanize }} incoming migration ` +
        `stream(s) in the last ${c.loadFailureWindow}. The VM stays on its source; the migration is reported as failed. ` +
        `The Switchover overview's timeline names the VM and the device section that failed.`,
    }),
    rule('QemuMigrationFailureRateHigh', {
      expr: [
        `(`,
        `  ${sessionsIn(c.failureRateWindow, `${outcome}="failed"`)}`,
        `  /`,
        `  ${sessionsIn(c.failureRateWindow, finished)}`,
        `) > ${c.failureRateThreshold}`,
        `and`,
        `${sessionsIn(c.failureRateWindow, finished)} >= ${c.failureRateMinSessions}`,
      ].join('\n'),
      for: c.failureRateFor,
      severity: 'warning',
      summary: `Many live migrations fail on {{ $labels.instance }} as {{ $labels.${role} }}`,
      description:
        `{{ $value | humanizePercentage }} of the migrations host {{ $labels.instance }} took part in as ` +
        `{{ $labels.${role} }} over the last ${c.failureRateWindow} failed (threshold ${c.failureRateThreshold * 100}%).`,
    }),
    rule('QemuMigrationStuck', {
      expr: `${METRICS.inProgress} > 0`,
      for: c.stuckMigrationFor,
      severity: 'warning',
      summary: `Live migration in progress on {{ $labels.instance }} for more than ${c.stuckMigrationFor}`,
      description:
        `Host {{ $labels.instance }} has had {{ $value }} migration(s) in progress as {{ $labels.${role} }} ` +
        `without a break for ${c.stuckMigrationFor}: a migration that does not converge, or a session the agent ` +
        `never saw end. Check 'query-migrate' on the VM and the agent's /api/migrations.`,
    }),
  ];

  const agent = [
    rule('SwitchoverSourceDown', {
      expr: `${METRICS.sourceUp} == 0`,
      for: c.sourceDownFor,
      severity: 'warning',
      summary: `Switchover agent on {{ $labels.instance }} lost its {{ $labels.${input} }} input`,
      description:
        `The agent on {{ $labels.instance }} has reported input {{ $labels.${input} }} ` +
        `{{ with $labels.target }}({{ . }}) {{ end }}down for ${c.sourceDownFor}. Migrations seen only through that input ` +
        `are not watched: a silent destination failure there would go unnoticed.`,
    }),
    rule('SwitchoverAgentErrorsRising', {
      expr:
        `sum by (instance, job, ${stage}, ${errorType}) (rate(${METRICS.errors}[${c.errorRateWindow}]))` +
        ` > ${c.errorRateThreshold}`,
      for: c.errorRateFor,
      severity: 'warning',
      summary: `Switchover agent on {{ $labels.instance }} is failing at stage {{ $labels.${stage} }}`,
      description:
        `The agent on {{ $labels.instance }} counts {{ $value | humanize }} errors/s of type ` +
        `{{ $labels.${errorType} }} at stage {{ $labels.${stage} }} (threshold ${c.errorRateThreshold}/s over ` +
        `${c.errorRateWindow}). Records it cannot decode are skipped, so evidence may be missing. The agent log ` +
        `names each failure once.`,
    }),
    rule('SwitchoverJournalLagHigh', {
      expr: `${METRICS.journalLag} > ${c.journalLagThresholdSeconds}`,
      for: c.journalLagFor,
      severity: 'warning',
      summary: `Switchover agent on {{ $labels.instance }} reads the journal {{ $value | humanizeDuration }} late`,
      description:
        `The agent on {{ $labels.instance }} has processed journald entries more than ` +
        `${c.journalLagThresholdSeconds}s behind their timestamps for ${c.journalLagFor}. Alerts for migrations on ` +
        `this host arrive that much later.`,
    }),
    rule('SwitchoverStateNotWritable', {
      expr: `${METRICS.stateWritable} == 0`,
      for: c.stateNotWritableFor,
      severity: 'warning',
      summary: `Switchover agent on {{ $labels.instance }} cannot write its state directory`,
      description:
        `The agent on {{ $labels.instance }} has not been able to write its state directory for ` +
        `${c.stateNotWritableFor} (read-only, full or failing). It still detects and alerts, but records ` +
        `nothing for review and saves no input position: a restart now would lose what it saw since.`,
    }),
    rule('SwitchoverLogLinesLost', {
      expr: newOrIncreased(METRICS.logLinesLost, c.linesLostWindow, c.agentSelector),
      for: '0m',
      severity: 'warning',
      summary: `Switchover agent on {{ $labels.instance }} could not read lines of its {{ $labels.${input} }} input`,
      description:
        `The agent on {{ $labels.instance }} knows of {{ $value | humanize }} line(s) of followed QEMU logs it ` +
        `could not read (input {{ $labels.${input} }}, reason {{ $labels.${LABELS.reason} }}) in the last ` +
        `${c.linesLostWindow}. A device failure line may be among them: verdicts of migrations on this host in ` +
        `that time rest on incomplete logs. Run 'switchover review' on the host's logs for those migrations.`,
    }),
    rule('SwitchoverAgentDown', {
      expr: `up{${c.agentSelector}} == 0`,
      for: c.agentDownFor,
      severity: 'warning',
      summary: `Switchover agent on {{ $labels.instance }} is down`,
      description:
        `Prometheus has not scraped the Switchover agent on {{ $labels.instance }} for ${c.agentDownFor}. ` +
        `Migrations to and from this host are not watched. Check 'systemctl status switchover-agent'.`,
    }),
  ];

  return [
    { name: 'switchover-migration.alerts', rules: migration },
    { name: 'switchover-agent.alerts', rules: agent },
  ];
}
