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
  };
  detection: { windowSeconds: number; resumeWaitSeconds: number; maxOpenSessions: number };
  recorder: { maxBytes: number };
  otlp: { endpoint: string | null; headers: Record<string, string> };
  log: { level: LogLevel };
}

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

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
    },
    detection: { windowSeconds: 30, resumeWaitSeconds: 600, maxOpenSessions: 1000 },
    recorder: { maxBytes: 64 * 1024 * 1024 },
    otlp: { endpoint: null, headers: {} },
    log: { level: 'info' },
  };
}
