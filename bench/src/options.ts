/**
 * Command-line flags of `npm run bench -w @switchover/bench --`. Defaults meet the minimums (≥ 1M journal
 * entries, ≥ 100 latency runs); every bad value is reported at once, before anything starts.
 */
export const PARTS = ['throughput', 'latency', 'cardinality', 'footprint'] as const;
export type Part = (typeof PARTS)[number];
export const LATENCY_INPUTS = ['file', 'journal'] as const;
export type LatencyInput = (typeof LATENCY_INPUTS)[number];

export interface BenchOptions {
  parts: Part[];
  entries: number;
  migrations: number;
  repeats: number;
  runs: number;
  latencyInputs: LatencyInput[];
  /** How often the latency probe scrapes `/metrics` (ms). */
  scrapeMs: number;
  /** Give up on one latency run after this long (ms): counted as a miss, not a crash. */
  runTimeoutMs: number;
  /** Cardinality: migrations an hour this host takes part in (per role), each of another VM. */
  perHour: number;
  /** Idle footprint: domain logs and QMP sockets followed, window length, windows measured. */
  footprintLogs: number;
  footprintSockets: number;
  footprintWindowS: number;
  footprintRepeats: number;
  footprintSettleS: number;
  outDir: string;
  journalctl: string;
  keep: boolean;
}

export const DEFAULT_OPTIONS: BenchOptions = {
  parts: [...PARTS],
  entries: 1_000_000,
  migrations: 2_000,
  repeats: 3,
  runs: 100,
  latencyInputs: [...LATENCY_INPUTS],
  scrapeMs: 5,
  runTimeoutMs: 5_000,
  perHour: 100,
  footprintLogs: 500,
  footprintSockets: 500,
  footprintWindowS: 30,
  footprintRepeats: 3,
  footprintSettleS: 60,
  outDir: 'bench-results',
  journalctl: 'journalctl',
  keep: false,
};

export const USAGE = `usage: npm run bench -w @switchover/bench -- [options]
  --only PART                 run one part: throughput, latency, cardinality or footprint (default: all four)
  --entries N                 journal entries to generate (default ${DEFAULT_OPTIONS.entries})
  --migrations N              QEMU migrations among them (default ${DEFAULT_OPTIONS.migrations})
  --repeats N                 timed runs per side, best and median reported (default ${DEFAULT_OPTIONS.repeats})
  --runs N                    detection-latency runs per input (default ${DEFAULT_OPTIONS.runs})
  --latency-inputs LIST       file,journal (default both)
  --scrape-ms N               /metrics polling period of the latency probe (default ${DEFAULT_OPTIONS.scrapeMs})
  --run-timeout-ms N          one latency run gives up after this (default ${DEFAULT_OPTIONS.runTimeoutMs})
  --per-hour N                cardinality: migrations an hour per role, each of another VM (default ${DEFAULT_OPTIONS.perHour})
  --footprint-logs N          idle footprint: domain log files followed (default ${DEFAULT_OPTIONS.footprintLogs})
  --footprint-sockets N       idle footprint: QMP sockets followed (default ${DEFAULT_OPTIONS.footprintSockets})
  --footprint-window-s N      idle footprint: seconds per measurement window (default ${DEFAULT_OPTIONS.footprintWindowS})
  --footprint-repeats N       idle footprint: windows measured, for the spread (default ${DEFAULT_OPTIONS.footprintRepeats})
  --footprint-settle-s N      idle footprint: seconds from inputs up to the first window (default ${DEFAULT_OPTIONS.footprintSettleS})
  --out DIR                   where the JSON copy goes (default ${DEFAULT_OPTIONS.outDir})
  --journalctl PATH           journalctl binary (default journalctl)
  --keep                      keep the generated journal and temp dirs`;

export type ParsedArgs =
  | { ok: true; options: BenchOptions }
  | { ok: false; errors: string[]; help?: boolean };

export function parseArgs(argv: readonly string[]): ParsedArgs {
  const o: BenchOptions = {
    ...DEFAULT_OPTIONS,
    parts: [...DEFAULT_OPTIONS.parts],
    latencyInputs: [...DEFAULT_OPTIONS.latencyInputs],
  };
  const errors: string[] = [];
  const int = (flag: string, v: string | undefined, min: number): number => {
    const n = Number(v);
    if (v === undefined || !Number.isInteger(n) || n < min) {
      errors.push(`${flag} needs an integer ≥ ${min} (got ${v ?? 'nothing'})`);
      return min;
    }
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    const [name, inline] = flag.includes('=')
      ? [flag.slice(0, flag.indexOf('=')), flag.slice(flag.indexOf('=') + 1)]
      : [flag, undefined];
    const value = (): string | undefined => inline ?? argv[++i];
    switch (name) {
      case '-h':
      case '--help':
        return { ok: false, errors: [], help: true };
      case '--only': {
        const v = value();
        if ((PARTS as readonly string[]).includes(v ?? '')) o.parts = [v as Part];
        else errors.push(`--only takes ${PARTS.join(', ')} (got ${v ?? 'nothing'})`);
        break;
      }
      case '--entries':
        o.entries = int(name, value(), 1);
        break;
      case '--migrations':
        o.migrations = int(name, value(), 0);
        break;
      case '--repeats':
        o.repeats = int(name, value(), 1);
        break;
      case '--runs':
        o.runs = int(name, value(), 1);
        break;
      case '--latency-inputs': {
        const list = (value() ?? '').split(',').filter(Boolean);
        const bad = list.filter((x) => !(LATENCY_INPUTS as readonly string[]).includes(x));
        if (list.length === 0 || bad.length)
          errors.push(
            `--latency-inputs takes a list of ${LATENCY_INPUTS.join(',')} (got ${list.join(',') || 'nothing'})`,
          );
        else o.latencyInputs = list as LatencyInput[];
        break;
      }
      case '--scrape-ms':
        o.scrapeMs = int(name, value(), 1);
        break;
      case '--run-timeout-ms':
        o.runTimeoutMs = int(name, value(), 100);
        break;
      case '--per-hour':
        o.perHour = int(name, value(), 1);
        break;
      case '--footprint-logs':
        o.footprintLogs = int(name, value(), 0);
        break;
      case '--footprint-sockets':
        o.footprintSockets = int(name, value(), 0);
        break;
      case '--footprint-window-s':
        o.footprintWindowS = int(name, value(), 1);
        break;
      case '--footprint-repeats':
        o.footprintRepeats = int(name, value(), 1);
        break;
      case '--footprint-settle-s':
        o.footprintSettleS = int(name, value(), 0);
        break;
      case '--out': {
        const v = value();
        if (v) o.outDir = v;
        else errors.push('--out needs a directory');
        break;
      }
      case '--journalctl': {
        const v = value();
        if (v) o.journalctl = v;
        else errors.push('--journalctl needs a path');
        break;
      }
      case '--keep':
        o.keep = true;
        break;
      default:
        errors.push(`unknown option ${flag}`);
    }
  }
  return errors.length ? { ok: false, errors } : { ok: true, options: o };
}
