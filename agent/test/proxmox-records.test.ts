/**
 * A Proxmox node's journal entries → records, on the exact field sets a node writes (pve-qemu's
 * `sd_journal_stream_fd("QEMU", LOG_ERR, 0)` under `qemu.slice/<VMID>.scope`; `qm`'s syslog line;
 * the service manager's unit messages with their catalog ids), and the VM configs they are named by.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { parseEntry, type JournalEntry } from '../src/records/journal-entry.js';
import { JournalRecords } from '../src/records/journal-records.js';
import { PidVmCache } from '../src/records/pid-vm-cache.js';
import { ProxmoxJournalRecords } from '../src/records/proxmox-journal-records.js';
import { migratedFrom, parseConfName, parseUpid, scopeVmid } from '../src/records/proxmox-lines.js';
import type { LogLineRecord, ProxmoxRecord, RawRecord } from '../src/records/types.js';
import { journaldCheckpointName } from '../src/sources/journald/journald-source.js';
import { VmConfigs } from '../src/sources/proxmox/vm-configs.js';

const BOOT = '1f4a7dc2d5104d7e82e9c4da4a8a0b85';
const entry = (fields: Record<string, unknown>): JournalEntry => {
  const r = parseEntry(
    JSON.stringify({
      __CURSOR: 's=1;i=1',
      __REALTIME_TIMESTAMP: '1755592062500000',
      _BOOT_ID: BOOT,
      ...fields,
    }),
    'units',
  );
  if (!r.ok) throw new Error('not an entry');
  return r.entry;
};
/** The fields journald gives a line of QEMU's stderr on a Proxmox node. */
const qemuFields = (vmid: string, message: string, pid = '4242') => ({
  MESSAGE: message,
  PRIORITY: '3',
  SYSLOG_IDENTIFIER: 'QEMU',
  _TRANSPORT: 'stdout',
  _PID: pid,
  _COMM: 'kvm',
  _EXE: '/usr/bin/qemu-system-x86_64',
  _CMDLINE: `/usr/bin/kvm -id ${vmid} -name web01,debug-threads=on -no-shutdown -chardev socket,id=qmp,path=/var/run/qemu-server/${vmid}.qmp,server=on,wait=off`,
  _SYSTEMD_CGROUP: `/qemu.slice/${vmid}.scope`,
  _SYSTEMD_UNIT: `${vmid}.scope`,
  _SYSTEMD_SLICE: 'qemu.slice',
  _STREAM_ID: '8ee8de20635a48a1b6d2b2c5b270e130',
});

async function all(r: ProxmoxJournalRecords, es: JournalEntry[]): Promise<RawRecord[]> {
  const out: RawRecord[] = [];
  for (const e of es) out.push(...(await r.records(e)));
  return out;
}

describe('ProxmoxJournalRecords', () => {
  it("QEMU's lines belong to the VM of their `<VMID>.scope`, named by its config", async () => {
    const names = new Map([['111', 'web01 (prod)']]);
    const r = new ProxmoxJournalRecords({ host: 'pve2', names: (id) => names.get(id) });
    const [rec] = (await r.records(
      entry(
        qemuFields(
          '111',
          '0000:3b:00.1: Failed setting device state to RUNNING. Recover state is ERROR. Resetting device: Input/output error',
        ),
      ),
    )) as LogLineRecord[];
    expect(rec).toMatchObject({
      kind: 'log-line',
      host: 'pve2',
      vm: { name: 'web01 (prod)', uuid: '111' },
      transportTime: 1755592062500,
      origin: { kind: 'journald' },
    });
  });

  it("without a config the name is QEMU's `-name`, else the VMID; it stays per VMID until the next start", async () => {
    const r = new ProxmoxJournalRecords({ host: 'pve2' });
    const [a] = await r.records(entry(qemuFields('111', 'kvm: x')));
    expect(a?.vm).toEqual({ name: 'web01', uuid: '111' });
    const noName = { ...qemuFields('222', 'kvm: y'), _CMDLINE: undefined };
    const [b] = await r.records(entry(noName));
    expect(b?.vm).toEqual({ name: '222', uuid: '222' });
  });

  it("`qm start --migratedfrom`: an incoming start; QEMU's later lines without a unit follow its pid", async () => {
    const r = new ProxmoxJournalRecords({ host: 'pve2', names: () => 'web01' });
    const recs = await all(r, [
      entry({
        MESSAGE: 'VM 111 started with PID 4242 using pve-qemu-kvm_9.2.0-5.',
        SYSLOG_IDENTIFIER: 'qm',
        PRIORITY: '6',
        _TRANSPORT: 'syslog',
        _PID: '4100',
        _COMM: 'qm',
        _CMDLINE:
          '/usr/bin/perl /usr/sbin/qm start 111 --skiplock --migratedfrom pve1 --migration_type secure --stateuri unix --machine pc-i440fx-9.2+pve0',
        _SYSTEMD_UNIT: 'session-12.scope',
      }),
      // journald read this one after QEMU exited: no cgroup, no unit.
      entry({
        MESSAGE: 'kvm: load of migration failed: Invalid argument',
        SYSLOG_IDENTIFIER: 'QEMU',
        _PID: '4242',
        PRIORITY: '3',
      }),
    ]);
    expect(recs[0]).toMatchObject({
      kind: 'proxmox',
      from: 'journal',
      migratedFrom: 'pve1',
      vm: { name: 'web01', uuid: '111' },
    });
    expect(recs[1]).toMatchObject({ kind: 'log-line', vm: { name: 'web01', uuid: '111' } });
  });

  it("qmeventd's cleanup and systemd's end of the scope, by catalog id or (plain text) by wording", async () => {
    const r = new ProxmoxJournalRecords({ host: 'pve2' });
    const recs = (await all(r, [
      entry({
        MESSAGE: 'Starting cleanup for 111',
        SYSLOG_IDENTIFIER: 'qmeventd',
        _SYSTEMD_UNIT: 'qmeventd.service',
        _PID: '900',
      }),
      entry({
        MESSAGE: '111.scope: Deactivated successfully.',
        SYSLOG_IDENTIFIER: 'systemd',
        MESSAGE_ID: '7ad2d189f7e94e70a38c781354912448',
        UNIT: '111.scope',
        _PID: '1',
        _COMM: 'systemd',
        _SYSTEMD_UNIT: 'init.scope',
      }),
      { realtimeMs: 1, identifier: 'systemd', lines: ["222.scope: Failed with result 'oom-kill'."] },
      // Not a VM: a service's end, and a unit message without the id of an end.
      entry({
        MESSAGE: 'ssh.service: Deactivated successfully.',
        SYSLOG_IDENTIFIER: 'systemd',
        MESSAGE_ID: '7ad2d189f7e94e70a38c781354912448',
        UNIT: 'ssh.service',
        _PID: '1',
      }),
      entry({
        MESSAGE: 'Started 111.scope.',
        SYSLOG_IDENTIFIER: 'systemd',
        MESSAGE_ID: '39f53479d3a045ac8e11786248231fbf',
        UNIT: '111.scope',
        _PID: '1',
      }),
    ])) as ProxmoxRecord[];
    expect(recs.map((x) => [x.vm?.uuid, x.text])).toEqual([
      ['111', 'Starting cleanup for 111'],
      ['111', '111.scope: Deactivated successfully.'],
      ['222', "222.scope: Failed with result 'oom-kill'."],
    ]);
    expect(recs[1]?.messageId).toBe('7ad2d189f7e94e70a38c781354912448');
  });

  it("offline, an entry handed on to the plain reader keeps the whole journal's clock", async () => {
    const other = new JournalRecords({ host: 'pve2', cache: new PidVmCache(undefined) });
    const r = new ProxmoxJournalRecords({ host: 'pve2', other });
    await r.records(entry(qemuFields('111', 'a QEMU line')));
    const [handedOn] = await r.records(
      entry({ MESSAGE: 'not Proxmox', SYSLOG_IDENTIFIER: 'other', __REALTIME_TIMESTAMP: undefined }),
    );
    // No time of its own: the journal's time so far (the QEMU entry's), not 0.
    expect(handedOn).toMatchObject({ kind: 'log-line', text: 'not Proxmox', arrival: 1755592062500 });
    expect((handedOn as LogLineRecord).transportTime).toBeUndefined();
  });

  it('names from tenants are data: `__proto__` and `constructor` are VM names like any other', async () => {
    const names = new Map([
      ['100', '__proto__'],
      ['101', 'constructor'],
    ]);
    const r = new ProxmoxJournalRecords({ host: 'h', names: (id) => names.get(id) });
    expect((await r.records(entry(qemuFields('100', 'kvm: a'))))[0]?.vm).toEqual({
      name: '__proto__',
      uuid: '100',
    });
    expect((await r.records(entry(qemuFields('101', 'kvm: b'))))[0]?.vm).toEqual({
      name: 'constructor',
      uuid: '101',
    });
  });
});

describe('journal entry fields', () => {
  it('the ordinary journald input does not pay for units: they are read only when asked', () => {
    const line = JSON.stringify({
      MESSAGE: 'x',
      SYSLOG_IDENTIFIER: 'QEMU',
      _SYSTEMD_UNIT: '111.scope',
      _PID: '1',
    });
    const base = parseEntry(line);
    expect(base.ok && [base.entry.unit, base.entry.identifier, base.entry.pid]).toEqual([
      undefined,
      undefined,
      1,
    ]);
  });

  it('cuts `_SYSTEMD_UNIT` and `SYSLOG_IDENTIFIER` on the fast path, `UNIT`/`MESSAGE_ID` for the manager only', () => {
    const e = entry(qemuFields('111', 'x'));
    expect(e).toMatchObject({ unit: '111.scope', identifier: 'QEMU', pid: 4242, bootId: BOOT });
    expect(e.aboutUnit).toBeUndefined();
    const m = entry({ MESSAGE: 'm', SYSLOG_IDENTIFIER: 'systemd', UNIT: '111.scope', MESSAGE_ID: 'abc' });
    expect(m).toMatchObject({ aboutUnit: '111.scope', messageId: 'abc' });
    // `"_SYSTEMD_UNIT":` is not `"UNIT":`; and another program's UNIT= is not the manager's word.
    const q = entry({ MESSAGE: 'm', SYSLOG_IDENTIFIER: 'QEMU', UNIT: '9.scope', _SYSTEMD_UNIT: 'x.service' });
    expect(q.aboutUnit).toBeUndefined();
    expect(q.unit).toBe('x.service');
  });

  it('property: the fast cut agrees with a full JSON parse on every field it reads', () => {
    const value = fc.oneof(fc.string(), fc.constant('111.scope'), fc.array(fc.string(), { maxLength: 2 }));
    fc.assert(
      fc.property(
        fc.record(
          {
            SYSLOG_IDENTIFIER: value,
            _SYSTEMD_UNIT: value,
            UNIT: value,
            MESSAGE: fc.string(),
            MESSAGE_ID: value,
          },
          { requiredKeys: ['MESSAGE'] },
        ),
        fc.boolean(),
        (o, manager) => {
          const obj = { ...o, ...(manager ? { SYSLOG_IDENTIFIER: 'systemd' } : {}) };
          const fast = parseEntry(JSON.stringify(obj), 'units');
          // Spaces after the colons defeat the fast cut: the same object through the full parser.
          const slow = parseEntry(JSON.stringify(obj, null, 1).replace(/\n/g, ' '), 'units');
          if (!fast.ok || !slow.ok) return false;
          const pick = (e: JournalEntry) => [e.identifier, e.unit, e.aboutUnit, e.messageId, e.lines];
          return JSON.stringify(pick(fast.entry)) === JSON.stringify(pick(slow.entry));
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('Proxmox parsers', () => {
  it('UPIDs, scopes, `--migratedfrom` and config names', () => {
    expect(parseUpid('UPID:pve1:00002336:028C5698:6B0F7A98:qmigrate:111:root@pam:')).toEqual({
      node: 'pve1',
      pid: 0x2336,
      startTime: 0x6b0f7a98,
      type: 'qmigrate',
      id: '111',
      user: 'root@pam',
    });
    expect(parseUpid('UPID:pve1:2336:028C5698:6B0F7A98:qmigrate:111:root@pam:')).toBeNull();
    expect(scopeVmid('111.scope')).toBe('111');
    expect(scopeVmid('session-3.scope')).toBeUndefined();
    expect(scopeVmid('111.service')).toBeUndefined();
    expect(migratedFrom('/usr/sbin/qm start 111 --migratedfrom pve1 --stateuri unix')).toBe('pve1');
    expect(migratedFrom('/usr/sbin/qm start 111')).toBeUndefined();
    expect(parseConfName('boot: c\nname: web01\nmemory: 2048\n[snap1]\nname: old\n')).toBe('web01');
    expect(parseConfName('memory: 1\n[snap1]\nname: old\n')).toBeUndefined();
    expect(parseConfName('name: \n')).toBeUndefined();
  });
});

describe('VmConfigs', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'sw-pve-conf-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("names a VM from its config on any node; it is this node's only under qemu-server/", async () => {
    for (const n of ['pve1', 'pve2'])
      mkdirSync(path.join(dir, 'nodes', n, 'qemu-server'), { recursive: true });
    symlinkSync(path.join(dir, 'nodes', 'pve2', 'qemu-server'), path.join(dir, 'qemu-server'));
    writeFileSync(path.join(dir, 'nodes', 'pve1', 'qemu-server', '111.conf'), 'name: web01\n');
    const c = new VmConfigs(dir);
    expect(await c.name('111')).toBe('web01');
    expect(await c.ownedHere('111')).toBe(false);
    expect(await c.name('999')).toBeUndefined();
    expect(await c.name('../../etc/passwd')).toBeUndefined();
    writeFileSync(path.join(dir, 'nodes', 'pve2', 'qemu-server', '111.conf'), 'name: web01-moved\n');
    expect(await c.ownedHere('111')).toBe(true);
    expect(await c.name('111')).toBe('web01-moved');
  });

  it('a read failure other than a missing file is reported, and the name is unknown', async () => {
    const errors: unknown[] = [];
    const fs = {
      readFile: async () => {
        throw Object.assign(new Error('EACCES'), { code: 'EACCES' });
      },
      readdir: async () => [],
    };
    const c = new VmConfigs('/etc/pve', fs, (e) => errors.push(e));
    expect(await c.name('111')).toBeUndefined();
    expect(errors).toHaveLength(1);
  });
});

describe('the Proxmox journal cursor', () => {
  it('is its own file: a journald input on the same journal does not move it', () => {
    const base = { host: 'h', stateDir: '/s' };
    expect(journaldCheckpointName(base)).toBe('journald-system.cursor.json');
    expect(journaldCheckpointName({ ...base, input: 'proxmox-journal' })).toBe(
      'proxmox-journal-system.cursor.json',
    );
  });
});
