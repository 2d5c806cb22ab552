import { migrationStatus } from '../events.js';
import { migrate } from '../migrate.js';
import { resetFailureLines, vfioFailureLine, type VfioFailure } from '../vfio-lines.js';
import { completedShapes, succeeded } from './healthy.js';
import {
  destinationCompleted,
  event,
  incomingProcess,
  MIGRATED_AWAY,
  processStart,
  sourceCompleted,
  status,
  TRAILER,
} from './shape.js';
import { MissedWindow } from './run.js';
import { destinationResumed, logHas, migrateOk, mustFail } from './steps.js';
import type { ExpectedMigration, Scenario } from './types.js';

const SIMULATED_WHY =
  "No VFIO device exists here: the line the destination QEMU prints when the device fails RESUMING->RUNNING during libvirt's `cont` is appended to the real domain log right after the destination's RESUME, in that QEMU version's exact wording (no timestamp, no program prefix: it is printed inside a monitor command).";

const silent = (
  name: string,
  vm: string,
  uuid: string,
  f: VfioFailure,
  mode: ExpectedMigration['mode'],
  qemuTime: boolean,
): Scenario => {
  const line = vfioFailureLine(f);
  return {
    name,
    about: `A migration hv-a -> hv-b (${mode}) that completes on both sides, but the destination's VFIO device ${f.device} failed its transition to ${f.target ?? 'RUNNING'} (QEMU ${f.form === '8.0' ? '8.0-9.0' : `${f.form}+`} wording): the VM runs on hv-b with a reset device, and libvirt reports success everywhere.${qemuTime ? " Both hosts were also watched without --timestamp (events-qemu-time files: QEMU's own event time)." : ''}`,
    vms: [{ name: vm, uuid, startOn: 'a' }],
    qemuTimeEvents: qemuTime,
    async run(ctx) {
      const done = migrateOk(ctx, 'a', 'b', vm, { mode });
      await destinationResumed(ctx, 'b', vm);
      ctx.simulate('b', vm, [line], SIMULATED_WHY);
      await done;
    },
    migrations: [
      {
        ...succeeded(vm, uuid, 'a', 'b', mode),
        outcome: { source: 'completed', destination: 'completed-with-device-failure' },
        failedDevices: [f.device],
        verdict: { bothInputs: 'silent-destination-failure', logsOnly: 'silent-destination-failure' },
      },
    ],
    vmRunsOn: { [vm]: 'b' },
    shape: [
      ...completedShapes(vm, 'a', 'b'),
      { host: 'b', file: 'log', inOrder: [...incomingProcess(vm), line], absent: ['shutting down'] },
      ...(qemuTime
        ? ([
            { host: 'a', file: 'events-qemu-time', inOrder: [...sourceCompleted(vm), ...TRAILER] },
            { host: 'b', file: 'events-qemu-time', inOrder: [...destinationCompleted(vm), ...TRAILER] },
          ] as Scenario['shape'])
        : []),
    ],
  };
};

const HW_ERROR = '9b4d2f60-1c3e-4a57-8e09-5f6a7b8c9d03';
const CRASH = '9b4d2f60-1c3e-4a57-8e09-5f6a7b8c9d04';
const HW_DEVICE: VfioFailure = { form: '8.0', device: '0000:3b:00.1', target: 'RUNNING' };

/**
 * The destination QEMU dies inside libvirt's `cont`, as QEMU 8.0-9.0 does when the device's
 * RESUMING->RUNNING fails and the reset fails too (`hw_error()` prints and aborts). To put the death
 * there for real, the destination QEMU is stopped (SIGSTOP) the moment its incoming migration
 * completes, before libvirt's Finish phase sends `cont`; its lines are appended; then it is sent
 * SIGABRT and SIGCONT, so it dies with `cont` unanswered. One thing differs from a real abort: a real
 * QEMU emits RESUME before the VFIO handlers run, a stopped one cannot, so hv-b has no RESUME here.
 */
async function hardwareErrorInCont(ctx: Parameters<Scenario['run']>[0]): Promise<void> {
  const vm = 'vm-hw-error';
  const done = migrate(ctx.a, ctx.b, vm, { mode: 'p2p' });
  await ctx.events('b').waitFor(`${vm} active on hv-b`, migrationStatus(vm, 'active'));
  const pid = ctx.b.qemuPid(vm); // looked up early: at `completed` there is no time to scan /proc
  if (pid === null) throw new Error(`no destination QEMU for ${vm}`);
  await ctx.events('b').waitFor(`${vm} completed on hv-b`, migrationStatus(vm, 'completed'));
  process.kill(pid, 'SIGSTOP');
  if (
    ctx
      .events('b')
      .events()
      .some((e) => e.domain === vm && e.event === 'RESUME')
  )
    throw new MissedWindow(`libvirt's cont reached the destination before it could be stopped`);
  ctx.simulate(
    'b',
    vm,
    resetFailureLines(HW_DEVICE),
    `${SIMULATED_WHY} The device reset fails too: hw_error() prints \`qemu: hardware error: …\` and the vCPU registers (taken from a real QEMU 7.2 running this guest), then QEMU aborts; the harness sends the SIGABRT.`,
  );
  process.kill(pid, 'SIGABRT');
  process.kill(pid, 'SIGCONT');
  mustFail(await done, 'error: ');
  await logHas(ctx, 'b', vm, 'shutting down, reason=');
}

export const AFTER_SWITCHOVER_SCENARIOS: Scenario[] = [
  silent(
    'silent-failure-9.1',
    'vm-silent-91',
    '9b4d2f60-1c3e-4a57-8e09-5f6a7b8c9d01',
    { form: '9.1', device: '0000:3b:00.1' },
    'p2p',
    true,
  ),
  silent(
    'silent-failure-8.0',
    'vm-silent-80',
    '9b4d2f60-1c3e-4a57-8e09-5f6a7b8c9d02',
    { form: '8.0', device: '0000:af:00.2', error: 'Invalid argument' },
    'direct',
    false,
  ),
  {
    name: 'destination-hardware-error',
    about:
      "A migration hv-a -> hv-b (p2p) that completes in QEMU on both sides, then the destination's device fails RESUMING->RUNNING during libvirt's `cont`, its reset fails and QEMU aborts (`qemu: hardware error: …`, QEMU 8.0-9.0 wording). libvirt's Finish fails, so libvirt restarts the source's vCPUs: the VM goes on running on hv-a.",
    vms: [{ name: 'vm-hw-error', uuid: HW_ERROR, startOn: 'a' }],
    run: hardwareErrorInCont,
    migrations: [
      {
        ...succeeded('vm-hw-error', HW_ERROR, 'a', 'b', 'p2p'),
        outcome: { source: 'completed', destination: 'completed-with-device-failure' },
        failedDevices: [HW_DEVICE.device],
        destinationQemuDied: true,
        sourceResumed: true,
        verdict: { bothInputs: 'failed', logsOnly: 'failed' },
        note: "Not destination-lost: QEMU on hv-a completed and paused, but libvirt's Finish on hv-b failed (the destination died inside `cont`), so libvirt resumed the source (hv-a's RESUME, no `reason=migrated` in its log). The VM never left hv-a.",
      },
    ],
    vmRunsOn: { 'vm-hw-error': 'a' },
    shape: [
      {
        host: 'a',
        file: 'log',
        inOrder: [...processStart('vm-hw-error'), 'initiating migration'],
        absent: ['shutting down', 'terminating on signal'],
      },
      {
        host: 'b',
        file: 'log',
        inOrder: [
          ...incomingProcess('vm-hw-error'),
          ...resetFailureLines(HW_DEVICE).slice(0, 3),
          'shutting down, reason=',
        ],
      },
      {
        host: 'a',
        file: 'events',
        inOrder: [...sourceCompleted('vm-hw-error'), event('vm-hw-error', 'RESUME'), ...TRAILER],
      },
      {
        host: 'b',
        file: 'events',
        inOrder: [
          status('vm-hw-error', 'setup'),
          status('vm-hw-error', 'active'),
          status('vm-hw-error', 'completed'),
          ...TRAILER,
        ],
        absent: [event('vm-hw-error', 'RESUME')],
      },
    ],
  },
  {
    name: 'destination-crash-after-completion',
    about:
      'A migration hv-a -> hv-b (p2p) that completes (libvirt kills the source QEMU: reason=migrated), then the destination QEMU crashes (SIGSEGV) right away: the VM runs nowhere.',
    vms: [{ name: 'vm-crash', uuid: CRASH, startOn: 'a' }],
    async run(ctx) {
      const done = migrateOk(ctx, 'a', 'b', 'vm-crash', { mode: 'p2p' });
      await ctx.events('b').waitFor('vm-crash active on hv-b', migrationStatus('vm-crash', 'active'));
      const pid = ctx.b.qemuPid('vm-crash'); // looked up early, so the crash follows completion closely
      if (pid === null) throw new Error('no destination QEMU for vm-crash');
      await done;
      process.kill(pid, 'SIGSEGV');
      await logHas(ctx, 'b', 'vm-crash', 'shutting down, reason=crashed');
    },
    migrations: [
      {
        ...succeeded('vm-crash', CRASH, 'a', 'b', 'p2p'),
        destinationQemuDied: true,
        verdict: { bothInputs: 'destination-lost', logsOnly: 'destination-lost' },
      },
    ],
    vmRunsOn: { 'vm-crash': null },
    shape: [
      ...completedShapes('vm-crash', 'a', 'b').filter((s) => !(s.host === 'b' && s.file === 'log')),
      {
        host: 'b',
        file: 'log',
        inOrder: [...incomingProcess('vm-crash'), 'shutting down, reason=crashed'],
        absent: ['initiating migration'],
      },
      { host: 'a', file: 'log', inOrder: MIGRATED_AWAY },
    ],
  },
];
