import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { parseUpid } from '../../records/proxmox-lines.js';

/** A task log ends with `TASK OK`, `TASK WARNINGS: N` or `TASK ERROR: …` (pve-common's worker end). */
export const TASK_END = /^TASK (?:OK|ERROR|WARNINGS)/;

export interface MigrationTask {
  file: string;
  vmid: string;
  /** The task's start, epoch seconds (from its UPID). */
  startTime: number;
}

/**
 * The `qmigrate` task logs in a Proxmox tasks folder: `<dir>/<X>/UPID:…:qmigrate:<VMID>:<user>:`,
 * one sub-folder per last hex digit of the start time. Null when the folder itself cannot be read;
 * a sub-folder that cannot be read is reported under its own key and skipped.
 */
export async function listMigrationTasks(
  dir: string,
  report: { failed: (key: string, err: unknown) => void; ok: (key: string) => void },
): Promise<MigrationTask[] | null> {
  let subdirs: string[];
  try {
    subdirs = (await fsp.readdir(dir)).filter((d) => /^[0-9A-Fa-f]$/.test(d)).sort();
    report.ok('scan');
  } catch (err) {
    report.failed('scan', err);
    return null;
  }
  const out: MigrationTask[] = [];
  for (const sub of subdirs) {
    let names: string[];
    try {
      names = await fsp.readdir(path.join(dir, sub));
      report.ok(`scan:${sub}`);
    } catch (err) {
      report.failed(`scan:${sub}`, err);
      continue;
    }
    for (const n of names) {
      const upid = parseUpid(n);
      if (upid?.type === 'qmigrate')
        out.push({ file: path.join(dir, sub, n), vmid: upid.id, startTime: upid.startTime });
    }
  }
  return out;
}

/** Whether a task log already holds its final `TASK …` line (read from its last bytes). */
export async function taskFinished(file: string): Promise<boolean> {
  const fh = await fsp.open(file, 'r');
  try {
    const { size } = await fh.stat();
    const len = Math.min(size, 4096);
    const buf = Buffer.alloc(len);
    await fh.read(buf, 0, len, size - len);
    const lines = buf.toString('utf8').split('\n').filter(Boolean);
    return lines.length > 0 && TASK_END.test(lines[lines.length - 1] as string);
  } finally {
    await fh.close();
  }
}
