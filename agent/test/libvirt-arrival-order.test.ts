/**
 * A live agent reads its inputs as they come: the virsh relay hands over each event within a
 * millisecond, the domain log tail a little later (inotify: a few ms; its poll: 250 ms by default).
 * Its sessions must not depend on that: with each host's real captured files (fixtures/libvirt/), the
 * correlator fed in arrival order (log lines LAG ms late) must give the sessions it gives in time
 * order (what `review` does). Pure: the real files, the decoders and the correlator, no processes.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Observation, Session } from '@switchover/model';
import { describe, expect, it } from 'vitest';
import { decode } from '../src/decoders/index.js';
import { Ingest } from '../src/ingest/ingest.js';
import { fileToRecords } from '../src/review/records.js';
import { LIBVIRT_FIXTURES, loadExpectation } from './helpers/libvirt-cases.js';

const folders = readdirSync(LIBVIRT_FIXTURES, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name)
  .sort();

async function observations(dir: string, host: string, file: string): Promise<Observation[]> {
  const lines = readFileSync(join(dir, file), 'utf8').split('\n');
  const kind = file.endsWith('.libvirt.log') ? 'libvirt-log' : 'virsh-events';
  const records = await fileToRecords({ host, file, kind, lines, defaultVm: 'vm' });
  return records.flatMap((r) => decode(r).observations);
}

/** One host's sessions, each observation given to the correlator at its arrival time (`now`). */
function sessions(arrivals: Array<{ o: Observation; at: number }>): string[] {
  const ordered = arrivals.map((a, i) => ({ ...a, i })).sort((x, y) => x.at - y.at || x.i - y.i);
  const ingest = new Ingest();
  const seen = new Map<string, Session>();
  for (const { o, at } of ordered) {
    for (const e of ingest.observe(o, at)) if (e.kind !== 'unattributed') seen.set(e.session.id, e.session);
  }
  const end = ingest.end();
  for (const e of end.effects) if (e.kind !== 'unattributed') seen.set(e.session.id, e.session);
  for (const s of end.open) seen.set(s.id, s);
  return [...seen.values()].map((s) => `${s.vm} ${s.role} ${s.outcome}`).sort();
}

describe.each(folders)('capture %s', (folder) => {
  const dir = join(LIBVIRT_FIXTURES, folder);
  const e = loadExpectation(dir);
  const hosts = [...new Set(e.files.map(([h]) => h))];
  const perHost = async (h: string) => {
    const files = e.files.filter(([host]) => host === h).map(([, f]) => f);
    const of = async (logs: boolean) =>
      (
        await Promise.all(
          files.filter((f) => f.endsWith('.libvirt.log') === logs).map((f) => observations(dir, h, f)),
        )
      ).flat();
    return { events: await of(false), logs: await of(true) };
  };

  for (const lag of [5, 250] as const)
    it(`each host's sessions are the same when its domain log lines arrive ${lag} ms after the virsh events`, async () => {
      for (const h of hosts) {
        const { events, logs } = await perHost(h);
        const inTimeOrder = sessions([...events, ...logs].map((o) => ({ o, at: o.time })));
        const live = sessions([
          ...events.map((o) => ({ o, at: o.time + 1 })),
          ...logs.map((o) => ({ o, at: o.time + lag })),
        ]);
        expect(live, h).toEqual(inTimeOrder);
      }
    });
});
