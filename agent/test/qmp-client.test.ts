import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { QmpClient, type ClientIssue, type QmpEvent, type Runstate } from '../src/sources/qmp/client.js';
import {
  QmpCommandError,
  QmpConnectError,
  QmpDisconnectedError,
  QmpForbiddenCommandError,
  QmpProtocolError,
  QmpStateError,
  QmpTimeoutError,
} from '../src/sources/qmp/errors.js';
import { startFakeQmpServer, type FakeQmpServer } from './helpers/fake-qmp-server.js';

let dir: string;
let server: FakeQmpServer | undefined;
let client: QmpClient | undefined;

beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'qmp-client-'));
});

afterEach(async () => {
  await client?.disconnect();
  await server?.close();
  client = undefined;
  server = undefined;
  await fs.rm(dir, { recursive: true, force: true });
});

function record(c: QmpClient): { states: Runstate[]; events: QmpEvent[]; issues: ClientIssue[] } {
  const out = { states: [] as Runstate[], events: [] as QmpEvent[], issues: [] as ClientIssue[] };
  c.onStateChange((s) => out.states.push(s));
  c.onEvent((e) => out.events.push(e));
  c.onIssue((i) => out.issues.push(i));
  return out;
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error('expected the promise to reject');
}

describe('QmpClient', () => {
  it('goes idle→connecting→running→disconnecting→idle and routes replies by id', async () => {
    server = await startFakeQmpServer({
      dir,
      handler: (cmd, conn) => {
        if (cmd.execute !== 'query-status') return false;
        conn.reply(cmd.id, { status: 'prelaunch', running: false });
        return true;
      },
    });
    client = new QmpClient();
    const seen = record(client);
    expect(client.state).toBe('idle');
    await client.connect(server.path);
    expect(client.greeting?.capabilities).toEqual(['oob']);
    await expect(client.execute('query-status')).resolves.toEqual({ status: 'prelaunch', running: false });
    await expect(client.execute('qom-get', { path: '/machine', property: 'type' })).resolves.toEqual({});
    await client.disconnect();
    expect(seen.states).toEqual(['connecting', 'running', 'disconnecting', 'idle']);
    const cmds = server.connections[0]!.commands;
    expect(cmds.map((c) => c.execute)).toEqual(['qmp_capabilities', 'query-status', 'qom-get']);
    expect(cmds[2]!.arguments).toEqual({ path: '/machine', property: 'type' });
    expect(new Set(cmds.map((c) => c.id)).size).toBe(3);
  });

  it('rejects a bad greeting with QmpProtocolError wrapped in QmpConnectError and rolls back to idle', async () => {
    server = await startFakeQmpServer({ dir, greeting: '{"hello": "world"}\r\n' });
    client = new QmpClient();
    const seen = record(client);
    const err = await rejection(client.connect(server.path));
    expect(err).toBeInstanceOf(QmpConnectError);
    expect((err as Error).cause).toBeInstanceOf(QmpProtocolError);
    expect((err as Error).message).toMatch(/bad greeting/);
    expect(client.state).toBe('idle');
    expect(seen.states).toEqual(['connecting', 'disconnecting', 'idle']);
    // Nothing but the handshake could have been sent, and not even that after a bad greeting.
    expect(server.connections[0]!.rawReceived()).toBe('');
  });

  it('fails fast on a non-JSON greeting', async () => {
    server = await startFakeQmpServer({ dir, greeting: 'Welcome to a line-based monitor\r\n' });
    client = new QmpClient({ connectTimeoutMs: 10_000 });
    const started = Date.now();
    const err = await rejection(client.connect(server.path));
    expect((err as Error).cause).toBeInstanceOf(QmpProtocolError);
    expect((err as Error).message).toMatch(/bad greeting/);
    expect(Date.now() - started).toBeLessThan(5000); // not by the connect timeout
    expect(client.state).toBe('idle');
  });

  it('stops a connect when disconnect() lands before the socket exists', async () => {
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    server = await startFakeQmpServer({ dir });
    const { connectUnixSocket } = await import('../src/sources/qmp/socket.js');
    client = new QmpClient({ connectSocket: async (p) => (await gate, connectUnixSocket(p)) });
    const seen = record(client);
    const connecting = rejection(client.connect(server.path));
    await client.disconnect();
    open();
    expect(await connecting).toBeInstanceOf(QmpConnectError);
    expect(seen.states).toEqual(['connecting', 'disconnecting', 'idle']);
    expect(client.state).toBe('idle');
    // The socket that arrived late was closed by the client, not left open.
    while (server.connections.length === 0) await new Promise((r) => setTimeout(r, 10));
    await server.connections[0]!.closed;
  });

  it('times out a silent peer at connect and wraps the cause', async () => {
    server = await startFakeQmpServer({ dir, greeting: null });
    client = new QmpClient({ connectTimeoutMs: 300 });
    const err = await rejection(client.connect(server.path));
    expect(err).toBeInstanceOf(QmpConnectError);
    expect((err as Error).cause).toBeInstanceOf(QmpProtocolError);
    expect(client.state).toBe('idle');
  });

  it('wraps a socket error from the injected connectSocket factory', async () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    client = new QmpClient({ connectSocket: () => Promise.reject(refused) });
    const err = await rejection(client.connect('/nowhere.qmp'));
    expect(err).toBeInstanceOf(QmpConnectError);
    expect((err as Error).cause).toBe(refused);
    expect(client.state).toBe('idle');
  });

  it('turns {"error":…} into QmpCommandError with class and desc, and keeps the connection', async () => {
    server = await startFakeQmpServer({
      dir,
      handler: (cmd, conn) => {
        if (cmd.execute !== 'qom-list') return false;
        conn.error(cmd.id, 'DeviceNotFound', "Device '/machine/nope' not found");
        return true;
      },
    });
    client = new QmpClient();
    await client.connect(server.path);
    const err = await rejection(client.execute('qom-list', { path: '/machine/nope' }));
    expect(err).toBeInstanceOf(QmpCommandError);
    expect((err as QmpCommandError).errorClass).toBe('DeviceNotFound');
    expect((err as QmpCommandError).desc).toBe("Device '/machine/nope' not found");
    expect((err as QmpCommandError).command).toBe('qom-list');
    await expect(client.execute('query-name')).resolves.toEqual({});
    expect(client.state).toBe('running');
  });

  it('skips and reports garbage lines between valid ones (CRLF and LF)', async () => {
    server = await startFakeQmpServer({
      dir,
      handler: (cmd, conn) => {
        if (cmd.execute !== 'query-status') return false;
        conn.send('this is not json\r\n');
        conn.send('{"timestamp": {"seconds": 1, "microseconds": 2}, "event": "STOP"}\n');
        conn.send('{"truncated": \n[1,2,3]\r\n\r\n');
        conn.reply(cmd.id, { status: 'paused' });
        return true;
      },
    });
    client = new QmpClient();
    const seen = record(client);
    await client.connect(server.path);
    await expect(client.execute('query-status')).resolves.toEqual({ status: 'paused' });
    expect(seen.events).toEqual([{ timestamp: { seconds: 1, microseconds: 2 }, event: 'STOP' }]);
    expect(client.stats.garbageLines).toBe(3);
    expect(seen.issues.map((i) => i.kind)).toEqual(['garbage', 'garbage', 'garbage']);
    expect(client.state).toBe('running');
  });

  it('discards a 2 MiB line, reports it, and keeps the connection working', async () => {
    const huge = `{"event": "BIG", "data": {"blob": "${'x'.repeat(2 * 1024 * 1024)}"}}\r\n`;
    server = await startFakeQmpServer({
      dir,
      handler: (cmd, conn) => {
        if (cmd.execute === 'query-big') {
          conn.send(huge); // the reply is lost with the line: the call ends by its timeout
          return true;
        }
        if (cmd.execute !== 'query-status') return false;
        conn.send(huge);
        conn.event('RESUME');
        conn.reply(cmd.id, { status: 'running' });
        return true;
      },
    });
    client = new QmpClient();
    const seen = record(client);
    await client.connect(server.path);
    await expect(client.execute('query-status')).resolves.toEqual({ status: 'running' });
    expect(client.stats.oversizeLines).toBe(1);
    expect(seen.issues[0]).toMatchObject({ kind: 'oversize', maxLineBytes: 1024 * 1024 });
    expect(seen.events.map((e) => e.event)).toEqual(['RESUME']);
    expect(await rejection(client.execute('query-big', undefined, { timeoutMs: 500 }))).toBeInstanceOf(
      QmpTimeoutError,
    );
    expect(client.stats.oversizeLines).toBe(2);
    await expect(client.execute('query-name')).resolves.toEqual({});
  });

  it('rejects pending calls with QmpDisconnectedError when the socket closes mid-reply', async () => {
    server = await startFakeQmpServer({
      dir,
      handler: (cmd, conn) => {
        if (cmd.execute !== 'query-migrate') return false;
        conn.send('{"return": {"status": "act');
        setTimeout(() => conn.destroy(), 50);
        return true;
      },
    });
    client = new QmpClient();
    const seen = record(client);
    const drops: Error[] = [];
    client.onDisconnect((e) => drops.push(e));
    await client.connect(server.path);
    const err = await rejection(client.execute('query-migrate'));
    expect(err).toBeInstanceOf(QmpDisconnectedError);
    expect(client.state).toBe('idle');
    expect(seen.states).toEqual(['connecting', 'running', 'disconnecting', 'idle']);
    expect(drops).toHaveLength(1);
    expect(await rejection(client.execute('query-name'))).toBeInstanceOf(QmpStateError);
  });

  it('ignores and counts replies with unknown or missing ids', async () => {
    server = await startFakeQmpServer({
      dir,
      handler: (cmd, conn) => {
        if (cmd.execute !== 'query-uuid') return false;
        conn.reply('bogus-7', { UUID: 'wrong' });
        conn.send('{"return": {"UUID": "no-id"}}\r\n');
        conn.reply(cmd.id, { UUID: 'right' });
        return true;
      },
    });
    client = new QmpClient();
    const seen = record(client);
    await client.connect(server.path);
    await expect(client.execute('query-uuid')).resolves.toEqual({ UUID: 'right' });
    expect(client.stats.unknownIds).toBe(2);
    expect(seen.issues).toEqual([
      { kind: 'unknown-id', id: 'bogus-7' },
      { kind: 'unknown-id', id: undefined },
    ]);
  });

  it('refuses commands outside the read-only allowlist and never writes them', async () => {
    server = await startFakeQmpServer({ dir });
    client = new QmpClient();
    // Refused before the state check: even an idle client says "forbidden", not "not connected".
    expect(await rejection(client.execute('quit'))).toBeInstanceOf(QmpForbiddenCommandError);
    await client.connect(server.path);
    for (const cmd of [
      'migrate',
      'cont',
      'quit',
      'human-monitor-command',
      'migrate-set-capabilities',
      'qom-set',
    ]) {
      const err = await rejection(client.execute(cmd, { uri: 'tcp:127.0.0.1:1' }));
      expect(err).toBeInstanceOf(QmpForbiddenCommandError);
      expect((err as Error).message).toContain(
        `refusing to send '${cmd}': Switchover only sends read-only commands`,
      );
    }
    // A round trip after the refusals proves the server has read everything the client wrote.
    await client.execute('query-status');
    const conn = server.connections[0]!;
    expect(conn.commands.map((c) => c.execute)).toEqual(['qmp_capabilities', 'query-status']);
    expect(conn.rawReceived()).not.toMatch(/migrate|cont"|quit|human-monitor|qom-set/);
  });

  it('guards methods by state and names the state it needed', async () => {
    server = await startFakeQmpServer({ dir });
    client = new QmpClient();
    const idleErr = await rejection(client.execute('query-status'));
    expect(idleErr).toBeInstanceOf(QmpStateError);
    expect((idleErr as Error).message).toBe("execute() needs the client to be 'running', but it is 'idle'");
    await client.connect(server.path);
    const again = await rejection(client.connect(server.path));
    expect(again).toBeInstanceOf(QmpStateError);
    expect((again as Error).message).toContain("needs the client to be 'idle', but it is 'running'");
    expect(client.state).toBe('running');
  });

  it('times a call out, then counts its late reply as an unknown id', async () => {
    let lateId: unknown;
    server = await startFakeQmpServer({
      dir,
      handler: (cmd) => {
        if (cmd.execute !== 'query-slow') return false;
        lateId = cmd.id;
        return true;
      },
    });
    client = new QmpClient();
    await client.connect(server.path);
    const err = await rejection(client.execute('query-slow', undefined, { timeoutMs: 200 }));
    expect(err).toBeInstanceOf(QmpTimeoutError);
    server.connections[0]!.reply(lateId, {});
    await client.execute('query-status');
    expect(client.stats.unknownIds).toBe(1);
  });

  it('delivers events in order with their QEMU timestamps and can reconnect after a drop', async () => {
    server = await startFakeQmpServer({ dir });
    client = new QmpClient();
    const seen = record(client);
    await client.connect(server.path);
    const conn = server.connections[0]!;
    conn.send(
      '{"timestamp": {"seconds": 1795702027, "microseconds": 942749}, "event": "MIGRATION", "data": {"status": "active"}}\r\n',
    );
    conn.send('{"timestamp": {"seconds": 1795702027, "microseconds": 958266}, "event": "RESUME"}\r\n');
    await client.execute('query-status');
    expect(seen.events).toEqual([
      {
        timestamp: { seconds: 1795702027, microseconds: 942749 },
        event: 'MIGRATION',
        data: { status: 'active' },
      },
      { timestamp: { seconds: 1795702027, microseconds: 958266 }, event: 'RESUME' },
    ]);
    conn.destroy();
    await new Promise<void>((resolve) => client!.onStateChange((s) => s === 'idle' && resolve()));
    await client.connect(server.path);
    expect(client.state).toBe('running');
    expect(seen.states).toEqual(['connecting', 'running', 'disconnecting', 'idle', 'connecting', 'running']);
  });
});
