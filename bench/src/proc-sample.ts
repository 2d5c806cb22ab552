import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * CPU and memory of running processes, read from /proc as `top` and `ps` do: CPU time is utime +
 * stime of /proc/PID/stat (clock ticks), memory the resident set (VmRSS of /proc/PID/status).
 */

let ticks: number | undefined;
function clockTicks(): number {
  if (ticks === undefined) {
    try {
      ticks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticks = 100;
    }
  }
  return ticks;
}

/** CPU seconds used so far by `pid`. */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may hold spaces and parentheses: count fields after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // utime and stime are fields 14 and 15 of the whole line, 12 and 13 after the name and state.
  return (Number(fields[11]) + Number(fields[12])) / clockTicks();
}

/** Resident set size of `pid`, bytes. */
export function rssBytes(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(m[1]) * 1024;
}

export interface Footprint {
  /** Mean CPU use over the window, percent of one core. */
  cpuPercent: number;
  rssMeanBytes: number;
  rssMaxBytes: number;
  samples: number;
}

/** Samples every pid every `sampleMs` for `windowMs`, all over the same window. */
export async function sampleWindow(
  pids: readonly number[],
  windowMs: number,
  sampleMs = 1000,
): Promise<Footprint[]> {
  const cpu0 = pids.map(cpuSeconds);
  const t0 = process.hrtime.bigint();
  const rss: number[][] = pids.map(() => []);
  const end = Date.now() + windowMs;
  while (Date.now() < end) {
    pids.forEach((p, i) => rss[i]!.push(rssBytes(p)));
    await sleep(Math.min(sampleMs, Math.max(0, end - Date.now())));
  }
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  return pids.map((p, i) => {
    const r = rss[i]!;
    return {
      cpuPercent: ((cpuSeconds(p) - cpu0[i]!) / seconds) * 100,
      rssMeanBytes: r.reduce((a, b) => a + b, 0) / r.length,
      rssMaxBytes: Math.max(...r),
      samples: r.length,
    };
  });
}
