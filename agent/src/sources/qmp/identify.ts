import path from 'node:path';
import type { VmRef } from '@switchover/model';
import type { QmpClient } from './client.js';
import { QmpDisconnectedError, QmpProtocolError, errorType } from './errors.js';
import { VFIO_DEVICES_COMMAND } from '../../records/types.js';

/**
 * Who is behind a QMP socket: the identity queries, in the order they are emitted, plus one
 * synthetic `vfio-devices` reply mapping each vfio-pci qdev id to the name QEMU uses for it in
 * its error lines (the host PCI address).
 */
export const IDENTITY_COMMANDS = [
  'query-name',
  'query-uuid',
  'query-version',
  'query-status',
  'query-migrate-capabilities',
] as const;

export interface Identity {
  vm: VmRef;
  replies: { command: string; result: unknown }[];
  /** State of the `events` migration capability; undefined when it could not be read. */
  eventsCapability: boolean | undefined;
  /** The connection dropped during identification: what was learnt so far is still returned. */
  interrupted: boolean;
}

/** QEMU's UUID when none was given with `-uuid`: it identifies nothing. */
const NULL_UUID = '00000000-0000-0000-0000-000000000000';

export async function identify(
  client: QmpClient,
  socketPath: string,
  onError: (errorType: string, err: unknown) => void,
): Promise<Identity> {
  const replies: Identity['replies'] = [];
  let interrupted = false;
  // Returns undefined on failure; a dropped connection stops everything after it.
  const ask = async (command: string, args?: Record<string, unknown>, report = true): Promise<unknown> => {
    if (interrupted) return undefined;
    try {
      return await client.execute(command, args);
    } catch (err) {
      if (err instanceof QmpDisconnectedError) interrupted = true;
      else if (report) onError(errorType(err), err);
      return undefined;
    }
  };

  for (const command of IDENTITY_COMMANDS) {
    const result = await ask(command);
    if (result !== undefined) replies.push({ command, result });
  }
  const devices = await vfioDevices(ask, onError);
  if (devices) replies.push({ command: VFIO_DEVICES_COMMAND, result: devices });

  const name = field(replies, 'query-name', 'name');
  const uuid = field(replies, 'query-uuid', 'UUID');
  const caps = replies.find((r) => r.command === 'query-migrate-capabilities')?.result;
  // The reply is the peer's to shape (`[null]`, `[5]`): only well-formed entries count.
  const events = Array.isArray(caps)
    ? (caps as unknown[]).find((c) => isObject(c) && c.capability === 'events')
    : undefined;
  return {
    vm: {
      name: name || path.basename(socketPath, path.extname(socketPath)),
      ...(uuid && uuid !== NULL_UUID ? { uuid } : {}),
    },
    replies,
    eventsCapability: isObject(events) ? events.state === true : undefined,
    interrupted,
  };
}

type Ask = (command: string, args?: Record<string, unknown>, report?: boolean) => Promise<unknown>;

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * vfio-pci devices with an id sit under /machine/peripheral as `child<vfio-pci>`. A VM without
 * any is normal. QEMU names a device by the basename of its sysfs path, which is the `host`
 * property, or the basename of `sysfsdev` when the device was given that way.
 */
async function vfioDevices(
  ask: Ask,
  onError: (errorType: string, err: unknown) => void,
): Promise<Record<string, string> | undefined> {
  const children = await ask('qom-list', { path: '/machine/peripheral' });
  if (!Array.isArray(children)) return undefined;
  // Keyed by qdev ids, which the VM's owner chooses: no prototype to collide with.
  const out = Object.create(null) as Record<string, string>;
  const malformed = (children as unknown[]).filter((c) => !isObject(c)).length;
  if (malformed > 0) {
    const err = new QmpProtocolError(`qom-list reply has ${malformed} entries that are not objects; skipped`);
    onError(errorType(err), err);
  }
  for (const child of children as unknown[]) {
    if (!isObject(child) || child.type !== 'child<vfio-pci>' || typeof child.name !== 'string') continue;
    const qomPath = `/machine/peripheral/${child.name}`;
    const host = await ask('qom-get', { path: qomPath, property: 'host' }, false);
    if (typeof host === 'string' && host !== '') {
      out[child.name] = host;
      continue;
    }
    const sysfsdev = await ask('qom-get', { path: qomPath, property: 'sysfsdev' });
    if (typeof sysfsdev === 'string' && sysfsdev !== '') out[child.name] = path.basename(sysfsdev);
  }
  return out;
}

function field(replies: Identity['replies'], command: string, key: string): string | undefined {
  const r = replies.find((x) => x.command === command)?.result as Record<string, unknown> | undefined;
  const v = r?.[key];
  return typeof v === 'string' ? v : undefined;
}
