import { readFile } from 'node:fs/promises';
import type { CmdlineReader } from '../../records/pid-vm-cache.js';

/** What a live journal's pids mean on this host: its boot id and `/proc/PID/cmdline`. */
export async function readLocalBootId(): Promise<string | undefined> {
  try {
    return (await readFile('/proc/sys/kernel/random/boot_id', 'utf8')).trim().replaceAll('-', '');
  } catch {
    return undefined;
  }
}

export const procCmdlineReader: CmdlineReader = async (pid) => {
  try {
    const raw = await readFile(`/proc/${pid}/cmdline`);
    const argv = raw.toString('utf8').split('\0');
    if (argv[argv.length - 1] === '') argv.pop();
    return argv.length ? argv : undefined;
  } catch {
    return undefined;
  }
};
