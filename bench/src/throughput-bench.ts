import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { journalRemoteBinary, writeJournal, type WrittenJournal } from '@switchover/testbed';
import type { ReplayTally } from './replay.js';
import {
  DEFAULT_SCENARIO,
  expectedOf,
  scenarioEntries,
  validateScenario,
  type Expected,
  type ScenarioOptions,
} from './scenario.js';
import { best, median } from './stats.js';
import { timeJournalctl, timeSwitchover, type SwitchoverRun, type TimedRun } from './throughput.js';

export interface ThroughputOptions {
  entries: number;
  migrations: number;
  repeats: number;
  journalctl: string;
  keep: boolean;
  log: (line: string) => void;
}

export interface ThroughputResult {
  journal: WrittenJournal;
  scenario: ScenarioOptions;
  expected: Expected;
  baseline: TimedRun[];
  switchover: Omit<SwitchoverRun, 'tally'>[];
  tally: ReplayTally;
  /** Headline: best of the repeats for each side (least disturbed by the other work on the machine). */
  best: { baselineSeconds: number; switchoverSeconds: number; ratio: number };
  median: { baselineSeconds: number; switchoverSeconds: number; ratio: number };
  sanity: { ok: boolean; problems: string[] };
}

/** What a correct pass over the generated journal must have found; each difference is one problem. */
export function checkTally(t: ReplayTally, expected: Expected, entries: number): string[] {
  const problems: string[] = [];
  const same = (what: string, got: unknown, want: unknown): void => {
    if (JSON.stringify(got) !== JSON.stringify(want))
      problems.push(`${what}: found ${JSON.stringify(got)}, generated ${JSON.stringify(want)}`);
  };
  same('entries read', t.entries, entries);
  same('invalid JSON lines', t.badJson, 0);
  same('sessions opened', t.sessionsOpened, expected.migrations);
  const sorted = (o: Partial<Record<string, number>>): Record<string, number> =>
    Object.fromEntries(Object.entries(o).sort(([a], [b]) => a.localeCompare(b))) as Record<string, number>;
  same(
    'source sessions closed by outcome',
    sorted(t.sessionsClosed.source),
    sorted(expected.sessions.source),
  );
  same(
    'destination sessions closed by outcome',
    sorted(t.sessionsClosed.destination),
    sorted(expected.sessions.destination),
  );
  same('silent destination failures', t.silentFailures, expected.silentFailures);
  same('unattributed failure lines', t.unattributed, 0);
  same('evicted sessions', t.evicted, 0);
  return problems;
}

export async function runThroughput(o: ThroughputOptions): Promise<ThroughputResult> {
  const scenario: ScenarioOptions = { ...DEFAULT_SCENARIO, entries: o.entries, migrations: o.migrations };
  const bad = validateScenario(scenario);
  if (bad.length) throw new Error(`bad throughput options: ${bad.join('; ')}`);
  const remote = journalRemoteBinary();
  if (!remote) throw new Error('systemd-journal-remote not found (apt-get install systemd-journal-remote)');
  const dir = await mkdtemp(path.join(os.tmpdir(), 'switchover-bench-journal-'));
  try {
    o.log(
      `generating ${o.entries.toLocaleString('en-US')} entries (${o.migrations} migrations) with ${remote} ...`,
    );
    const journal = await writeJournal(remote, dir, scenarioEntries(scenario));
    o.log(
      `  ${journal.files} journal file(s), ${(journal.bytes / 1e6).toFixed(0)} MB in ${journal.seconds.toFixed(1)} s`,
    );
    const expected = expectedOf(scenario);
    const baseline: TimedRun[] = [];
    const switchover: SwitchoverRun[] = [];
    for (let r = 0; r < o.repeats; r++) {
      // Alternate which side goes first, so neither always gets the warmer machine.
      const order =
        r % 2 === 0 ? (['baseline', 'switchover'] as const) : (['switchover', 'baseline'] as const);
      for (const side of order) {
        if (side === 'baseline') baseline.push(await timeJournalctl(o.journalctl, dir));
        else switchover.push(await timeSwitchover(o.journalctl, dir, 'bench-host'));
        const last = side === 'baseline' ? baseline.at(-1)! : switchover.at(-1)!;
        o.log(`  run ${r + 1}/${o.repeats} ${side.padEnd(10)} ${last.seconds.toFixed(2)} s`);
      }
    }
    const problems = checkTally(switchover[0]!.tally, expected, journal.entries);
    for (const [i, s] of switchover.entries()) {
      if (JSON.stringify(s.tally) !== JSON.stringify(switchover[0]!.tally))
        problems.push(`run ${i + 1} found something else than run 1`);
    }
    const b = baseline.map((x) => x.seconds);
    const s = switchover.map((x) => x.seconds);
    return {
      journal,
      scenario,
      expected,
      baseline,
      switchover: switchover.map(({ tally: _t, ...rest }) => rest),
      tally: switchover[0]!.tally,
      best: { baselineSeconds: best(b), switchoverSeconds: best(s), ratio: best(s) / best(b) },
      median: { baselineSeconds: median(b), switchoverSeconds: median(s), ratio: median(s) / median(b) },
      sanity: { ok: problems.length === 0, problems },
    };
  } finally {
    if (o.keep) o.log(`  journal kept in ${dir}`);
    else await rm(dir, { recursive: true, force: true });
  }
}
