import { statSync } from 'node:fs';
import { event, incomingProcess, processStart, status, TRAILER } from './shape.js';
import type { Scenario } from './types.js';

const SAVED = '7a0c5e21-44d9-4b0e-9f3a-6c2d1e0b9a04';
/** Inside hv-a: libvirt's own save directory. */
const SAVE_FILE = '/var/lib/libvirt/qemu/save/vm-saved.save';

/** `virsh save` / `restore`: QEMU migrates to and from a file, which must never pass for a migration. */
export const SAVE_RESTORE: Scenario = {
  name: 'save-restore',
  about:
    "`virsh save` of a VM on hv-a to a file, then `virsh restore` from it on hv-a: not a migration, though QEMU reports both as one (the save is an outgoing migration to a file; the restored QEMU starts with `-incoming defer` and completes an incoming one). hv-b's events file holds no event at all.",
  vms: [{ name: 'vm-saved', uuid: SAVED, startOn: 'a' }],
  async run(ctx) {
    await ctx.a.virshOk(['save', 'vm-saved', SAVE_FILE]);
    // The guest's 16 MiB of written pages are in the file libvirtd wrote inside hv-a.
    if (statSync(ctx.a.outside(SAVE_FILE)).size < 16 * 1024 * 1024)
      throw new Error('the save file is too small');
    await ctx.a.virshOk(['restore', SAVE_FILE]);
  },
  migrations: [],
  notMigrations: [
    {
      vm: 'vm-saved',
      host: 'a',
      what: 'virsh save (reason=saved) then virsh restore (a new QEMU with -incoming defer)',
    },
  ],
  vmRunsOn: { 'vm-saved': 'a' },
  shape: [
    {
      host: 'a',
      file: 'log',
      inOrder: [
        ...processStart('vm-saved'),
        'shutting down, reason=saved',
        'qemu-system-x86_64: terminating on signal 15 from pid',
        ...incomingProcess('vm-saved'),
      ],
      absent: ['initiating migration'],
    },
    {
      host: 'a',
      file: 'events',
      inOrder: [
        event('vm-saved', 'STOP'),
        status('vm-saved', 'setup'),
        status('vm-saved', 'completed'),
        status('vm-saved', 'setup'),
        status('vm-saved', 'completed'),
        event('vm-saved', 'RESUME'),
        ...TRAILER,
      ],
    },
    {
      host: 'b',
      file: 'events',
      inOrder: ['event loop interrupted', 'events received: 0'],
      absent: ["for domain '"],
    },
  ],
};
