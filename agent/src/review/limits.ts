/**
 * What `switchover review` accepts, and the bounds that keep it from hanging or exhausting memory on
 * what a responder hands it (a FIFO nobody writes to, `/dev/zero`, a multi-GB journal export).
 * Each limit has a command-line option; exceeding one is an input error with a one-line message.
 */
export const REVIEW_LIMITS = {
  /** All input files together, in MiB (`--max-size`): about 10x that in memory while reviewing. */
  maxSizeMiB: 256,
  /** The whole review, reading included, in seconds (`--timeout`). */
  timeoutSeconds: 300,
  /** Failure lines outside every migration printed as text; the rest are counted. */
  unattributedText: 20,
  /** The same for `--json`. */
  unattributedJson: 1000,
} as const;

/** A file that cannot be reviewed; the message names it. */
export class ReviewInputError extends Error {
  constructor(
    readonly path: string,
    reason: string,
  ) {
    super(`${path}: ${reason}`);
    this.name = 'ReviewInputError';
  }
}

/** A review that went over a documented limit (size or time); the message says which and how to proceed. */
export class ReviewLimitError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ReviewLimitError';
  }
}

export interface ReviewBudget {
  /** Bytes all files may still take. */
  bytesLeft: number;
  readonly maxBytes: number;
  readonly deadline: Deadline;
}

/** The review's time bound, checked at cheap intervals inside the long loops (they are synchronous). */
export class Deadline {
  private calls = 0;

  constructor(
    readonly at: number,
    readonly seconds: number,
    private readonly now: () => number = Date.now,
  ) {}

  static after(seconds: number, now: () => number = Date.now): Deadline {
    return new Deadline(now() + seconds * 1000, seconds, now);
  }

  get remainingMs(): number {
    return Math.max(0, this.at - this.now());
  }

  /** Throws once the time is up; looks at the clock every 4096 calls. */
  tick(): void {
    if (++this.calls % 4096 === 0) this.check();
  }

  check(): void {
    if (this.now() > this.at)
      throw new ReviewLimitError(
        `the review took longer than ${this.seconds} s (--timeout): give fewer or smaller files (only the hours around the incident), or a longer --timeout`,
      );
  }
}

export function budget(maxSizeMiB: number, timeoutSeconds: number): ReviewBudget {
  const maxBytes = Math.floor(maxSizeMiB * 1024 * 1024);
  return { bytesLeft: maxBytes, maxBytes, deadline: Deadline.after(timeoutSeconds) };
}
