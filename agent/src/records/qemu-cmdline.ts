import type { VmRef } from '@switchover/model';

/** QEMU option values escape a literal comma as `,,`; split on single commas only. */
function splitOpts(value: string): string[] {
  const out: string[] = [];
  let cur = '';
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    if (c === ',') {
      if (value[i + 1] === ',') {
        cur += ',';
        i++;
        continue;
      }
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  return out;
}

/** The guest name of `-name guest=NAME,debug-threads=on` (libvirt) or `-name NAME[,process=…]`. */
export function guestName(value: string): string | undefined {
  const opts = splitOpts(value);
  for (const [i, opt] of opts.entries()) {
    if (opt.startsWith('guest=')) return opt.slice('guest='.length) || undefined;
    // The first option without a key is the implied `guest`.
    if (i === 0 && !opt.includes('=') && opt !== '') return opt;
  }
  return undefined;
}

/**
 * The VM a QEMU command line runs, from `-name` and `-uuid`. Accepts journald's space-joined
 * `_CMDLINE` or the argv of `/proc/PID/cmdline`. Returns undefined for anything without `-name`.
 */
export function vmFromCmdline(cmdline: string | readonly string[]): VmRef | undefined {
  const argv = typeof cmdline === 'string' ? cmdline.split(/\s+/).filter(Boolean) : cmdline;
  let name: string | undefined;
  let uuid: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const next = argv[i + 1];
    if ((a === '-name' || a === '--name') && next !== undefined) name = guestName(next);
    else if (a.startsWith('-name=') || a.startsWith('--name=')) name = guestName(a.slice(a.indexOf('=') + 1));
    else if ((a === '-uuid' || a === '--uuid') && next !== undefined) uuid = next;
  }
  if (!name) return undefined;
  return uuid ? { name, uuid } : { name };
}
