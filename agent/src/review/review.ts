import {
  DEFAULT_SKEW_MS,
  pairSessions,
  type Migration,
  type Observation,
  type Session,
} from '@switchover/model';
import type { CorrelatorConfig, Effect } from '../correlator/index.js';
import { Ingest, Replay } from '../ingest/ingest.js';
import { RecorderReader } from '../recorder/format.js';
import { detectKind, type FileKind } from './detect.js';
import { readInput } from './input.js';
import { budget, REVIEW_LIMITS, ReviewInputError, type Deadline, type ReviewBudget } from './limits.js';
import { localTimeZone } from '../records/local-time.js';
import type { RawRecord } from '../records/types.js';
import { yearNear } from './journal-text.js';
import { joinProxmoxHosts, namesFromJournals, taskLogVmid } from './proxmox.js';
import { fileToRecords, vmOfLog, type LocalContext } from './records.js';

export { ReviewInputError, ReviewLimitError } from './limits.js';
export { isTimeZone, localTimeZone } from '../records/local-time.js';

export interface HostFile {
  host: string;
  path: string;
}

export interface ReviewOptions {
  /** VM name for files that name none (QMP transcripts, bare QEMU logs). */
  vm?: string;
  skewMs?: number;
  correlator?: Partial<CorrelatorConfig>;
  /** All input files together, MiB. Default REVIEW_LIMITS.maxSizeMiB. */
  maxSizeMiB?: number;
  /** The whole review, seconds. Default REVIEW_LIMITS.timeoutSeconds. */
  timeoutSeconds?: number;
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

async function readLines(path: string, b: ReviewBudget): Promise<string[]> {
  const buf = await readInput(path, b);
  if (buf.length === 0) throw new ReviewInputError(path, 'is empty');
  if (buf.subarray(0, 8192).includes(0))
    throw new ReviewInputError(
      path,
      'binary file: not a log, journal export or transcript this review understands',
    );
  // A UTF-8 byte-order mark (editors on other systems add one) is not part of the first line.
  const start = buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf ? 3 : 0;
  return buf.toString('utf8', start).split(/\r?\n/);
}

/** Run one host's observations through the live correlator, in time order, and collect its sessions. */
function correlateHost(
  ingest: Ingest,
  observations: Observation[],
  deadline: Deadline,
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
  for (const { o } of ordered) {
    deadline.tick();
    collect(replay.observe(o));
  }
  const end = replay.end();
  collect(end.effects);
  for (const s of end.open) sessions.set(s.id, s);
  return { sessions: [...sessions.values()], unattributed };
}

/** A recorder file's sessions, from the lines already read (within the budget). */
function recorderContent(lines: readonly string[]) {
  const reader = new RecorderReader(false);
  for (const l of lines) if (l.trim() !== '') reader.addLine(l);
  return reader.result();
}

export async function review(inputs: readonly HostFile[], opts: ReviewOptions = {}): Promise<ReviewResult> {
  const b = budget(
    opts.maxSizeMiB ?? REVIEW_LIMITS.maxSizeMiB,
    opts.timeoutSeconds ?? REVIEW_LIMITS.timeoutSeconds,
  );
  const loaded = await Promise.all(
    inputs.map(async (f) => {
      const lines = await readLines(f.path, b);
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
      const { sessions } = recorderContent(f.lines);
      for (const s of sessions) recorded.push({ ...s, host: f.host });
      continue;
    }
    const records = await fileToRecords({
      host: f.host,
      file: f.path,
      kind: f.kind,
      lines: f.lines,
      defaultVm,
      deadline: b.deadline,
      local,
    });
    const mine = recordsByHost.get(f.host) as RawRecord[];
    for (const r of records) mine.push(r);
  }
  // What one Proxmox node's files say about the other's (the target cannot see the completion).
  joinProxmoxHosts(recordsByHost, opts.skewMs ?? DEFAULT_SKEW_MS);
  for (const [name, records] of recordsByHost) {
    const host = byHost.get(name) as { ingest: Ingest; observations: Observation[] };
    for (const record of records) {
      b.deadline.tick();
      for (const o of host.ingest.decode(record).observations) host.observations.push(o);
    }
  }
  const sessions: Session[] = [...recorded];
  const unattributed: Observation[] = [];
  for (const { ingest, observations } of byHost.values()) {
    const r = correlateHost(ingest, observations, b.deadline);
    for (const s of r.sessions) sessions.push(s);
    for (const o of r.unattributed) unattributed.push(o);
  }
  return {
    files: loaded.map((f) => ({ host: f.host, path: f.path, kind: f.kind, lines: f.lines.length })),
    migrations: pairSessions(sessions, opts.skewMs !== undefined ? { skewMs: opts.skewMs } : {}),
    unattributed,
  };
}
