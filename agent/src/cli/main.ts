import { agentCommand, AGENT_HELP } from './agent-command.js';
import { demoCommand, DEMO_HELP } from './demo-command.js';
import { reviewCommand, REVIEW_HELP } from './review-command.js';
import { EXIT, UsageError, type Io } from './usage.js';
import { VERSION } from './version.js';

const HELP = `Usage: switchover <command> [options]

Switchover follows QEMU live migrations on each hypervisor and catches the silent destination failure:
a VFIO device that failed RESUMING→RUNNING on the destination while every control plane records success.

Commands:
  agent    run the per-host daemon (QMP, virsh relay, journald, libvirt logs → metrics, spans, recorder)
  review   review the logs of both hosts after an incident
  demo     run real QEMU migrations between two local "hosts" and show what Switchover sees

Options:
  -h, --help      help (also: switchover <command> --help)
  -v, --version   print the version

Docs: README.md, deploy/README.md, deploy/switchover.example.yaml
`;

const COMMANDS: Record<string, { run: (argv: string[], io: Io) => Promise<number>; help: string }> = {
  agent: { run: agentCommand, help: AGENT_HELP },
  review: { run: reviewCommand, help: REVIEW_HELP },
  demo: { run: demoCommand, help: DEMO_HELP },
};

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
  const cmd = COMMANDS[name];
  if (!cmd) {
    io.err(`switchover: unknown command "${name}"\n\n${HELP}`);
    return EXIT.usage;
  }
  if (rest.includes('--version') || rest.includes('-v')) {
    io.out(`switchover ${VERSION}\n`);
    return EXIT.ok;
  }
  try {
    return await cmd.run(rest, io);
  } catch (err) {
    const usage = err instanceof UsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
    if (usage) {
      io.err(`switchover ${name}: ${(err as Error).message}\n\n${cmd.help}`);
      return EXIT.usage;
    }
    io.err(`switchover ${name}: ${(err as Error).stack ?? String(err)}\n`);
    return EXIT.runtime;
  }
}
