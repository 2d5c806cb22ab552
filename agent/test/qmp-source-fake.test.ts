import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isReadOnlyCommand } from '../src/sources/qmp/allowlist.js';
import { globToRegExp } from '../src/lib/glob.js';
import { parseGlobs } from '../src/sources/qmp/discovery.js';
import { QmpSource } from '../src/sources/qmp/qmp-source.js';
import type { QmpEventRecord, QmpReplyRecord, RawRecord } from '../src/records/types.js';
import type { SourceStatus } from '../src/sources/types.js';
import { startFakeQmpServer, type FakeHandler, type FakeQmpServer } from './helpers/fake-qmp-server.js';

/** QmpSource lifecycle against the scriptable fake server: identity details, reconnects, socket loss. */

let dir: string;
let servers: FakeQmpServer[];
let source: QmpSource | undefined;
let records: RawRecord[];
let statuses: SourceStatus[];
let errors: { stage: string; type: string }[];

beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'qmp-source-fake-'));
  servers = [];
  records = [];
  statuses = [];
  errors = [];
});

afterEach(async () => {
  await source?.stop();
  source = undefined;
  await Promise.all(servers.map((s) => s.close().catch(() => undefined)));
  await fs.rm(dir, { recursive: true, force: true });
});

async function until<T>(what: string, f: () => T | undefined | false, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = f();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A VM with two vfio-pci devices (one given by sysfsdev), no -name and no -uuid. */
const vfioVm: FakeHandler = (cmd, conn) => {
  const args = (cmd.arguments ?? {}) as { path?: string; property?: string };
  switch (cmd.execute) {
    case 'qmp_capabilities':
      conn.reply(cmd.id, {});
      conn.event('RESUME'); // arrives before identification is done
      return true;
    case 'query-uuid':
      conn.reply(cmd.id, { UUID: '00000000-0000-0000-0000-000000000000' });
      return true;
    case 'query-version':
      conn.error(cmd.id, 'CommandNotFound', 'The command query-version has not been found');
      return true;
    case 'query-migrate-capabilities':
      conn.reply(cmd.id, [{ capability: 'events', state: true }]);
      return true;
    case 'qom-list':
      conn.reply(cmd.id, [
        { name: 'type', type: 'string' },
        { name: 'hostdev0', type: 'child<vfio-pci>' },
        { name: 'net0', type: 'child<virtio-net-pci>' },
        { name: 'hostdev1', type: 'child<vfio-pci>' },
      ]);
      return true;
    case 'qom-get':
      if (args.path === '/machine/peripheral/hostdev0' && args.property === 'host')
        conn.reply(cmd.id, '0000:3b:00.1');
      else if (args.property === 'host') conn.reply(cmd.id, '');
      else conn.reply(cmd.id, '/sys/bus/pci/devices/0000:af:00.2');
      return true;
    default:
      return false; // query-name, query-status: {}
  }
};

function startSource(): Promise<void> {
  source = new QmpSource({
    host: 'hv-fake',
    globs: [path.join(dir, '*.qmp')],
    backoff: { random: () => 0 }, // reconnect at once: the test is about the sequence, not the delay
    callTimeoutMs: 2000,
    callbacks: {
      // An async sink: records must still arrive one at a time, in order.
      record: async (r) => {
        await new Promise((resolve) => setTimeout(resolve, 1));
        records.push(r);
      },
      status: (s) => statuses.push(s),
      error: (stage, type) => errors.push({ stage, type }),
    },
  });
  return source.start();
}

const devicesReplies = (): QmpReplyRecord[] =>
  records.filter((r): r is QmpReplyRecord => r.kind === 'qmp-reply' && r.command === 'vfio-devices');

describe('QmpSource with a fake QMP server', () => {
  it('identifies vfio devices, falls back to the socket name, buffers early events, tolerates errors', async () => {
    const server = await startFakeQmpServer({ dir, name: 'fake-vm.qmp', handler: vfioVm });
    servers.push(server);
    await startSource();
    await until('RESUME record', () => records.find((r) => r.kind === 'qmp-event'));
    expect(devicesReplies()[0]!.result).toEqual({ hostdev0: '0000:3b:00.1', hostdev1: '0000:af:00.2' });
    expect(
      records.map((r) => (r.kind === 'qmp-event' ? r.event.event : (r as QmpReplyRecord).command)),
    ).toEqual([
      'query-name',
      'query-uuid',
      'query-status',
      'query-migrate-capabilities',
      'vfio-devices',
      'RESUME',
    ]);
    for (const r of records) expect(r.vm).toEqual({ name: 'fake-vm' }); // no -name, null UUID
    expect((records.at(-1) as QmpEventRecord).event.timestamp).toBeDefined();
    expect(errors).toEqual([{ stage: 'qmp-identify', type: 'CommandNotFound' }]);
  });

  it('reconnects after a drop, stops when the socket disappears, re-attaches when it comes back', async () => {
    const sockName = 'vm-r.qmp';
    const first = await startFakeQmpServer({ dir, name: sockName, handler: vfioVm });
    servers.push(first);
    const instance = first.path;
    await startSource();
    await until('identified', () => devicesReplies().length === 1);

    first.connections[0]!.destroy(); // QEMU side closes, file stays: reconnect
    await until('re-identified', () => devicesReplies().length === 2);
    expect(statuses.map((s) => s.up)).toEqual([true, false, true]);
    expect(first.connections).toHaveLength(2);

    await first.close(); // unlinks the socket and drops the connection
    await until('down', () => statuses.at(-1)?.up === false);
    await new Promise((r) => setTimeout(r, 600));
    expect(first.connections).toHaveLength(2); // no retries against a missing path

    const second = await startFakeQmpServer({ dir, name: sockName, handler: vfioVm });
    servers.push(second);
    await until('re-attached', () => devicesReplies().length === 3, 4000);
    expect(statuses.map((s) => s.up)).toEqual([true, false, true, false, true]);
    expect(statuses.every((s) => s.input === 'qmp' && s.instance === instance)).toBe(true);
    expect(errors.filter((e) => e.stage !== 'qmp-identify')).toEqual([]);

    const sent = [...first.connections, ...second.connections].flatMap((c) =>
      c.commands.map((x) => String(x.execute)),
    );
    expect(sent.every(isReadOnlyCommand)).toBe(true);
  });

  it('ignores files that match the glob but are not sockets', async () => {
    await fs.writeFile(path.join(dir, 'plain.qmp'), 'not a socket');
    await startSource();
    await new Promise((r) => setTimeout(r, 300));
    expect(statuses).toEqual([]);
    expect(records).toEqual([]);
  });

  it('stop() resolves with everything closed, even mid-backoff', async () => {
    const server = await startFakeQmpServer({ dir, name: 'vm-s.qmp', greeting: null }); // never greets
    servers.push(server);
    await startSource();
    await until('connected', () => server.connections.length > 0);
    await source!.stop();
    await Promise.all(server.connections.map((c) => c.closed));
  });
});

describe('QmpSource cleanup', () => {
  it('leaves no handles behind after stop(): sockets, inotify watches, retry and poll timers', async () => {
    const count = (): Record<string, number> => {
      const out: Record<string, number> = {};
      for (const r of process.getActiveResourcesInfo()) out[r] = (out[r] ?? 0) + 1;
      return out;
    };
    await new Promise((r) => setTimeout(r, 50));
    const before = count();
    // events off: a poller runs; a second glob on a missing directory keeps a rescan timer busy.
    const server = await startFakeQmpServer({
      dir,
      name: 'vm-c.qmp',
      handler: (cmd, conn) => {
        if (cmd.execute !== 'query-migrate-capabilities') return false;
        conn.reply(cmd.id, [{ capability: 'events', state: false }]);
        return true;
      },
    });
    source = new QmpSource({
      host: 'h',
      globs: [path.join(dir, '*.qmp'), path.join(dir, 'missing', '*.qmp')],
      pollMs: 50,
      callbacks: {
        record: (r) => void records.push(r),
        status: (s) => statuses.push(s),
        error: () => undefined,
      },
    });
    await source.start();
    await until(
      'polling',
      () => (server.connections[0]?.commands ?? []).filter((c) => c.execute === 'query-migrate').length >= 2,
    );
    expect(count()).not.toEqual(before);
    await source.stop();
    source = undefined;
    await server.close();
    await new Promise((r) => setTimeout(r, 100));
    // Nothing beyond the baseline (vitest's own timers may come and go, so not an exact match).
    const after = count();
    const extra = Object.entries(after).filter(([k, n]) => n > (before[k] ?? 0));
    expect(extra).toEqual([]);
  });
});

describe('QMP socket globs', () => {
  it('matches * and ? in the last segment only, literally otherwise', () => {
    expect(globToRegExp('*.qmp').test('vm-1.qmp')).toBe(true);
    expect(globToRegExp('*.qmp').test('vm-1.qmpx')).toBe(false);
    expect(globToRegExp('vm?.qmp').test('vm7.qmp')).toBe(true);
    expect(globToRegExp('vm?.qmp').test('vm77.qmp')).toBe(false);
    expect(globToRegExp('a+b(1).qmp').test('a+b(1).qmp')).toBe(true);
    expect(parseGlobs(['/run/switchover/*.qmp'])[0]).toMatchObject({ dir: '/run/switchover' });
  });

  it('reports every bad glob and option at once, at construction', () => {
    expect(() => parseGlobs(['/run/*/x.qmp', '/a/b?/c.qmp'])).toThrow(
      /glob \/run\/\*\/x.qmp: wildcards are only supported in the file name; glob \/a\/b\?\/c.qmp/,
    );
    expect(() => parseGlobs([])).toThrow(/no QMP socket globs/);
    const callbacks = { record: () => undefined, status: () => undefined, error: () => undefined };
    expect(
      () => new QmpSource({ host: 'h', globs: ['/x/*.qmp'], callbacks, pollMs: 0, callTimeoutMs: -1 }),
    ).toThrow(/pollMs must be > 0 .*callTimeoutMs must be > 0/);
  });
});
