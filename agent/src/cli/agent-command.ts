import { hostname } from 'node:os';
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../config/load.js';
import { DEFAULT_CONFIG_PATH } from '../config/schema.js';
import { Agent } from '../daemon/agent.js';
import { SystemdNotifier } from '../daemon/notify.js';
import { createLogger } from '../log.js';
import { installCrashGuard } from './crash-guard.js';
import { EXIT, type Io } from './usage.js';
import { VERSION } from './version.js';

export const AGENT_HELP = `Usage: switchover agent [--config FILE] [--check]

Runs the per-host daemon: follows every QEMU live migration on this host through the enabled inputs
(dedicated QMP sockets, libvirt's virsh event relay, journald, libvirt domain logs), and exports
sessions, VFIO device transitions, return-path status and verdicts on /metrics (Prometheus), as
OpenTelemetry spans (OTLP), and in the flight recorder served at /api/migrations.

Options:
  --config FILE   YAML configuration (default ${DEFAULT_CONFIG_PATH}; documented example:
                  deploy/switchover.example.yaml). Environment variables SWITCHOVER_* override it.
  --check         validate the configuration, print it, and exit (0 valid, 2 invalid)
  -h, --help      this help

Stops cleanly on SIGTERM or SIGINT (inputs first, then the recorder is flushed). Exit codes: 0 after a
clean stop, 2 for a bad configuration, 3 when the agent cannot start.
`;

export async function agentCommand(argv: string[], io: Io): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      config: { type: 'string' },
      check: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    io.out(AGENT_HELP);
    return EXIT.ok;
  }
  let config;
  try {
    config = loadConfig(values.config ?? DEFAULT_CONFIG_PATH, { env: io.env, hostname: hostname() });
  } catch (err) {
    if (err instanceof ConfigError) {
      io.err(`switchover agent: ${err.message}\n`);
      return EXIT.usage;
    }
    throw err;
  }
  if (values.check) {
    const shown = {
      ...config,
      http: {
        ...config.http,
        basicAuth: config.http.basicAuth
          ? { username: config.http.basicAuth.username, password: '***' }
          : null,
      },
    };
    io.out(`configuration is valid:\n${JSON.stringify(shown, null, 2)}\n`);
    return EXIT.ok;
  }
  const logger = createLogger(config.log.level, io.err);
  const notifier = new SystemdNotifier(io.env, (err) =>
    logger.warn('systemd-notify failed', { err: (err as Error).message }),
  );
  const agent = new Agent(config, { logger, version: VERSION, env: io.env });
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
