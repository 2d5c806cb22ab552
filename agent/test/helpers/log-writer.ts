import { spawn } from 'node:child_process';

/**
 * A writer process for rotation tests, standing in for virtlogd: it appends numbered lines to a
 * domain log at a fixed rate, one `write()` per batch, and rotates the file itself:
 * - `rename`: closes the file, shifts `vm.log.N` to `vm.log.N+1` and `vm.log` to `vm.log.1`, and
 *   opens a new `vm.log` (what virtlogd and logrotate's create mode do);
 * - `copytruncate`: copies `vm.log` to `vm.log.K` and truncates `vm.log` to 0 (logrotate's
 *   copytruncate, with the writer paused meanwhile, so that no line can fall between copy and truncate).
 * It runs in its own process, so a slow reader in the test process never slows the writer down.
 */
export interface WriterRun {
  /** Resolves with the number of lines written, when the writer exits. */
  done: Promise<number>;
}

const SCRIPT = `
const fs = require('fs');
const [file, from, count, rate, mode, every] = process.argv.slice(1);
const first = Number(from), total = Number(count), perSec = Number(rate), rotateMs = Number(every);
let fd = fs.openSync(file, 'a');
let n = 0, copies = 0, lastRotate = Date.now();
const pad = 'x'.repeat(60);
const line = (i) => 'L' + String(first + i).padStart(9, '0') + ' ' + pad + '\\n';
function rotate() {
  if (mode === 'rename') {
    fs.closeSync(fd);
    let k = 1;
    while (fs.existsSync(file + '.' + k)) k++;
    for (; k > 1; k--) fs.renameSync(file + '.' + (k - 1), file + '.' + k);
    fs.renameSync(file, file + '.1');
    fd = fs.openSync(file, 'a');
  } else if (mode === 'copytruncate') {
    fs.copyFileSync(file, file + '.' + ++copies);
    fs.truncateSync(file, 0);
  }
}
function batch(size) {
  let s = '';
  for (let i = 0; i < size && n < total; i++, n++) s += line(n);
  if (s) fs.writeSync(fd, s);
}
if (perSec === 0) { while (n < total) batch(1000); fs.closeSync(fd); process.stdout.write(String(n)); process.exit(0); }
const perTick = Math.max(1, Math.round(perSec / 100));
const t = setInterval(() => {
  batch(perTick);
  if (mode !== 'none' && Date.now() - lastRotate >= rotateMs && n < total) { rotate(); lastRotate = Date.now(); }
  if (n >= total) { clearInterval(t); fs.closeSync(fd); process.stdout.write(String(n)); }
}, 10);
`;

/** Lines `from`…`from+count-1` as the writer spells them. */
export const writerLine = (i: number): string => `L${String(i).padStart(9, '0')} ${'x'.repeat(60)}`;

export function startWriter(o: {
  file: string;
  from: number;
  count: number;
  /** Lines per second; 0 writes everything at once. */
  rate: number;
  mode: 'none' | 'rename' | 'copytruncate';
  rotateEveryMs?: number;
}): WriterRun {
  const child = spawn(
    process.execPath,
    [
      '-e',
      SCRIPT,
      o.file,
      String(o.from),
      String(o.count),
      String(o.rate),
      o.mode,
      String(o.rotateEveryMs ?? 0),
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const done = new Promise<number>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0 ? resolve(Number(out)) : reject(new Error(`writer exited ${code}`)),
    );
  });
  return { done };
}
