import { describe, expect, it } from 'vitest';
import { ARRIVAL, HOST, VM, logLine, one, status, utc } from './helpers.js';

/**
 * The VFIO set-state failure in every wording QEMU 7.2–10.2 prints, behind every prefix it can
 * have: none (printed inside QMP `cont`, the libvirt case), `prog: `, `<ISO>Z prog: ` (with and
 * without the fraction GLib drops at µs = 0).
 */
const PREFIXES: { prefix: string; time: number | null }[] = [
  { prefix: '', time: null },
  { prefix: 'qemu-system-x86_64: ', time: null },
  { prefix: 'qemu-kvm: ', time: null },
  { prefix: 'qemu: ', time: null },
  { prefix: '2025-07-21T18:43:28.089815Z qemu-system-x86_64: ', time: utc('2025-07-21T18:43:28.089815Z') },
  { prefix: '2025-07-21T18:43:28Z qemu-kvm: ', time: utc('2025-07-21T18:43:28Z') },
];
const DEVICES = ['0000:3b:00.1', 'hostdev0', '0000:e1:00.4'];
const TARGETS = ['RUNNING', 'RUNNING_P2P'] as const;

interface Form {
  name: string;
  line: (dev: string, target: string) => string;
  form: string;
  error: string | undefined;
  target: boolean;
  fatal?: boolean;
}
const FORMS: Form[] = [
  {
    name: '9.1+ errno',
    line: (d, t) =>
      `${d}: Failed setting device state to ${t}. Recover state is ERROR. Resetting device: Input/output error`,
    form: 'errno-9.1',
    error: 'Input/output error',
    target: true,
  },
  {
    name: '8.0–9.0 err:',
    line: (d, t) =>
      `${d}: Failed setting device state to ${t}, err: Input/output error. Recover state is ERROR. Resetting device`,
    form: 'err-8.0',
    error: 'Input/output error',
    target: true,
  },
  {
    name: '9.1+ recover state',
    line: (d, t) =>
      `${d}: Failed setting device state to ${t}. Setting device in recover state STOP: No such device`,
    form: 'recover-state',
    error: 'No such device',
    target: true,
  },
  {
    name: '8.0–9.0 recover state',
    line: (d, t) =>
      `${d}: Failed setting device state to ${t}, err: No such device. Setting device in recover state STOP`,
    form: 'recover-state',
    error: 'No such device',
    target: true,
  },
];

describe('VFIO set-state failure, every version and prefix', () => {
  for (const { prefix, time } of PREFIXES) {
    for (const f of FORMS) {
      for (const dev of DEVICES) {
        for (const target of TARGETS) {
          const text = prefix + f.line(dev, target);
          it(`${f.name} | ${JSON.stringify(prefix)} | ${dev} | ${target}`, () => {
            const o = one(logLine(text));
            expect(o).toMatchObject({
              kind: 'vfio-failure',
              device: dev,
              form: f.form,
              error: f.error,
              target,
              fatal: false,
            });
            expect(o).toMatchObject({ host: HOST, vm: VM, raw: text, origin: { kind: 'libvirt-log' } });
            if (time === null) expect(o).toMatchObject({ time: ARRIVAL, timeSource: 'arrival' });
            else expect(o).toMatchObject({ time, timeSource: 'event' });
          });
        }
      }
    }
  }
});

describe('VFIO failure forms without a target state', () => {
  const cases: [string, Record<string, unknown>][] = [
    [
      '0000:3b:00.1: Failed setting device in recover state, err: Bad address. Resetting device',
      { device: '0000:3b:00.1', form: 'recover-state', error: 'Bad address', fatal: false },
    ],
    [
      '0000:3b:00.1: Failed to set device state 0x4',
      { device: '0000:3b:00.1', form: 'v1-7.2', fatal: false },
    ],
    ['qemu-system-x86_64: hostdev0: Failed to set device state 0x0', { device: 'hostdev0', form: 'v1-7.2' }],
    [
      '0000:3b:00.1: Failed to set state RUNNING',
      { device: '0000:3b:00.1', form: 'v1-7.2', target: 'RUNNING' },
    ],
    ['0000:3b:00.1: Failed to set state STOP and SAVING', { device: '0000:3b:00.1', form: 'v1-7.2' }],
    [
      'qemu: hardware error: 0000:3b:00.1: Failed resetting device, err: Device or resource busy',
      { device: '0000:3b:00.1', form: 'reset-failed', error: 'Device or resource busy', fatal: true },
    ],
    [
      'qemu: hardware error: hostdev0: Device in error state 0x8',
      { device: 'hostdev0', form: 'hardware-error', fatal: true },
    ],
  ];
  it.each(cases)('%s', (text, expected) => {
    const o = one(logLine(text));
    expect(o).toMatchObject({ kind: 'vfio-failure', ...expected });
    if (!('target' in expected)) expect((o as { target?: string }).target).toBeUndefined();
    if (!('error' in expected)) expect((o as { error?: string }).error).toBeUndefined();
  });

  it('keeps other hardware errors as qemu-error', () => {
    expect(one(logLine('qemu: hardware error: vfio: DMA mapping failed, unable to continue'))).toMatchObject({
      kind: 'qemu-error',
      message: 'hardware error: vfio: DMA mapping failed, unable to continue',
    });
  });

  it('finds the failure inside a chained error text', () => {
    const text =
      'qemu-system-x86_64: Error in migration completion: 0000:3b:00.1: Failed setting device state to STOP_COPY. Recover state is ERROR. Resetting device: Invalid argument';
    expect(one(logLine(text))).toMatchObject({
      kind: 'vfio-failure',
      device: '0000:3b:00.1',
      target: 'STOP_COPY',
      error: 'Invalid argument',
    });
  });

  it('still reports a set-state failure with an unforeseen tail', () => {
    expect(one(logLine('hostdev0: Failed setting device state to RUNNING. Something new'))).toMatchObject({
      kind: 'vfio-failure',
      device: 'hostdev0',
      target: 'RUNNING',
    });
  });
});

describe('time of an untimed failure line', () => {
  const text =
    '0000:e1:00.4: Failed setting device state to RUNNING. Recover state is ERROR. Resetting device: Input/output error';
  it('journald realtime when the transport gave one', () => {
    expect(one(logLine(text, { transportTime: 1_731_986_847_725.5 }))).toMatchObject({
      time: 1_731_986_847_725.5,
      timeSource: 'arrival',
    });
  });
  it('offline: bounded by the timed neighbours', () => {
    const o = one(logLine(text, { neighbours: { before: 1000, after: 2000 }, transportTime: 5 }));
    expect(o).toMatchObject({ time: 1000, timeSource: 'bounded', latest: 2000 });
  });
  it('offline: nothing timed follows → open upper bound', () => {
    expect(one(logLine(text, { neighbours: { before: 1000, after: null } }))).toMatchObject({
      time: 1000,
      timeSource: 'bounded',
      latest: null,
    });
  });
  it('offline: nothing timed before → the later neighbour, then arrival', () => {
    expect(one(logLine(text, { neighbours: { before: null, after: 2000 } }))).toMatchObject({
      time: 2000,
      latest: 2000,
    });
    expect(one(logLine(text, { neighbours: { before: null, after: null } }))).toMatchObject({
      time: ARRIVAL,
      timeSource: 'bounded',
      latest: null,
    });
  });
  it('a timed line ignores neighbours and transport time', () => {
    const o = one(
      logLine(`2024-11-19T03:27:27.725001Z qemu-system-x86_64: ${text}`, {
        neighbours: { before: 1, after: 2 },
        transportTime: 3,
      }),
    );
    expect(o).toMatchObject({ time: utc('2024-11-19T03:27:27.725001Z'), timeSource: 'event' });
    expect(o.latest).toBeUndefined();
  });
  it('without a VM the failure cannot be attributed: unknown', () => {
    expect(status(logLine(text, { vm: undefined }))).toBe('unknown');
  });
});
