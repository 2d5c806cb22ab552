/** Thrown for bad command-line use: printed with the command's help, exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
  isTTY: boolean;
  env: NodeJS.ProcessEnv;
}

export const EXIT = { ok: 0, problemFound: 1, usage: 2, runtime: 3 } as const;
