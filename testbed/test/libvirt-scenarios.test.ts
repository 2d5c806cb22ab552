/** The scenarios and their shape checks, without running them (that is the agent's libvirt-e2e test). */
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_HOSTS,
  LibvirtHost,
  LIBVIRT_SCENARIOS,
  normaliseEventLine,
  shapeProblems,
} from '../src/libvirt/index.js';

describe('shapeProblems', () => {
  const text = ['a start', 'b middle', 'c end', 'a again'].join('\n');

  it('wants each entry on a later line than the one before', () => {
    expect(shapeProblems(text, { inOrder: ['start', 'middle', 'end'] }, false)).toEqual([]);
    expect(shapeProblems(text, { inOrder: ['end', 'middle'] }, false)).toEqual([
      'missing "middle" (only before the previous entry)',
    ]);
    expect(shapeProblems(text, { inOrder: ['nowhere'] }, false)).toEqual(['missing "nowhere"']);
  });

  it('names the line that holds an absent entry', () => {
    expect(shapeProblems(text, { inOrder: [], absent: ['again'] }, false)).toEqual([
      'line 4 has "again": a again',
    ]);
  });

  it('matches both virsh forms after normalising them', () => {
    const want = `event MIGRATION for domain 'vm': {"status":"setup"}`;
    const forms = [
      `2026-12-02 01:21:20.997+0000: event MIGRATION for domain 'vm': {"status":"setup"}`,
      `event MIGRATION at 1796174562.082185 for domain 'vm': {"status":"setup"}`,
    ];
    for (const f of forms) {
      expect(normaliseEventLine(f)).toBe(want);
      expect(shapeProblems(f, { inOrder: [want] }, true)).toEqual([]);
    }
    expect(normaliseEventLine('event loop interrupted')).toBe('event loop interrupted');
  });
});

describe('the scenarios', () => {
  it('have distinct names, VM names and UUIDs (the live test tells them apart by VM)', () => {
    const names = LIBVIRT_SCENARIOS.map((s) => s.name);
    const vms = LIBVIRT_SCENARIOS.flatMap((s) => s.vms.map((v) => v.name));
    const uuids = LIBVIRT_SCENARIOS.flatMap((s) => s.vms.map((v) => v.uuid));
    for (const list of [names, vms, uuids]) expect(new Set(list).size).toBe(list.length);
  });

  it.each(LIBVIRT_SCENARIOS.map((s) => [s.name, s] as const))('%s speaks only of its own VMs', (_n, s) => {
    const vms = s.vms.map((v) => v.name);
    expect(Object.keys(s.vmRunsOn).sort()).toEqual([...vms].sort());
    for (const m of s.migrations) {
      expect(vms).toContain(m.vm);
      expect(m.source).not.toBe(m.destination);
      expect(s.vms.find((v) => v.name === m.vm)?.uuid).toBe(m.vmUuid);
    }
    for (const sh of s.shape) {
      if (sh.vm !== undefined) expect(vms).toContain(sh.vm);
      expect(sh.inOrder.length + (sh.absent?.length ?? 0)).toBeGreaterThan(0);
    }
    // Every host that takes part has its domain log and its events file checked.
    const hosts = new Set(s.migrations.flatMap((m) => [m.source, m.destination]));
    for (const h of hosts)
      for (const file of ['log', 'events'] as const)
        expect(
          s.shape.some((sh) => sh.host === h && sh.file === file),
          `${h} ${file}`,
        ).toBe(true);
  });
});

describe('DEFAULT_HOSTS', () => {
  it('are two hosts libvirt will migrate between: names, addresses, host UUIDs and ports differ', () => {
    const [a, b] = DEFAULT_HOSTS;
    expect(a.name).not.toBe(b.name);
    expect(a.address).not.toBe(b.address);
    expect(a.hostUuid).not.toBe(b.hostUuid);
    expect(a.migrationPorts[1] < b.migrationPorts[0] || b.migrationPorts[1] < a.migrationPorts[0]).toBe(true);
  });
});

describe('LibvirtHost paths', () => {
  const h = new LibvirtHost(DEFAULT_HOSTS[0], '/tmp/x/hv-a', () => null);

  it("maps a path inside the host to this machine's copy, and refuses any other", () => {
    expect(h.domainLog('vm-1')).toBe('/tmp/x/hv-a/log/qemu/vm-1.log');
    expect(h.outside('/var/lib/libvirt/qemu/save/v.save')).toBe('/tmp/x/hv-a/lib/qemu/save/v.save');
    expect(h.outside('/run/libvirt')).toBe('/tmp/x/hv-a/run');
    expect(() => h.outside('/etc/passwd')).toThrow(/not under a directory/);
    expect(() => h.outside('/var/lib/libvirtx/a')).toThrow();
    expect(h.uri).toBe('qemu+unix:///system?socket=/tmp/x/hv-a/run/libvirt-sock');
    expect(h.qemuPid('vm-1')).toBeNull();
  });
});
