import { mkdir, open } from 'node:fs/promises';
import path from 'node:path';
import type { LatencyRunner, VmStream } from './latency.js';

/** libvirt's own first line of a domain log (`YYYY-MM-DD HH:MM:SS.mmm+0000: …`). */
const libvirtStamp = (d: Date): string => `${d.toISOString().replace('T', ' ').replace('Z', '')}+0000`;

/**
 * Domain logs in `dir/<vm>.log`, written the way virtlogd does: one file per VM, opened for append
 * and kept open, one `write()` per line.
 */
export function fileRunner(dir: string): LatencyRunner {
  let tid = 41_000;
  return {
    input: 'file',
    path: `libvirt domain log ${path.join(dir, '*.log')} (read on inotify events; the agent's default rescan as safety net)`,
    async open(vm: string): Promise<VmStream> {
      await mkdir(dir, { recursive: true });
      const fh = await open(path.join(dir, `${vm}.log`), 'a');
      const write = async (line: string): Promise<void> => {
        await fh.write(`${line}\n`);
      };
      await write(
        `${libvirtStamp(new Date())}: starting up libvirt version: 9.0.0, package: 9.0.0-4+deb12u2 (Debian), qemu version: 7.2.0Debian 1:7.2+dfsg-7+deb12u13, kernel: 6.1.0-37-amd64, hostname: bench-host`,
      );
      await write('char device redirected to /dev/pts/3 (label charserial0)');
      tid += 3;
      return { tid, write, close: () => fh.close() };
    },
  };
}
