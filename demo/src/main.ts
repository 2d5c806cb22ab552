import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { runDemo } from './run.js';
import { SCENARIOS, type Scenario } from './scenarios.js';

/** The help text lives in help.txt so that `npm run demo -- --help` can print it before anything is built. */
export const DEMO_HELP = readFileSync(new URL('../help.txt', import.meta.url), 'utf8');

const EXPECTED: Record<Scenario['key'], string> = {
  healthy: 'succeeded',
  failed: 'failed',
  silent: 'silent-destination-failure',
};

class UsageError extends Error {}

function positive(name: string, v: string | undefined, dflt: number): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new UsageError(`--${name} expects a positive number, got "${v}"`);
  return n;
}

export interface DemoIo {
  out: (s: string) => void;
  err: (s: string) => void;
  isTTY: boolean;
  env: NodeJS.ProcessEnv;
}

/** Exit codes: 0 every scenario got its expected verdict, 1 one did not, 2 bad options, 3 the demo failed. */
export async function demoMain(argv: string[], io: DemoIo): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
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
    }));
  } catch (err) {
    io.err(`demo: ${(err as Error).message}\n\n${DEMO_HELP}`);
    return 2;
  }
  if (values.help) {
    io.out(DEMO_HELP);
    return 0;
  }
  try {
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
    return results.every((r) => r.verdict === EXPECTED[r.key]) ? 0 : 1;
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`demo: ${err.message}\n\n${DEMO_HELP}`);
      return 2;
    }
    io.err(`demo: ${(err as Error).message}\n`);
    return 3;
  }
}
