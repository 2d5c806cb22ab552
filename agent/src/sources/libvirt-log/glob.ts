import path from 'node:path';

/**
 * The file pattern of the libvirt log source: a literal directory and a file-name pattern where `*`
 * matches any run of characters and `?` one character (never `/`). libvirt keeps every domain log
 * in one directory, so nothing more is needed and the directory can be watched as a whole.
 */
export interface FileGlob {
  dir: string;
  pattern: string;
  matches(name: string): boolean;
}

export function compileGlob(glob: string): FileGlob {
  const dir = path.dirname(glob);
  const pattern = path.basename(glob);
  if (/[*?[\]]/.test(dir)) throw new Error(`glob ${glob}: wildcards are only supported in the file name`);
  if (pattern === '' || pattern === '.' || pattern === '..')
    throw new Error(`glob ${glob}: no file name pattern`);
  let re = '^';
  for (const ch of pattern) {
    if (ch === '*') re += '[^/]*';
    else if (ch === '?') re += '[^/]';
    else re += ch.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  const rx = new RegExp(`${re}$`);
  return { dir, pattern, matches: (name) => rx.test(name) };
}

/** libvirt names a domain's log `<vm>.log`. */
export function vmNameFromLogPath(file: string): string {
  const base = path.basename(file);
  return base.endsWith('.log') ? base.slice(0, -'.log'.length) : base;
}
