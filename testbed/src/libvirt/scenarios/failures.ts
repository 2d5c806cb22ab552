import { abortJob, migrate, rejectingDestinationXml, setMigrationSpeed } from '../migrate.js';
import { event, incomingProcess, processStart, status, TRAILER } from './shape.js';
import { logHas, mustFail, whileActive } from './steps.js';
import type { ExpectedMigration, HostKey, Scenario } from './types.js';

const failedMigration = (
  vm: string,
  vmUuid: string,
  outcome: ExpectedMigration['outcome'],
  verdict: ExpectedMigration['verdict'],
  destinationQemuDied: boolean,
  note?: string,
): Scenario['migrations'][number] => ({
  vm,
  vmUuid,
  mode: 'p2p',
  source: 'a' as HostKey,
  destination: 'b' as HostKey,
  outcome,
  failedDevices: [],
  destinationQemuDied,
  sourceResumed: false,
  verdict,
  ...(note ? { note } : {}),
});

const CANCEL = '7a0c5e21-44d9-4b0e-9f3a-6c2d1e0b9a01';
const KILLED = '7a0c5e21-44d9-4b0e-9f3a-6c2d1e0b9a02';
const REJECTED = '7a0c5e21-44d9-4b0e-9f3a-6c2d1e0b9a03';

export const FAILURE_SCENARIOS: Scenario[] = [
  {
    name: 'cancel',
    about:
      'A migration hv-a -> hv-b (p2p) slowed to 1 MiB/s with `virsh migrate-setspeed`, cancelled with `virsh domjobabort` on the source while it is active. The destination sees its stream end and fails the load, exactly as if the stream were bad.',
    vms: [{ name: 'vm-cancel', uuid: CANCEL, startOn: 'a' }],
    async run(ctx) {
      await setMigrationSpeed(ctx.a, 'vm-cancel', 1);
      const done = migrate(ctx.a, ctx.b, 'vm-cancel', { mode: 'p2p' });
      await whileActive(ctx, 'b', 'vm-cancel');
      await abortJob(ctx.a, 'vm-cancel');
      mustFail(await done, "operation aborted: job 'migration out' canceled by client");
      await logHas(ctx, 'b', 'vm-cancel', 'shutting down, reason=');
    },
    migrations: [
      failedMigration(
        'vm-cancel',
        CANCEL,
        { source: 'cancelled', destination: 'failed' },
        { bothInputs: 'cancelled', logsOnly: 'failed' },
        false,
        "The source's log shows only `initiating migration` and the destination's a load failure: from the logs a cancel cannot be told from a destination that rejected the stream; the source's `cancelling`/`cancelled` events tell it.",
      ),
    ],
    vmRunsOn: { 'vm-cancel': 'a' },
    shape: [
      {
        host: 'a',
        file: 'log',
        inOrder: [
          ...processStart('vm-cancel'),
          'char device redirected to /dev/pts/',
          'initiating migration',
        ],
        absent: ['shutting down', '-incoming'],
      },
      {
        host: 'b',
        file: 'log',
        // `reason=crashed` or `reason=failed`: whether libvirt notices the QEMU exit or the failed
        // job first is a race inside libvirt (both seen here).
        inOrder: [
          ...incomingProcess('vm-cancel'),
          'qemu-system-x86_64: load of migration failed: ',
          'shutting down, reason=',
        ],
      },
      {
        host: 'a',
        file: 'events',
        inOrder: [
          status('vm-cancel', 'setup'),
          status('vm-cancel', 'active'),
          status('vm-cancel', 'cancelling'),
          status('vm-cancel', 'cancelled'),
          ...TRAILER,
        ],
        absent: [event('vm-cancel', 'STOP'), status('vm-cancel', 'completed')],
      },
      {
        host: 'b',
        file: 'events',
        inOrder: [
          status('vm-cancel', 'setup'),
          status('vm-cancel', 'active'),
          status('vm-cancel', 'failed'),
          ...TRAILER,
        ],
      },
    ],
  },
  {
    name: 'destination-killed',
    about:
      "A migration hv-a -> hv-b (p2p, `--bandwidth 1`) whose destination QEMU is killed with SIGKILL while the stream is active: the source's write fails and its migration fails; the VM goes on running on hv-a.",
    vms: [{ name: 'vm-dst-killed', uuid: KILLED, startOn: 'a' }],
    async run(ctx) {
      const done = migrate(ctx.a, ctx.b, 'vm-dst-killed', { mode: 'p2p', bandwidthMiB: 1 });
      await whileActive(ctx, 'b', 'vm-dst-killed');
      ctx.b.signalQemu('vm-dst-killed', 'SIGKILL');
      mustFail(await done, 'error: ');
      await logHas(ctx, 'b', 'vm-dst-killed', 'shutting down, reason=');
    },
    migrations: [
      failedMigration(
        'vm-dst-killed',
        KILLED,
        { source: 'failed', destination: 'failed' },
        { bothInputs: 'failed', logsOnly: 'failed' },
        true,
      ),
    ],
    vmRunsOn: { 'vm-dst-killed': 'a' },
    shape: [
      {
        host: 'a',
        file: 'log',
        inOrder: [
          ...processStart('vm-dst-killed'),
          'initiating migration',
          'qemu-system-x86_64: Unable to write to socket: ',
        ],
        absent: ['shutting down'],
      },
      {
        host: 'b',
        file: 'log',
        inOrder: [...incomingProcess('vm-dst-killed'), 'shutting down, reason='],
        absent: ['load of migration failed', 'terminating on signal'],
      },
      {
        host: 'a',
        file: 'events',
        inOrder: [
          status('vm-dst-killed', 'setup'),
          status('vm-dst-killed', 'active'),
          status('vm-dst-killed', 'failed'),
          ...TRAILER,
        ],
        absent: [status('vm-dst-killed', 'completed')],
      },
      {
        host: 'b',
        file: 'events',
        inOrder: [status('vm-dst-killed', 'setup'), status('vm-dst-killed', 'active'), ...TRAILER],
        absent: [status('vm-dst-killed', 'completed'), status('vm-dst-killed', 'failed')],
      },
    ],
  },
  {
    name: 'destination-rejects-stream',
    about:
      'A migration hv-a -> hv-b (p2p) whose destination QEMU cannot load the stream (it does not expect the configuration section the source sends): the destination fails the load and exits, the source fails; the VM goes on running on hv-a.',
    vms: [{ name: 'vm-rejected', uuid: REJECTED, startOn: 'a' }],
    async run(ctx) {
      const xml = await rejectingDestinationXml(ctx.a, 'vm-rejected');
      // virsh reports whichever side libvirt noticed first (the destination's load error or the
      // source's write error); the domain logs say which is which.
      mustFail(
        await migrate(ctx.a, ctx.b, 'vm-rejected', { mode: 'p2p', destinationXmlFile: xml }),
        'error: ',
      );
      await logHas(ctx, 'b', 'vm-rejected', 'shutting down, reason=');
    },
    migrations: [
      failedMigration(
        'vm-rejected',
        REJECTED,
        { source: 'failed', destination: 'failed' },
        { bothInputs: 'failed', logsOnly: 'failed' },
        false,
      ),
    ],
    vmRunsOn: { 'vm-rejected': 'a' },
    shape: [
      {
        host: 'a',
        file: 'log',
        inOrder: [
          ...processStart('vm-rejected'),
          'initiating migration',
          'qemu-system-x86_64: Unable to write to socket: ',
        ],
        absent: ['shutting down'],
      },
      {
        host: 'b',
        file: 'log',
        inOrder: [
          ...incomingProcess('vm-rejected'),
          'qemu-system-x86_64: Unknown savevm section type 7',
          'qemu-system-x86_64: load of migration failed: Invalid argument',
          'shutting down, reason=',
        ],
      },
      {
        host: 'b',
        file: 'log',
        inOrder: ['-global migration.send-configuration=off \\', 'is tainted: custom-argv'],
      },
      {
        host: 'a',
        file: 'events',
        inOrder: [
          status('vm-rejected', 'setup'),
          status('vm-rejected', 'active'),
          status('vm-rejected', 'failed'),
          ...TRAILER,
        ],
      },
      {
        host: 'b',
        file: 'events',
        inOrder: [
          status('vm-rejected', 'setup'),
          status('vm-rejected', 'active'),
          status('vm-rejected', 'failed'),
          ...TRAILER,
        ],
      },
    ],
  },
];
