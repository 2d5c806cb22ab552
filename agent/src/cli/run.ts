import { main } from './main.js';
import { EXIT, type Io } from './usage.js';

const io: Io = {
  out: (s) => process.stdout.write(s),
  err: (s) => process.stderr.write(s),
  isTTY: process.stdout.isTTY === true,
  env: process.env,
};

main(process.argv.slice(2), io).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    const e = err as Error;
    process.stderr.write(
      `switchover: internal error: ${process.env.SWITCHOVER_DEBUG ? (e.stack ?? String(err)) : `${e.name}: ${e.message}`}\n`,
    );
    process.exitCode = EXIT.runtime;
  },
);
