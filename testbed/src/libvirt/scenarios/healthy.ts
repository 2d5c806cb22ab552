import {
  destinationCompleted,
  event,
  incomingProcess,
  MIGRATED_AWAY,
  processStart,
  sourceCompleted,
  TRAILER,
} from './shape.js';
import { migrateOk } from './steps.js';
import type { ExpectedMigration, HostKey, Scenario } from './types.js';

type Keyed = Scenario['migrations'][number];

/** A migration that went well, in Switchover's terms. */
export function succeeded(
  vm: string,
  vmUuid: string,
  source: HostKey,
  destination: HostKey,
  mode: ExpectedMigration['mode'],
): Keyed {
  return {
    vm,
    vmUuid,
    mode,
    source,
    destination,
    outcome: { source: 'completed', destination: 'completed' },
    failedDevices: [],
    destinationQemuDied: false,
    sourceResumed: false,
    verdict: { bothInputs: 'succeeded', logsOnly: 'succeeded' },
  };
}

/** The four files of one migration `src` → `dst` that completed. */
export function completedShapes(vm: string, src: HostKey, dst: HostKey): Scenario['shape'] {
  return [
    {
      host: src,
      vm,
      file: 'log',
      inOrder: [...processStart(vm), 'char device redirected to /dev/pts/', ...MIGRATED_AWAY],
      absent: ['-incoming', 'reason=crashed', 'reason=failed'],
    },
    {
      host: dst,
      vm,
      file: 'log',
      inOrder: incomingProcess(vm),
      absent: ['shutting down', 'initiating migration'],
    },
    {
      host: src,
      file: 'events',
      inOrder: [...sourceCompleted(vm), ...TRAILER],
      absent: [event(vm, 'RESUME')],
    },
    { host: dst, file: 'events', inOrder: [...destinationCompleted(vm), ...TRAILER] },
  ];
}

const healthy = (name: string, mode: ExpectedMigration['mode'], uuid: string): Scenario => {
  const vm = `vm-${name}`;
  return {
    name,
    about: `One live migration hv-a -> hv-b (${mode === 'p2p' ? 'peer to peer: the source libvirtd drives it' : 'direct: the virsh client drives both daemons'}) that completes.`,
    vms: [{ name: vm, uuid, startOn: 'a' }],
    run: async (ctx) => void (await migrateOk(ctx, 'a', 'b', vm, { mode })),
    migrations: [succeeded(vm, uuid, 'a', 'b', mode)],
    vmRunsOn: { [vm]: 'b' },
    shape: completedShapes(vm, 'a', 'b'),
  };
};

const PING = '3f1e2d4c-0b6a-4e59-8c71-1a2b3c4d5e03';
const PAIR1 = '3f1e2d4c-0b6a-4e59-8c71-1a2b3c4d5e04';
const PAIR2 = '3f1e2d4c-0b6a-4e59-8c71-1a2b3c4d5e05';
const TRACED = '3f1e2d4c-0b6a-4e59-8c71-1a2b3c4d5e06';

/** Trace events QEMU 7.2 knows, enabled the way a user does it: `-trace` through `<qemu:commandline>`. */
const TRACES = ['migrate_set_state', 'source_return_path_thread_*', 'migrate_send_rp_message'];

export const HEALTHY_SCENARIOS: Scenario[] = [
  healthy('healthy-p2p', 'p2p', '3f1e2d4c-0b6a-4e59-8c71-1a2b3c4d5e01'),
  healthy('healthy-direct', 'direct', '3f1e2d4c-0b6a-4e59-8c71-1a2b3c4d5e02'),
  {
    name: 'ping-pong',
    about:
      'One VM migrated hv-a -> hv-b (p2p), back hv-b -> hv-a (direct), and hv-a -> hv-b again (p2p): each domain log holds several QEMU processes, each the source or destination of a different migration.',
    vms: [{ name: 'vm-ping-pong', uuid: PING, startOn: 'a' }],
    async run(ctx) {
      await migrateOk(ctx, 'a', 'b', 'vm-ping-pong', { mode: 'p2p' });
      await migrateOk(ctx, 'b', 'a', 'vm-ping-pong', { mode: 'direct' });
      await migrateOk(ctx, 'a', 'b', 'vm-ping-pong', { mode: 'p2p' });
    },
    migrations: [
      succeeded('vm-ping-pong', PING, 'a', 'b', 'p2p'),
      succeeded('vm-ping-pong', PING, 'b', 'a', 'direct'),
      succeeded('vm-ping-pong', PING, 'a', 'b', 'p2p'),
    ],
    vmRunsOn: { 'vm-ping-pong': 'b' },
    shape: [
      {
        host: 'a',
        file: 'log',
        inOrder: [
          ...processStart('vm-ping-pong'),
          ...MIGRATED_AWAY,
          ...incomingProcess('vm-ping-pong'),
          ...MIGRATED_AWAY,
        ],
      },
      {
        host: 'b',
        file: 'log',
        inOrder: [...incomingProcess('vm-ping-pong'), ...MIGRATED_AWAY, ...incomingProcess('vm-ping-pong')],
      },
      {
        host: 'a',
        file: 'events',
        inOrder: [
          ...sourceCompleted('vm-ping-pong'),
          ...destinationCompleted('vm-ping-pong'),
          ...sourceCompleted('vm-ping-pong'),
          ...TRAILER,
        ],
      },
      {
        host: 'b',
        file: 'events',
        inOrder: [
          ...destinationCompleted('vm-ping-pong'),
          ...sourceCompleted('vm-ping-pong'),
          ...destinationCompleted('vm-ping-pong'),
          ...TRAILER,
        ],
      },
    ],
  },
  {
    name: 'two-domains',
    about:
      'Two VMs migrated hv-a -> hv-b at the same time (p2p): one events file per host holds both, interleaved; each VM has its own domain log.',
    vms: [
      { name: 'vm-pair-1', uuid: PAIR1, startOn: 'a' },
      { name: 'vm-pair-2', uuid: PAIR2, startOn: 'a' },
    ],
    async run(ctx) {
      await Promise.all(
        ['vm-pair-1', 'vm-pair-2'].map((vm) => migrateOk(ctx, 'a', 'b', vm, { mode: 'p2p' })),
      );
    },
    migrations: [
      succeeded('vm-pair-1', PAIR1, 'a', 'b', 'p2p'),
      succeeded('vm-pair-2', PAIR2, 'a', 'b', 'p2p'),
    ],
    vmRunsOn: { 'vm-pair-1': 'b', 'vm-pair-2': 'b' },
    shape: [...completedShapes('vm-pair-1', 'a', 'b'), ...completedShapes('vm-pair-2', 'a', 'b')],
  },
  {
    name: 'trace-options',
    about:
      "A VM whose XML adds QEMU trace options through <qemu:commandline> (libvirt logs 'tainted: custom-argv'); QEMU's trace lines (`PID@SEC.USEC:name args`) land in both domain logs around a migration hv-a -> hv-b (p2p) that completes.",
    vms: [
      {
        name: 'vm-traced',
        uuid: TRACED,
        startOn: 'a',
        qemuArgs: TRACES.flatMap((t) => ['-trace', `enable=${t}`]),
      },
    ],
    run: async (ctx) => void (await migrateOk(ctx, 'a', 'b', 'vm-traced', { mode: 'p2p' })),
    migrations: [succeeded('vm-traced', TRACED, 'a', 'b', 'p2p')],
    vmRunsOn: { 'vm-traced': 'b' },
    shape: [
      ...completedShapes('vm-traced', 'a', 'b'),
      ...(['a', 'b'] as const).map((host) => ({
        host,
        file: 'log' as const,
        inOrder: ["-trace 'enable=source_return_path_thread_*' \\", 'is tainted: custom-argv'],
      })),
      {
        host: 'a',
        file: 'log',
        inOrder: [
          'initiating migration',
          ':migrate_set_state new state setup',
          ':source_return_path_thread_shut 0x0',
          ':migrate_set_state new state completed',
          'shutting down, reason=migrated',
        ],
      },
      {
        host: 'b',
        file: 'log',
        // QEMU 7.2's destination goes straight to `active` (no `setup` before 8.2), and sends the
        // return path's SHUT (message 1) once its incoming migration is `completed`.
        inOrder: [
          ':migrate_set_state new state active',
          ':migrate_set_state new state completed',
          ':migrate_send_rp_message 1: len 4',
        ],
        absent: [':migrate_set_state new state setup'],
      },
    ],
  },
];
