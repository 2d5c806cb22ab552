import { parseArgs } from 'node:util';
import { runDemo } from '../demo/run.js';
import { SCENARIOS, type Scenario } from '../demo/scenarios.js';
import { EXIT, UsageError, type Io } from './usage.js';

export const DEMO_HELP = `Usage: switchover demo [options]

Starts two agents on this machine as two "hosts" (hv-a, hv-b), each with its own state directory and
HTTP port, then performs real QEMU live migrations between them (qemu-system-x86_64, TCG) and shows
progress, each paired timeline and its verdict:
  1. a healthy migration                   → succeeded
  2. a destination with the wrong RAM size → failed (the destination rejects the stream)
  3. a VFIO device failing on the destination after RESUME → silent-destination-failure
Only the VFIO device is simulated: its failure line, in QEMU 9.1+'s exact format, is written into the
destination's real log stream right after RESUME, as QEMU prints it during libvirt's \`cont\`.

Options:
  --only KEYS          comma-separated subset of: ${SCENARIOS.map((s) => s.key).join(', ')}
  --window SECONDS     destination attribution window (default 3 here; the agent's default is 30)
  --bandwidth BYTES    migration bandwidth limit in bytes/s (default 150000: a few seconds per migration)
  --port PORT          first of the two agents' HTTP ports (default 19464)
  --qemu PATH          QEMU binary (default qemu-system-x86_64)
  --keep               keep the temporary directory (logs, agent state, recorder files)
  --no-color           plain text
  -h, --help           this help

Exit codes: 0 when every scenario got its expected verdict, 1 otherwise.
`;

const EXPECTED: Record<Scenario['key'], string> = {
  healthy: 'succeeded',
  failed: 'failed',
  silent: 'silent-destination-failure',
};

function positive(name: string, v: string | undefined, dflt: number): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new UsageError(`--${name} expects a positive number, got "${v}"`);
  return n;
}

export async function demoCommand(argv: string[], io: Io): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      only: { type: 'string' },
      window: { type: 'string' },
      bandwidth: { type: 'string' },
      port: { type: 'string' },
      qemu: { type: 'string', default: 'qemu-system-x86_64' },
      keep: { type: 'boolean', default: false },
      'no-color': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    io.out(DEMO_HELP);
    return EXIT.ok;
  }
  const keys = SCENARIOS.map((s) => s.key) as string[];
  const only = values.only ? values.only.split(',').map((k) => k.trim()) : null;
  const bad = only?.filter((k) => !keys.includes(k)) ?? [];
  if (bad.length)
    throw new UsageError(`--only: unknown scenario ${bad.join(', ')} (known: ${keys.join(', ')})`);
  const results = await runDemo({
    qemuBinary: values.qemu ?? 'qemu-system-x86_64',
    windowSeconds: positive('window', values.window, 3),
    bandwidth: positive('bandwidth', values.bandwidth, 150_000),
    basePort: positive('port', values.port, 19464),
    keep: values.keep ?? false,
    only: only as Scenario['key'][] | null,
    color: io.isTTY && !values['no-color'] && !io.env.NO_COLOR,
    tty: io.isTTY,
    out: io.out,
  });
  return results.every((r) => r.verdict === EXPECTED[r.key]) ? EXIT.ok : EXIT.problemFound;
}
