import { main } from '../../src/cli/main.js';
import type { Io } from '../../src/cli/usage.js';

export interface CliRun {
  code: number;
  out: string;
  err: string;
}

/** Runs the `switchover` CLI in-process with captured output (not a TTY unless asked). */
export async function runCli(
  argv: string[],
  o: { tty?: boolean; env?: NodeJS.ProcessEnv } = {},
): Promise<CliRun> {
  let out = '';
  let err = '';
  const io: Io = { out: (s) => (out += s), err: (s) => (err += s), isTTY: o.tty ?? false, env: o.env ?? {} };
  const code = await main(argv, io);
  return { code, out, err };
}
