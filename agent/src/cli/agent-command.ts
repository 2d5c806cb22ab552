import { hostname } from 'node:os';
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../config/load.js';
import { DEFAULT_CONFIG_PATH, type AgentConfig } from '../config/schema.js';
import { Agent } from '../daemon/agent.js';
import { SystemdNotifier } from '../daemon/notify.js';
import { createLogger } from '../lib/log.js';
import { installCrashGuard } from './crash-guard.js';
import { EXIT, type Io } from './usage.js';
import { VERSION } from './version.js';

export const AGENT_HELP = `Usage: switchover agent [--config FILE] [--check]

Runs the per-host daemon: follows every QEMU live migration on this host through the enabled inputs
(dedicated QMP sockets, libvirt's virsh event relay, journald, libvirt domain logs, a Proxmox VE
node's journal, task logs and VM configs), and exports
sessions, VFIO device transitions, return-path status and verdicts on /metrics (Prometheus), as
OpenTelemetry spans (OTLP), and in the flight recorder served at /api/migrations.

Options:
  --config FILE   YAML configuration (default ${DEFAULT_CONFIG_PATH}; documented example:
                  /usr/share/switchover/switchover.example.yaml, deploy/ in the repository).
                  Environment variables SWITCHOVER_* override it.
  --check         validate the configuration as a start would (types, globs, URLs, TLS files), print it
                  with secrets masked, and exit (0 valid, 2 invalid)
  -h, --help      this help

Every configuration problem is reported at once, one line each, naming the file and line or the
environment variable it came from; warnings (basic auth without TLS off loopback, an unknown
SWITCHOVER_* variable) do not stop the agent.

Stops cleanly on SIGTERM or SIGINT (inputs first, then the recorder is flushed). An internal error that
escapes a component is counted in switchover_errors_total{stage="process"} and logged; the agent keeps
running. Exit codes: 0 after a clean stop, 2 for a bad configuration, 3 when the agent cannot start.
`;

/** The command line of `switchover agent`, also used to suggest the closest option to a typo. */
export const AGENT_OPTIONS = {
  config: { type: 'string' },
  check: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

/** The configuration as `--check` prints it: secrets masked. */
function shown(config: AgentConfig): unknown {
  const mask = (o: Record<string, string>): Record<string, string> =>
    Object.fromEntries(Object.keys(o).map((k) => [k, '***']));
  return {
    ...config,
    http: {
      ...config.http,
      basicAuth: config.http.basicAuth ? { username: config.http.basicAuth.username, password: '***' } : null,
    },
    otlp: { ...config.otlp, headers: mask(config.otlp.headers) },
  };
}

export async function agentCommand(argv: string[], io: Io): Promise<number> {
  const { values } = parseArgs({ args: argv, options: AGENT_OPTIONS, strict: true });
  if (values.help) {
    io.out(AGENT_HELP);
    return EXIT.ok;
  }
  const warnings: string[] = [];
  let config: AgentConfig;
  try {
    config = loadConfig(values.config ?? DEFAULT_CONFIG_PATH, {
      env: io.env,
      hostname: hostname(),
      onWarning: (w) => warnings.push(w),
    });
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    // One line per problem, each naming where the value came from: nothing else, no stack.
    for (const w of warnings) io.err(`switchover agent: warning: ${w}\n`);
    for (const p of err.problems) io.err(`switchover agent: ${p}\n`);
    const n = err.problems.length;
    io.err(`switchover agent: ${n} problem${n === 1 ? '' : 's'} in the configuration; nothing was started\n`);
    return EXIT.usage;
  }
  if (values.check) {
    for (const w of warnings) io.err(`switchover agent: warning: ${w}\n`);
    io.out(`configuration is valid:\n${JSON.stringify(shown(config), null, 2)}\n`);
    return EXIT.ok;
  }
  const logger = createLogger(config.log.level, io.err);
  const notifier = new SystemdNotifier(io.env, (err) =>
    logger.warn('systemd-notify failed', { err: (err as Error).message }),
  );
  for (const w of warnings) logger.warn(w);
  let agent: Agent;
  try {
    agent = new Agent(config, { logger, version: VERSION, env: io.env });
  } catch (err) {
    // The configuration check covers what is known to fail here; anything else is still one line.
    logger.error('the agent could not start', { err: (err as Error).message });
    return EXIT.runtime;
  }
  const removeGuard = installCrashGuard(process, {
    count: (stage, type) => agent.metrics.error(stage, type),
    log: (type, err, suppressed) =>
      logger.error(`${type.replace(/_/g, ' ')}: a bug, counted and survived; please report it`, {
        err: err instanceof Error ? (err.stack ?? err.message) : String(err),
        ...(suppressed > 0 ? { suppressed } : {}),
      }),
  });
  try {
    await agent.start();
  } catch (err) {
    logger.error('the agent could not start', { err: (err as Error).message });
    await agent.stop();
    removeGuard();
    return EXIT.runtime;
  }
  notifier.ready();
  // One guarded handler: the first signal stops the agent, a second one during the stop forces the exit.
  return new Promise<number>((resolve) => {
    let stopping = false;
    const onSignal = (signal: NodeJS.Signals): void => {
      if (stopping) {
        logger.warn('second signal during stop: exiting now', { signal });
        process.exit(EXIT.runtime);
      }
      stopping = true;
      logger.info('stopping', { signal });
      notifier.stopping();
      void agent.stop().then(() => {
        process.off('SIGTERM', onSignal);
        process.off('SIGINT', onSignal);
        removeGuard();
        resolve(EXIT.ok);
      });
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
}
