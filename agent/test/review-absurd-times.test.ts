/**
 * Issue 9.3 through `switchover review`: an events file or log whose lines claim times no clock
 * reads (virsh `at 9999…`, an ISO prefix in year 9999, QMP seconds ≥ 1e305) crashed the review in
 * `Date#toISOString` (exit 3 and a stack trace). Those lines are skipped; the rest still pairs.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './helpers/cli.js';

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'switchover-review-times-'));
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('review with absurd timestamps', () => {
  it('skips the absurd lines and still reports the migration, in text and JSON', async () => {
    const events = join(dir, 'src.events.txt');
    await writeFile(
      events,
      [
        `event MIGRATION at 99999999999999999999999999999.000000 for domain 'vm1': {"status":"setup"}`,
        `event MIGRATION at 1742306551.347000 for domain 'vm1': {"status":"active"}`,
        `9999-12-31 23:59:59.999+0000: event STOP for domain 'vm1': <null>`,
        `event MIGRATION at 1742306573.884000 for domain 'vm1': {"status":"completed"}`,
        '',
      ].join('\n'),
    );
    const qmp = join(dir, 'dst.qmp.jsonl');
    await writeFile(
      qmp,
      [
        JSON.stringify({
          timestamp: { seconds: 1e306, microseconds: 0 },
          event: 'MIGRATION',
          data: { status: 'setup' },
        }),
        JSON.stringify({ timestamp: { seconds: 1e305, microseconds: 0 }, event: 'RESUME' }),
        '',
      ].join('\n'),
    );
    for (const extra of [[], ['--json']]) {
      const r = await runCli(['review', ...extra, '--host', `hv-a=${events}`, '--host', `hv-b=${qmp}`]);
      expect(r.err, r.err).not.toMatch(/RangeError|Invalid time value|\n\s+at /);
      expect(r.code, r.err).toBe(0);
    }
    const json = JSON.parse((await runCli(['review', '--json', '--host', `hv-a=${events}`])).out) as {
      migrations: Record<'source' | 'destination', { start: string; end: string } | null>[];
    };
    expect(json.migrations).toHaveLength(1);
    // Without STOP or RESUME the role is a guess; the times are what matters here.
    const side = json.migrations[0]!.source ?? json.migrations[0]!.destination;
    expect(side).toMatchObject({
      start: '2025-03-18T14:02:31.347Z',
      end: '2025-03-18T14:02:53.884Z',
    });
  });
});
