import type { LogLevel } from '../lib/log.js';

/** The agent's configuration, after defaults and environment overrides. Documented in deploy/switchover.example.yaml. */
export interface AgentConfig {
  /** Host name in metrics, spans and pairing. */
  host: string;
  /** Flight recorder, journal cursor and file positions. */
  stateDir: string;
  http: {
    address: string;
    port: number;
    tls: { certFile: string; keyFile: string } | null;
    basicAuth: { username: string; password: string } | null;
  };
  inputs: {
    qmp: { enabled: boolean; sockets: string[]; pollIntervalMs: number };
    virsh: { enabled: boolean; binary: string; uri: string | null; timestamp: boolean };
    journald: {
      enabled: boolean;
      directory: string | null;
      namespace: string | null;
      matches: string[];
      startAt: 'now' | 'all';
    };
    libvirtLogs: { enabled: boolean; glob: string; startAt: 'end' | 'beginning'; pollIntervalMs: number };
    /** A Proxmox VE node: its journal, `qmigrate` task logs and VM configs (never its QMP sockets). */
    proxmox: {
      enabled: boolean;
      tasksDir: string;
      pveDir: string;
      /** IANA zone or `±HH:MM` of the task logs' local times; null: this host's zone. */
      timeZone: string | null;
      directory: string | null;
      namespace: string | null;
      startAt: 'now' | 'all';
      pollIntervalMs: number;
    };
  };
  detection: { windowSeconds: number; resumeWaitSeconds: number; maxOpenSessions: number };
  recorder: { maxBytes: number };
  /** Per-VM migration series on /metrics: an ended session's series go this long after its last change. */
  metrics: { vmSeriesTtlSeconds: number };
  otlp: { endpoint: string | null; headers: Record<string, string> };
  log: { level: LogLevel };
}

export const DEFAULT_CONFIG_PATH = '/etc/switchover/agent.yaml';

export function defaultConfig(hostname: string): AgentConfig {
  return {
    host: hostname,
    stateDir: '/var/lib/switchover',
    http: { address: '127.0.0.1', port: 9464, tls: null, basicAuth: null },
    inputs: {
      qmp: { enabled: false, sockets: ['/run/switchover/*.qmp'], pollIntervalMs: 1000 },
      virsh: { enabled: false, binary: 'virsh', uri: null, timestamp: false },
      journald: {
        enabled: false,
        directory: null,
        namespace: null,
        matches: ['SYSLOG_IDENTIFIER=qemu-system-x86_64'],
        startAt: 'now',
      },
      libvirtLogs: {
        enabled: false,
        glob: '/var/log/libvirt/qemu/*.log',
        startAt: 'end',
        // inotify reads appends at once; the poll only catches what it cannot see (NFS).
        pollIntervalMs: 5000,
      },
      proxmox: {
        enabled: false,
        tasksDir: '/var/log/pve/tasks',
        pveDir: '/etc/pve',
        timeZone: null,
        directory: null,
        namespace: null,
        startAt: 'now',
        pollIntervalMs: 1000,
      },
    },
    detection: { windowSeconds: 30, resumeWaitSeconds: 600, maxOpenSessions: 1000 },
    recorder: { maxBytes: 64 * 1024 * 1024 },
    metrics: { vmSeriesTtlSeconds: 3600 },
    otlp: { endpoint: null, headers: {} },
    log: { level: 'info' },
  };
}
