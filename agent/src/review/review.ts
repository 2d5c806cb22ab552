import { readFile } from 'node:fs/promises';
import {
  DEFAULT_SKEW_MS,
  pairSessions,
  type Migration,
  type Observation,
  type Session,
} from '@switchover/model';
import type { CorrelatorConfig, Effect } from '../correlator/index.js';
import { Ingest, Replay } from '../ingest/ingest.js';
import { readRecorderFile } from '../recorder/format.js';
import { detectKind, type FileKind } from './detect.js';
import { localTimeZone } from '../records/local-time.js';

export { isTimeZone, localTimeZone } from '../records/local-time.js';
import type { RawRecord } from '../records/types.js';
import { yearNear } from './journal-text.js';
import { joinProxmoxHosts, namesFromJournals, taskLogVmid } from './proxmox.js';
import { fileToRecords, vmOfLog, type LocalContext } from './records.js';

export interface HostFile {
  host: string;
  path: string;
}

export interface ReviewOptions {
  /** VM name for files that name none (QMP transcripts, bare QEMU logs). */
  vm?: string;
  skewMs?: number;
  correlator?: Partial<CorrelatorConfig>;
  /** The zone of times printed without an offset (Proxmox task logs, `journalctl -o short`). Default: this machine's. */
  timeZone?: string;
}

export interface ReviewedFile {
  host: string;
  path: string;
  kind: FileKind;
  lines: number;
}

export interface ReviewResult {
  files: ReviewedFile[];
  migrations: Migration[];
  /** Failure lines that fall in no migration window (old incidents): reported, never attributed. */
  unattributed: Observation[];
}

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

/** Zone, year and VM names for the files' local times and Proxmox VMIDs. */
function localContext(
  files: ReadonlyArray<{ kind: FileKind; lines: string[]; path: string }>,
  timeZone: string,
): LocalContext {
  const names = namesFromJournals(
    files.map((f) => ({ host: '', file: f.path, kind: f.kind, lines: f.lines, defaultVm: '' })),
  );
  const tasks = files.filter((f) => f.kind === 'proxmox-task-log');
  const vmids = new Set(tasks.map((f) => taskLogVmid(f.lines, f.path)).filter((v): v is string => !!v));
  // The year of `journalctl -o short` lines: near the task logs' dates, else near now.
  const dated = tasks.flatMap((f) => f.lines.slice(0, 1)).find((l) => /^[0-9]{4}-/.test(l));
  const reference = dated
    ? Date.UTC(Number(dated.slice(0, 4)), Number(dated.slice(5, 7)) - 1, Number(dated.slice(8, 10)))
    : Date.now();
  const firstShort = files
    .find((f) => f.kind === 'journal-text')
    ?.lines.find((l) => /^[A-Z][a-z]{2} /.test(l));
  const ctx: LocalContext = { timeZone, year: yearNear(firstShort, timeZone, reference), names };
  if (vmids.size === 1) {
    const vmid = [...vmids][0] as string;
    ctx.fallbackVm = { name: names.get(vmid) ?? vmid, uuid: vmid };
  }
  return ctx;
}

async function readLines(path: string): Promise<string[]> {
  let buf: Buffer;
  try {
    buf = await readFile(path);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new ReviewInputError(
      path,
      e.code === 'ENOENT'
        ? 'no such file'
        : e.code === 'EISDIR'
          ? 'is a directory, not a file'
          : `cannot read: ${e.message}`,
    );
  }
  if (buf.subarray(0, 8192).includes(0))
    throw new ReviewInputError(
      path,
      'binary file: not a log, journal export or transcript this review understands',
    );
  return buf.toString('utf8').split(/\r?\n/);
}

/** Run one host's observations through the live correlator, in time order, and collect its sessions. */
function correlateHost(
  ingest: Ingest,
  observations: Observation[],
): { sessions: Session[]; unattributed: Observation[] } {
  // Stable sort: equal times keep file order (a RESUME and its failure line, a command line's lines).
  const ordered = observations.map((o, i) => ({ o, i })).sort((a, b) => a.o.time - b.o.time || a.i - b.i);
  const replay = new Replay(ingest);
  const sessions = new Map<string, Session>();
  const unattributed: Observation[] = [];
  const collect = (effects: readonly Effect[]): void => {
    for (const e of effects) {
      if (e.kind === 'unattributed') unattributed.push(e.observation);
      else sessions.set(e.session.id, e.session);
    }
  };
  for (const { o } of ordered) collect(replay.observe(o));
  const end = replay.end();
  collect(end.effects);
  for (const s of end.open) sessions.set(s.id, s);
  return { sessions: [...sessions.values()], unattributed };
}

export async function review(inputs: readonly HostFile[], opts: ReviewOptions = {}): Promise<ReviewResult> {
  const loaded = await Promise.all(
    inputs.map(async (f) => {
      const lines = await readLines(f.path);
      const kind = detectKind(lines);
      if (!kind)
        throw new ReviewInputError(
          f.path,
          'not recognised: expected a libvirt domain log, `journalctl -o json` output or its plain text (short, short-iso, short-precise), a Proxmox VE task log, a QMP transcript, `virsh qemu-monitor-event` output, a QEMU log or a Switchover recorder file',
        );
      return { ...f, lines, kind };
    }),
  );
  const named = new Set(
    loaded.filter((f) => f.kind === 'libvirt-log' || f.kind === 'qemu-log').map((f) => vmOfLog(f.lines, '')),
  );
  named.delete('');
  const defaultVm = opts.vm ?? (named.size === 1 ? [...named][0] : undefined) ?? 'vm';

  const local = localContext(loaded, opts.timeZone ?? localTimeZone());

  // One correlator per host: VMs are keyed by name, which is unique per host only.
  const byHost = new Map<string, { ingest: Ingest; observations: Observation[] }>();
  const recordsByHost = new Map<string, RawRecord[]>();
  const recorded: Session[] = [];
  for (const f of loaded) {
    if (!byHost.has(f.host)) byHost.set(f.host, { ingest: new Ingest(opts.correlator), observations: [] });
    if (!recordsByHost.has(f.host)) recordsByHost.set(f.host, []);
    if (f.kind === 'recorder') {
      const { sessions } = await readRecorderFile(f.path);
      recorded.push(...sessions.map((s) => ({ ...s, host: f.host })));
      continue;
    }
    const records = await fileToRecords({
      host: f.host,
      file: f.path,
      kind: f.kind,
      lines: f.lines,
      defaultVm,
      local,
    });
    (recordsByHost.get(f.host) as RawRecord[]).push(...records);
  }
  // What one Proxmox node's files say about the other's (the target cannot see the completion).
  joinProxmoxHosts(recordsByHost, opts.skewMs ?? DEFAULT_SKEW_MS);
  for (const [name, records] of recordsByHost) {
    const host = byHost.get(name) as { ingest: Ingest; observations: Observation[] };
    for (const record of records) host.observations.push(...host.ingest.decode(record).observations);
  }
  const sessions: Session[] = [...recorded];
  const unattributed: Observation[] = [];
  for (const { ingest, observations } of byHost.values()) {
    const r = correlateHost(ingest, observations);
    sessions.push(...r.sessions);
    unattributed.push(...r.unattributed);
  }
  return {
    files: loaded.map((f) => ({ host: f.host, path: f.path, kind: f.kind, lines: f.lines.length })),
    migrations: pairSessions(sessions, opts.skewMs !== undefined ? { skewMs: opts.skewMs } : {}),
    unattributed,
  };
}
