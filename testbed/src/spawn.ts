import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { existsSync } from 'node:fs';

/**
 * Spawn a real component (QEMU, journald) that dies with this process: util-linux `setpriv` sets
 * PR_SET_PDEATHSIG=SIGKILL and execs the command, so an interrupted test or demo leaves nothing behind.
 */
export function spawnOwned(command: string, args: readonly string[], options: SpawnOptions): ChildProcess {
  return existsSync('/usr/bin/setpriv')
    ? spawn('/usr/bin/setpriv', ['--pdeathsig', 'KILL', '--', command, ...args], options)
    : spawn(command, args, options);
}
