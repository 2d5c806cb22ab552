import { closest, didYouMean } from '../lib/closest.js';
import { EXIT, UsageError, type Io } from './usage.js';
import { VERSION } from './version.js';

const HELP = `Usage: switchover <command> [options]

Switchover follows QEMU live migrations on each hypervisor and catches the silent destination failure:
a VFIO device that failed RESUMING→RUNNING on the destination while every control plane records success.

Commands:
  agent    run the per-host daemon (QMP, virsh relay, journald, libvirt logs → metrics, spans, recorder)
  review   review the logs of both hosts after an incident

Options:
  -h, --help      help (also: switchover <command> --help)
  -v, --version   print the version

The demo (real QEMU migrations between two local "hosts") runs from a clone: npm run demo

Docs: /usr/share/doc/switchover/ (deploy.md, RUNBOOK.md) from the Debian package; in the repository
README.md, deploy/README.md, deploy/switchover.example.yaml
`;

interface Command {
  run: (argv: string[], io: Io) => Promise<number>;
  help: string;
  /** Its options, as `parseArgs` declares them: to suggest the closest one to a typo. */
  options: Record<string, { type: string; short?: string }>;
}

// Loaded on demand: `review` never pays for the daemon's OpenTelemetry and prom-client imports.
const COMMANDS: Record<string, () => Promise<Command>> = {
  agent: async () => {
    const m = await import('./agent-command.js');
    return { run: m.agentCommand, help: m.AGENT_HELP, options: m.AGENT_OPTIONS };
  },
  review: async () => {
    const m = await import('./review-command.js');
    return { run: m.reviewCommand, help: m.REVIEW_HELP, options: m.REVIEW_OPTIONS };
  },
};

const oneLine = (err: unknown): string =>
  (err instanceof Error ? `${err.name}: ${err.message}` : String(err)).replace(/\s*\n\s*/g, ' ');

export async function main(argv: string[], io: Io): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '-h' || name === '--help' || name === 'help') {
    io.out(HELP);
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  if (name === '-v' || name === '--version') {
    io.out(`switchover ${VERSION}\n`);
    return EXIT.ok;
  }
  const load = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!load) {
    io.err(`switchover: unknown command "${name}"${didYouMean(name, Object.keys(COMMANDS))}\n\n${HELP}`);
    return EXIT.usage;
  }
  if (rest.includes('--version') || rest.includes('-v')) {
    io.out(`switchover ${VERSION}\n`);
    return EXIT.ok;
  }
  const cmd = await load();
  try {
    return await cmd.run(rest, io);
  } catch (err) {
    const usage = err instanceof UsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
    if (usage) {
      io.err(`switchover ${name}: ${usageMessage(err as Error & { code?: string }, cmd)}\n\n${cmd.help}`);
      return EXIT.usage;
    }
    // One line: a stack trace is for developers (SWITCHOVER_DEBUG=1), not for the responder reading it.
    const detail = io.env.SWITCHOVER_DEBUG ? ((err as Error).stack ?? String(err)) : oneLine(err);
    io.err(`switchover ${name}: internal error: ${detail}\n`);
    return EXIT.runtime;
  }
}

/** parseArgs' message for an unknown option, made short and pointed at the option probably meant. */
function usageMessage(err: Error & { code?: string }, cmd: Command): string {
  const typed = err.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' ? /'([^']+)'/.exec(err.message)?.[1] : undefined;
  if (typed === undefined) return err.message;
  const flags = Object.entries(cmd.options).flatMap(([long, o]) => [
    `--${long}`,
    ...(o.short ? [`-${o.short}`] : []),
  ]);
  const nearest = closest(typed, flags);
  return `unknown option ${typed}${nearest ? `; did you mean ${nearest}?` : ''}`;
}
