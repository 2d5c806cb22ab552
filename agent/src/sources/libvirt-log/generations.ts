import { createReadStream, promises as fsp } from 'node:fs';
import path from 'node:path';
import { createGunzip } from 'node:zlib';
import { LineSplitter } from '../line-splitter.js';
import { FINGERPRINT_BYTES, fingerprintOf, type FilePosition, type LineSink } from './tailer.js';

/**
 * The older generations of a domain log, as rotation leaves them next to it: virtlogd's `vm.log.0`,
 * logrotate's `vm.log.1` or `vm.log-20250101`, compressed or not. When the agent finds the file it
 * follows replaced, every generation written since it opened that file is one it has not read yet
 * (a rotation can outlast a long read, several can happen while the agent is down), and a copy made
 * by copytruncate holds the lines that were past the agent's position when the file was truncated.
 */

export interface Generation {
  file: string;
  dev: number;
  ino: number;
  mtimeMs: number;
  size: number;
  /** `gz` is read through gunzip; another compression cannot be read. */
  compression: 'gz' | 'other' | null;
}

const COMPRESSED = /\.(gz|xz|bz2|zst|lz4|lzma|Z)$/;

/** `vm.log.1`, `vm.log.0.gz`, `vm.log-20250101` for `vm.log`; never the log itself. */
export function isGenerationName(base: string, name: string): boolean {
  if (name.length <= base.length + 1 || !name.startsWith(base)) return false;
  const sep = name.charCodeAt(base.length);
  return sep === 46 /* . */ || sep === 45 /* - */;
}

/** A file in `dir` with the given device and inode (a log renamed by rotation), if any. */
export async function findByInode(
  dir: string,
  id: { dev: number; ino: number },
): Promise<string | undefined> {
  for (const name of await fsp.readdir(dir).catch(() => [] as string[])) {
    const file = path.join(dir, name);
    const st = await fsp.stat(file).catch(() => undefined);
    if (st && st.dev === id.dev && st.ino === id.ino) return file;
  }
  return undefined;
}

export const idOf = (x: { dev: number; ino: number }): string => `${x.dev}:${x.ino}`;

/**
 * Generations of `logFile` in its directory that are regular files, not `known` (by device and
 * inode) and modified after `newerThanMs`, oldest first.
 */
export async function generationsOf(
  logFile: string,
  opts: { known: ReadonlySet<string>; newerThanMs: number },
): Promise<Generation[]> {
  const dir = path.dirname(logFile);
  const base = path.basename(logFile);
  const names = (await fsp.readdir(dir).catch(() => [] as string[])).filter((n) => isGenerationName(base, n));
  const out: Generation[] = [];
  for (const name of names) {
    const file = path.join(dir, name);
    const st = await fsp.stat(file).catch(() => undefined);
    if (!st?.isFile() || opts.known.has(idOf(st)) || !(st.mtimeMs > opts.newerThanMs)) continue;
    const m = COMPRESSED.exec(name);
    out.push({
      file,
      dev: st.dev,
      ino: st.ino,
      mtimeMs: st.mtimeMs,
      size: st.size,
      compression: m ? (m[1] === 'gz' ? 'gz' : 'other') : null,
    });
  }
  return out.sort((a, b) => a.mtimeMs - b.mtimeMs || a.file.localeCompare(b.file));
}

/**
 * The lines of a gzip-compressed generation, in order. Compression turned a file the agent may have
 * read (or started to) into a new inode: `knownStart` says, from its first bytes, where reading of
 * that content stopped, and the lines before it are skipped. A generation is complete: no tailing.
 */
export async function readGzip(
  file: string,
  sink: LineSink,
  opts: {
    maxLineBytes?: number;
    onOversize: (line: number) => void;
    knownStart: (fpHash: string, fpLen: number) => Pick<FilePosition, 'offset' | 'line'> | undefined;
  },
): Promise<{ lines: number; skippedTo: number }> {
  let splitter: LineSplitter | undefined;
  let head = Buffer.alloc(0);
  let pos = 0;
  let skipTo = 0;
  let lines = 0;
  const decide = (): void => {
    const first = head.subarray(0, Math.min(FINGERPRINT_BYTES, head.length));
    const known = opts.knownStart(fingerprintOf(first), first.length);
    skipTo = known?.offset ?? 0;
    splitter = new LineSplitter({
      maxLineBytes: opts.maxLineBytes,
      startOffset: skipTo,
      startLine: known?.line ?? 0,
      onOversize: (i) => opts.onOversize(i.line),
    });
  };
  const feed = async (chunk: Buffer): Promise<void> => {
    const start = pos;
    pos += chunk.length;
    if (pos <= skipTo) return;
    for (const l of splitter!.push(start >= skipTo ? chunk : chunk.subarray(skipTo - start))) {
      await sink(l);
      lines++;
    }
  };
  for await (const chunk of createReadStream(file).pipe(createGunzip())) {
    if (splitter) {
      await feed(chunk as Buffer);
      continue;
    }
    head = Buffer.concat([head, chunk as Buffer]);
    if (head.length >= FINGERPRINT_BYTES) {
      decide();
      await feed(head);
    }
  }
  if (!splitter) {
    decide();
    await feed(head);
  }
  const last = splitter!.flush();
  if (last && pos > skipTo) {
    await sink(last);
    lines++;
  }
  return { lines, skippedTo: skipTo };
}

/** Whether a gzip file's content starts with the bytes `fpHash` covers. */
export async function gzipStartsWith(
  file: string,
  p: Pick<FilePosition, 'fpLen' | 'fpHash'>,
): Promise<boolean> {
  if (p.fpLen === 0) return false;
  const stream = createReadStream(file).pipe(createGunzip());
  let head = Buffer.alloc(0);
  try {
    for await (const chunk of stream) {
      head = Buffer.concat([head, chunk as Buffer]);
      if (head.length >= p.fpLen) break;
    }
  } finally {
    stream.destroy();
  }
  return head.length >= p.fpLen && fingerprintOf(head.subarray(0, p.fpLen)) === p.fpHash;
}
