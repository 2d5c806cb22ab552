import { open as openCb, constants } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { constants as bufferConstants } from 'node:buffer';
import { Socket } from 'node:net';
import { ReviewInputError, ReviewLimitError, type ReviewBudget } from './limits.js';

const MiB = 1024 * 1024;
/** A pipe that delivers nothing at all for this long has no writer. */
export const PIPE_IDLE_SECONDS = 30;
const mib = (n: number): string => `${Math.round((n / MiB) * 10) / 10} MiB`;

/** One file becomes one string: beyond this length V8 cannot make it (whatever --max-size says). */
const MAX_FILE_BYTES = bufferConstants.MAX_STRING_LENGTH;

const fileLimit = (b: ReviewBudget): number => Math.min(b.bytesLeft, MAX_FILE_BYTES);

function overSize(path: string, b: ReviewBudget): ReviewLimitError {
  if (b.bytesLeft > MAX_FILE_BYTES)
    return new ReviewLimitError(
      `${path}: larger than ${mib(MAX_FILE_BYTES)}, the most one file can hold here: split it, or copy only the hours around the incident`,
    );
  return new ReviewLimitError(
    `${path}: the input files are larger than ${mib(b.maxBytes)} in all (--max-size): copy only the hours around the incident, or raise --max-size`,
  );
}

function cannotRead(path: string, err: unknown): ReviewInputError {
  const e = err as NodeJS.ErrnoException;
  switch (e.code) {
    case 'ENOENT':
      return new ReviewInputError(path, 'no such file');
    case 'EISDIR':
      return new ReviewInputError(path, 'is a directory, not a file');
    case 'EACCES':
    case 'EPERM':
      return new ReviewInputError(path, 'permission denied');
    default:
      return new ReviewInputError(path, `cannot read: ${e.message}`);
  }
}

/**
 * The bytes of one input. A regular file is read up to the size it had when it was opened (a log
 * still being written is reviewed as it was then); a pipe or FIFO (`--host a=<(journalctl -o json)`)
 * is read until its end, never blocking on a FIFO nobody writes to and never past the budget.
 * Directories, sockets and devices are refused by name: they are never the files a responder means.
 */
export async function readInput(path: string, b: ReviewBudget): Promise<Buffer> {
  const st = await stat(path).catch((err: unknown) => {
    throw cannotRead(path, err);
  });
  if (st.isDirectory()) throw new ReviewInputError(path, 'is a directory, not a file');
  if (st.isSocket()) throw new ReviewInputError(path, 'is a socket, not a file');
  if (st.isCharacterDevice() || st.isBlockDevice())
    throw new ReviewInputError(path, 'is a device, not a file');
  const buf = st.isFIFO() ? await readPipe(path, b) : await readRegular(path, st.size, b);
  b.bytesLeft -= buf.length;
  return buf;
}

async function readRegular(path: string, size: number, b: ReviewBudget): Promise<Buffer> {
  if (size > fileLimit(b)) throw overSize(path, b);
  const fh = await open(path, 'r').catch((err: unknown) => {
    throw cannotRead(path, err);
  });
  try {
    const buf = Buffer.alloc(size);
    let at = 0;
    while (at < size) {
      const { bytesRead } = await fh.read(buf, at, Math.min(size - at, 4 * MiB), at);
      if (bytesRead === 0) break; // truncated while read: what is there
      at += bytesRead;
      b.deadline.check();
    }
    return at === size ? buf : buf.subarray(0, at);
  } catch (err) {
    if (err instanceof ReviewLimitError) throw err;
    throw cannotRead(path, err);
  } finally {
    await fh.close().catch(() => {});
  }
}

/** A FIFO opened without blocking (no writer yet must not hang the open), read as a stream. */
async function readPipe(path: string, b: ReviewBudget): Promise<Buffer> {
  const fd = await new Promise<number>((resolve, reject) =>
    openCb(path, constants.O_RDONLY | constants.O_NONBLOCK, (err, fd) =>
      err ? reject(cannotRead(path, err)) : resolve(fd),
    ),
  );
  const sock = new Socket({ fd, readable: true, writable: false });
  return new Promise<Buffer>((resolve, reject) => {
    const parts: Buffer[] = [];
    let bytes = 0;
    const done = (err: Error | null): void => {
      clearTimeout(timer);
      sock.removeAllListeners('data');
      sock.destroy();
      if (err) reject(err);
      else resolve(Buffer.concat(parts, bytes));
    };
    // Nothing at all for a while: a FIFO nobody writes to (opening it did not block, reading would).
    const idleMs = Math.min(PIPE_IDLE_SECONDS * 1000, b.deadline.remainingMs);
    let timer = setTimeout(
      () =>
        done(
          new ReviewLimitError(
            `${path}: no data from this pipe for ${Math.round(idleMs / 1000)} s: is anything writing to it?`,
          ),
        ),
      idleMs,
    );
    sock.on('data', (chunk: Buffer) => {
      if (bytes === 0) {
        clearTimeout(timer);
        timer = setTimeout(
          () => done(new ReviewLimitError(`${path}: the pipe did not end within the review's --timeout`)),
          b.deadline.remainingMs,
        );
      }
      bytes += chunk.length;
      if (bytes > fileLimit(b)) return done(overSize(path, b));
      parts.push(chunk);
    });
    sock.once('end', () => done(null));
    sock.once('error', (err) => done(cannotRead(path, err)));
  });
}
