import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Orchestrator, type TranscriptLine } from '../src/orchestrator.js';

/** A minimal QMP peer: greets, answers every command with `{"return": {}}`, can send events. */
function fakeQemu(path: string): Promise<{ server: Server; clients: Socket[] }> {
  const clients: Socket[] = [];
  const server = createServer((s) => {
    clients.push(s);
    s.write('{"QMP": {"version": {"qemu": {"micro": 22, "minor": 2, "major": 7}}, "capabilities": []}}\r\n');
    let buf = '';
    s.on('data', (c) => {
      buf += c.toString();
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const { id } = JSON.parse(buf.slice(0, nl)) as { id: number };
        buf = buf.slice(nl + 1);
        s.write(`{"return": {}, "id": ${id}}\r\n`);
      }
    });
  });
  return new Promise((resolve) => server.listen(path, () => resolve({ server, clients })));
}

describe('Orchestrator', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'sw-orch-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('a wait nobody awaits ends with the connection: rejected, timer cleared', async () => {
    const { server } = await fakeQemu(join(dir, 'q.sock'));
    try {
      const o = await Orchestrator.connect(join(dir, 'q.sock'));
      const before = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
      const wait = o.waitForEvent(() => false, 120_000);
      expect(process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length).toBe(before + 1);
      o.close();
      await expect(wait).rejects.toThrow('QMP connection closed');
      expect(process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length).toBe(before);
      await expect(o.waitForEvent(() => true, 120_000)).rejects.toThrow('QMP connection closed');
      await expect(o.execute('query-status')).rejects.toThrow('QMP connection closed');
    } finally {
      server.close();
    }
  });

  it('a QEMU that goes away ends the waits too; an event resolves a wait', async () => {
    const { server, clients } = await fakeQemu(join(dir, 'q.sock'));
    try {
      const lines: TranscriptLine[] = [];
      const o = await Orchestrator.connect(join(dir, 'q.sock'), 5000, { transcript: (l) => lines.push(l) });
      const resumed = o.waitForEvent((m) => m.event === 'RESUME', 120_000);
      clients[0]!.write('{"timestamp": {"seconds": 1, "microseconds": 2}, "event": "RESUME"}\r\n');
      await expect(resumed).resolves.toMatchObject({ event: 'RESUME' });
      const never = o.waitForEvent(() => false, 120_000);
      clients[0]!.destroy();
      await expect(never).rejects.toThrow('QMP connection closed');
      // The protocol's order in the transcript: greeting, then qmp_capabilities; eof at the end.
      expect(lines.map((l) => l.dir)).toEqual(['in', 'out', 'in', 'in', 'eof']);
      expect(lines[0]!.line).toContain('"QMP"');
      expect(lines[1]!.line).toContain('qmp_capabilities');
      expect(lines.every((l, i) => i === 0 || l.recv_ts >= lines[i - 1]!.recv_ts)).toBe(true);
    } finally {
      server.close();
    }
  });

  // Regression: `npm run demo` printed its summary and then hung ~110 s, held by a 120 s wait of the
  // loud-failure scenario that nobody awaited once the migration had failed.
  it('a program that closes its orchestrator with a long wait pending exits at once', async () => {
    const script = `
      import { createServer } from 'node:net';
      import { Orchestrator } from ${JSON.stringify(new URL('../dist/orchestrator.js', import.meta.url).href)};
      const path = ${JSON.stringify(join(dir, 'child.sock'))};
      const server = createServer((s) => {
        s.write('{"QMP": {}}\\r\\n');
        s.on('data', () => s.write('{"return": {}, "id": 1}\\r\\n'));
      });
      await new Promise((r) => server.listen(path, r));
      const o = await Orchestrator.connect(path);
      o.waitForEvent(() => false, 120_000).catch(() => null);
      o.close();
      server.close();
    `;
    const started = Date.now();
    const code = await new Promise<number | null>((resolve) => {
      const child = execFile(process.execPath, ['--input-type=module', '-e', script], { timeout: 20_000 });
      child.on('exit', (c) => resolve(c));
    });
    expect(code).toBe(0);
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});
