import path from 'node:path';

/**
 * The one file-glob form the agent follows (libvirt domain logs, QMP sockets): a literal directory
 * and a file-name pattern where `*` matches any run of characters and `?` one character (never
 * `/`). The directory can then be watched as a whole. Used by the inputs and by `--check`, so the
 * check refuses exactly what the inputs could not follow.
 */
export interface FileGlob {
  glob: string;
  dir: string;
  /** The file-name part as written. */
  pattern: string;
  regex: RegExp;
  matches(name: string): boolean;
}

export function globToRegExp(segment: string): RegExp {
  const body = segment
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '[^/]*')
    .replace(/\?/g, '[^/]');
  return new RegExp(`^${body}$`);
}

/** Why `glob` cannot be followed, or null; `dir` is its directory (resolved against the cwd). */
function problem(glob: string, dir: string, name: string): string | null {
  if (/[*?[\]]/.test(dir)) return 'wildcards are only supported in the file name';
  if (name === '' || name === '.' || name === '..') return 'no file name pattern';
  return null;
}

/** Compiles one glob; throws an Error naming it and what is wrong. */
export function compileGlob(glob: string): FileGlob {
  const abs = path.resolve(glob);
  const dir = path.dirname(abs);
  const pattern = path.basename(abs);
  const why = problem(glob, dir, pattern);
  if (why) throw new Error(`glob ${glob}: ${why}`);
  const regex = globToRegExp(pattern);
  return { glob, dir, pattern, regex, matches: (name) => regex.test(name) };
}

/** Compiles every glob and throws one error naming all the bad ones (fail at start-up). */
export function compileGlobs(globs: readonly string[], what: string): FileGlob[] {
  const problems: string[] = [];
  const out: FileGlob[] = [];
  if (globs.length === 0) problems.push(`no ${what} globs configured`);
  for (const glob of globs) {
    try {
      out.push(compileGlob(glob));
    } catch (err) {
      problems.push((err as Error).message);
    }
  }
  if (problems.length > 0) throw new Error(`invalid ${what} globs: ${problems.join('; ')}`);
  return out;
}
