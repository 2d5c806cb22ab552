// What the package installs, from where in the repository. Paths are relative to the repository root
// (sources) and to / (targets). The executable, the plugin zip and the copyright file are made.
import { readdirSync } from 'node:fs';

export const PLUGIN_ID = 'switchover-migrationtimeline-panel';

const ROOT = new URL('../../', import.meta.url);

/** Every file of a repository folder with that ending (all rule files, all dashboards: none forgotten). */
const every = (dir, ending, target) =>
  readdirSync(new URL(dir, ROOT))
    .filter((f) => f.endsWith(ending))
    .sort()
    .map((f) => [`${dir}/${f}`, `${target}/${f}`, 0o644]);

/** [source in the repository, target on the host, mode] */
export const FILES = [
  ['deploy/systemd/switchover-agent.service', 'lib/systemd/system/switchover-agent.service', 0o644],
  ['deploy/switchover.example.yaml', 'etc/switchover/agent.yaml', 0o640],
  ['deploy/switchover.example.yaml', 'usr/share/switchover/switchover.example.yaml', 0o644],
  ['README.md', 'usr/share/doc/switchover/README.md', 0o644],
  ['deploy/README.md', 'usr/share/doc/switchover/deploy.md', 0o644],
  ['deploy/libvirt/README.md', 'usr/share/doc/switchover/libvirt.md', 0o644],
  ['dashboards/RUNBOOK.md', 'usr/share/doc/switchover/RUNBOOK.md', 0o644],
  ['dashboards/README.md', 'usr/share/doc/switchover/dashboards.md', 0o644],
  ['agent/contracts/review-output.schema.json', 'usr/share/switchover/review-output.schema.json', 0o644],
  ...every('dashboards/prometheus/rules', '.yaml', 'usr/share/switchover/prometheus/rules'),
  ['deploy/prometheus/prometheus.yml', 'usr/share/switchover/prometheus/prometheus.yml', 0o644],
  ...every('dashboards/grafana', '.json', 'usr/share/switchover/grafana/dashboards'),
  [
    'dashboards/grafana/alerting/switchover-alerts.yaml',
    'usr/share/switchover/grafana/alerting/switchover-alerts.yaml',
    0o644,
  ],
  [
    'deploy/grafana/provisioning/dashboards/switchover.yaml',
    'usr/share/switchover/grafana/provisioning/dashboards/switchover.yaml',
    0o644,
  ],
  [
    'deploy/grafana/provisioning/datasources/switchover.yaml',
    'usr/share/switchover/grafana/provisioning/datasources/switchover.yaml',
    0o644,
  ],
  ['deploy/grafana/grafana.ini.example', 'usr/share/switchover/grafana/grafana.ini.example', 0o644],
  ['deploy/otel-collector/config.yaml', 'usr/share/switchover/otel-collector/config.yaml', 0o644],
  ['deploy/tempo/tempo.yaml', 'usr/share/switchover/tempo/tempo.yaml', 0o644],
  ['deploy/proxmox/override.conf', 'usr/share/switchover/proxmox/override.conf', 0o644],
];

export const CONFFILES = ['/etc/switchover/agent.yaml'];
