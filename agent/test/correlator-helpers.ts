/**
 * Test helpers for the correlator: observation builders in the shapes the decoders produce, a small
 * harness that feeds them through `transition`, and a reader for the real QEMU 7.2 QMP transcripts in
 * fixtures/qemu-7.2 (events and the replies the orchestrator's queries got).
 */
import { readFileSync } from 'node:fs';
import type {
  MigrationStatus,
  Observation,
  Origin,
  Session,
  VfioFailureForm,
  VfioState,
} from '@switchover/model';
import {
  DEFAULT_CORRELATOR_CONFIG,
  flush,
  initialState,
  transition,
  type CorrelatorConfig,
  type CorrelatorState,
  type Effect,
} from '../src/correlator/index.js';

import { FIXTURES } from './helpers/fixtures.js';

export { FIXTURES };
export const HOST = 'kvm-a';
const QMP: Origin = { kind: 'qmp', file: '/run/switchover/vm.qmp' };
const LOG: Origin = { kind: 'libvirt-log', file: '/var/log/libvirt/qemu/vm.log' };

type Extra = Partial<Omit<Observation, 'kind'>> & Record<string, unknown>;

function base(vm: string, time: number, extra: Extra = {}) {
  return { host: HOST, vm: { name: vm }, time, timeSource: 'event' as const, origin: QMP, ...extra };
}

export const ob = {
  status: (vm: string, status: MigrationStatus, time: number, extra?: Extra): Observation => ({
    ...base(vm, time, extra),
    kind: 'migration-status',
    status,
    raw: `{"event": "MIGRATION", "data": {"status": "${status}"}}`,
  }),
  pass: (vm: string, pass: number, time: number): Observation => ({
    ...base(vm, time),
    kind: 'migration-pass',
    pass,
  }),
  stop: (vm: string, time: number): Observation => ({
    ...base(vm, time),
    kind: 'vm-stop',
    raw: '{"event": "STOP"}',
  }),
  resume: (vm: string, time: number): Observation => ({
    ...base(vm, time),
    kind: 'vm-resume',
    raw: '{"event": "RESUME"}',
  }),
  shutdown: (vm: string, time: number): Observation => ({
    ...base(vm, time),
    kind: 'shutdown',
    reason: 'host-qmp-quit',
  }),
  processStop: (vm: string, time: number, reason = 'crashed'): Observation => ({
    ...base(vm, time, { origin: LOG }),
    kind: 'process-stop',
    reason,
    raw: `shutting down, reason=${reason}`,
  }),
  processStart: (vm: string, time: number, qemuVersion = '9.1.1'): Observation => ({
    ...base(vm, time, { origin: LOG }),
    kind: 'process-start',
    qemuVersion,
  }),
  initiated: (vm: string, time: number): Observation => ({
    ...base(vm, time, { origin: LOG }),
    kind: 'migration-initiated',
  }),
  identity: (vm: string, time: number, extra: Extra): Observation =>
    ({ ...base(vm, time), kind: 'vm-identity', ...extra }) as Observation,
  info: (vm: string, time: number, extra: Extra): Observation =>
    ({ ...base(vm, time, { timeSource: 'arrival' }), kind: 'migration-info', ...extra }) as Observation,
  vfioState: (vm: string, device: string, state: VfioState, time: number): Observation => ({
    ...base(vm, time),
    kind: 'vfio-state',
    device,
    state,
    via: 'trace',
  }),
  attempt: (vm: string, device: string, target: VfioState, time: number): Observation => ({
    ...base(vm, time),
    kind: 'vfio-attempt',
    device,
    target,
  }),
  /** The silent-failure line; exact (live arrival time) unless `timeSource: 'bounded'` is given. */
  failure: (
    vm: string,
    device: string,
    time: number,
    o: {
      target?: VfioState;
      form?: VfioFailureForm;
      fatal?: boolean;
      timeSource?: 'event' | 'arrival' | 'bounded';
      latest?: number | null;
    } = {},
  ): Observation => {
    const target = 'target' in o ? o.target : 'RUNNING';
    const obs: Observation = {
      ...base(vm, time, { origin: LOG, timeSource: o.timeSource ?? 'arrival' }),
      kind: 'vfio-failure',
      device,
      form: o.form ?? 'errno-9.1',
      fatal: o.fatal ?? false,
      error: 'Input/output error',
      raw: `${device}: Failed setting device state to ${target ?? '?'}. Recover state is ERROR. Resetting device: Input/output error`,
    };
    if (target !== undefined) obs.target = target;
    if (o.timeSource === 'bounded') obs.latest = o.latest ?? null;
    return obs;
  },
  loadFailure: (vm: string, time: number, message: string, final: boolean): Observation => ({
    ...base(vm, time, { origin: LOG }),
    kind: 'load-failure',
    message,
    final,
    raw: message,
  }),
  returnPath: (vm: string, time: number, event: 'shut' | 'error', extra: Extra = {}): Observation =>
    ({ ...base(vm, time, { origin: LOG }), kind: 'return-path', event, ...extra }) as Observation,
  /** Source trace `migration_socket_outgoing_connected hostname=PEER` from the domain log. */
  peer: (vm: string, time: number, peer: string): Observation => ({
    ...base(vm, time, { origin: LOG }),
    kind: 'migration-peer',
    peer,
    raw: `migration_socket_outgoing_connected hostname=${peer}`,
  }),
  qemuError: (vm: string, time: number, message: string): Observation => ({
    ...base(vm, time, { origin: LOG }),
    kind: 'qemu-error',
    message,
  }),
};

/** Feeds inputs through `transition` and keeps every effect, in order. */
export class Harness {
  state: CorrelatorState = initialState();
  effects: Effect[] = [];
  readonly config: CorrelatorConfig;
  constructor(config: Partial<CorrelatorConfig> = {}) {
    this.config = { ...DEFAULT_CORRELATOR_CONFIG, ...config };
  }

  /** Offline-style by default: `now` = the observation's own time. Returns this input's effects. */
  feed(obs: Observation, now: number = obs.time): Effect[] {
    const r = transition(this.state, { kind: 'observation', observation: obs }, now, this.config);
    this.state = r.state;
    this.effects.push(...r.effects);
    return r.effects;
  }
  feedAll(list: Observation[]): Effect[] {
    return list.flatMap((o) => this.feed(o));
  }
  tick(now: number): Effect[] {
    const r = transition(this.state, { kind: 'tick' }, now, this.config);
    this.state = r.state;
    this.effects.push(...r.effects);
    return r.effects;
  }
  flush(now = 0): { effects: Effect[]; open: Session[] } {
    const r = flush(this.state, now, this.config);
    this.state = r.state;
    this.effects.push(...r.effects);
    return { effects: r.effects, open: r.open };
  }
  kinds(effects: Effect[] = this.effects): string[] {
    return effects.map((e) => e.kind);
  }
  /** The one session these effects were about (asserts there is exactly one). */
  session(effects: Effect[] = this.effects): Session {
    const ids = new Set(effects.flatMap((e) => ('session' in e ? [e.session.id] : [])));
    if (ids.size !== 1) throw new Error(`expected one session, got ${[...ids].join(', ')}`);
    const e = effects.filter((x) => 'session' in x).at(-1) as { session: Session };
    return e.session;
  }
  closed(): Session[] {
    return this.effects.flatMap((e) => (e.kind === 'session-closed' ? [e.session] : []));
  }
}

interface QmpMessage {
  id?: string | number;
  execute?: string;
  event?: string;
  data?: { status?: MigrationStatus; pass?: number; reason?: string };
  timestamp?: { seconds: number; microseconds: number };
  return?: Record<string, string | number | undefined>;
}

interface TranscriptLine {
  recv_ts: number;
  dir: 'in' | 'out' | 'eof';
  line?: string;
}

/**
 * The observations a QMP source + decoder would produce from a real transcript: MIGRATION,
 * MIGRATION_PASS, STOP, RESUME, SHUTDOWN events at QEMU's time; `query-migrate` and
 * `query-status` replies at arrival time.
 */
export function observationsFromTranscript(file: string, vm: string): Observation[] {
  const lines = readFileSync(`${FIXTURES}/${file}`, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as TranscriptLine);
  const commands = new Map<string | number, string>();
  const out: Observation[] = [];
  for (const l of lines) {
    if (!l.line) continue;
    const msg = JSON.parse(l.line) as QmpMessage;
    if (l.dir === 'out') {
      if (msg.id && msg.execute) commands.set(msg.id, msg.execute);
      continue;
    }
    const arrival = l.recv_ts * 1000;
    if (msg.event && msg.timestamp) {
      const time = msg.timestamp.seconds * 1000 + msg.timestamp.microseconds / 1000;
      const b = { ...base(vm, time), raw: l.line };
      const data = msg.data ?? {};
      if (msg.event === 'MIGRATION' && data.status)
        out.push({ ...b, kind: 'migration-status', status: data.status });
      else if (msg.event === 'MIGRATION_PASS')
        out.push({ ...b, kind: 'migration-pass', pass: data.pass ?? 0 });
      else if (msg.event === 'STOP') out.push({ ...b, kind: 'vm-stop' });
      else if (msg.event === 'RESUME') out.push({ ...b, kind: 'vm-resume' });
      else if (msg.event === 'SHUTDOWN') out.push({ ...b, kind: 'shutdown', reason: data.reason ?? 'none' });
      continue;
    }
    const command = msg.id ? commands.get(msg.id) : undefined;
    const b = { ...base(vm, arrival, { timeSource: 'arrival' }), raw: l.line };
    const r = msg.return ?? {};
    const num = (k: string): number | undefined => (typeof r[k] === 'number' ? r[k] : undefined);
    if (command === 'query-migrate') {
      const info: Observation = { ...b, kind: 'migration-info', status: r.status as MigrationStatus };
      const [total, downtime, setup] = [num('total-time'), num('downtime'), num('setup-time')];
      if (total !== undefined) info.totalTimeMs = total;
      if (downtime !== undefined) info.downtimeMs = downtime;
      if (setup !== undefined) info.setupTimeMs = setup;
      if (typeof r['error-desc'] === 'string') info.errorDesc = r['error-desc'];
      out.push(info);
    } else if (command === 'query-status') {
      out.push({ ...b, kind: 'vm-identity', runState: String(r.status), qemuVersion: '7.2.22' });
    }
  }
  return out;
}

/** Epoch ms of a UTC wall-clock string such as `2024-11-19T03:27:27.495Z`. */
export const at = (iso: string): number => Date.parse(iso);

/** A capture's messages as QEMU sent them, read straight from the JSON (not through any decoder). */
function transcript(file: string): Array<{ recvMs: number; dir: TranscriptLine['dir']; msg: QmpMessage }> {
  return readFileSync(`${FIXTURES}/${file}`, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as TranscriptLine)
    .filter((l) => l.line !== undefined)
    .map((l) => ({ recvMs: l.recv_ts * 1000, dir: l.dir, msg: JSON.parse(l.line!) as QmpMessage }));
}

/** QEMU's own time (epoch ms) of the first `event` (with `status`, for MIGRATION) in a capture. */
export function captureEventTime(file: string, event: string, status?: MigrationStatus): number {
  const m = transcript(file).find(
    (x) => x.msg.event === event && (status === undefined || x.msg.data?.status === status),
  )?.msg;
  if (!m?.timestamp) throw new Error(`${file}: no ${event} ${status ?? ''}`);
  return m.timestamp.seconds * 1000 + m.timestamp.microseconds / 1000;
}

/** Every reply to `command` in a capture, in order, with its arrival time (epoch ms). */
export function captureReplies(
  file: string,
  command: string,
): Array<{ recvMs: number; value: Record<string, string | number | undefined> }> {
  const all = transcript(file);
  const ids = new Set(all.filter((x) => x.dir === 'out' && x.msg.execute === command).map((x) => x.msg.id));
  return all
    .filter((x) => x.dir === 'in' && x.msg.return !== undefined && ids.has(x.msg.id))
    .map((x) => ({ recvMs: x.recvMs, value: x.msg.return! }));
}
