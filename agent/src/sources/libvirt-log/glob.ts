import path from 'node:path';

export { compileGlob, type FileGlob } from '../../lib/glob.js';

/** libvirt names a domain's log `<vm>.log`. */
export function vmNameFromLogPath(file: string): string {
  const base = path.basename(file);
  return base.endsWith('.log') ? base.slice(0, -'.log'.length) : base;
}
