import net from 'node:net';

/**
 * Many listening QMP monitors in one process, for measuring an agent that follows hundreds of VMs
 * when a real QEMU each would be too heavy: real Unix sockets that speak QMP's greeting and answer
 * the read-only queries an agent sends the way an idle QEMU 7.2 under libvirt does (`events`
 * capability on, so no polling, and no vfio-pci devices). Events are never sent.
 */
export interface QmpResponders {
  readonly paths: string[];
  /** Connections currently open (an agent holds one per socket). */
  connections(): number;
  close(): Promise<void>;
}

const GREETING =
  '{"QMP": {"version": {"qemu": {"micro": 22, "minor": 2, "major": 7}, "package": "Debian 1:7.2+dfsg-7+deb12u18+b3"}, "capabilities": ["oob"]}}\r\n';

function reply(command: string, vm: string, uuid: string): unknown {
  switch (command) {
    case 'query-name':
      return { name: vm };
    case 'query-uuid':
      return { UUID: uuid };
    case 'query-version':
      return { qemu: { major: 7, minor: 2, micro: 22 }, package: 'Debian 1:7.2+dfsg-7+deb12u18+b3' };
    case 'query-status':
      return { status: 'running', singlestep: false, running: true };
    case 'query-migrate-capabilities':
      return [
        { state: false, capability: 'xbzrle' },
        { state: true, capability: 'events' },
        { state: false, capability: 'postcopy-ram' },
        { state: true, capability: 'return-path' },
      ];
    case 'qom-list':
      return [{ name: 'type', type: 'string' }];
    case 'query-migrate':
      return {};
    default:
      return {};
  }
}

/** `count` sockets `dir/<prefix>-N.qmp` for VMs `<prefix>-N`. */
export async function startQmpResponders(dir: string, count: number, prefix = 'vm'): Promise<QmpResponders> {
  const servers: net.Server[] = [];
  const sockets = new Set<net.Socket>();
  const paths: string[] = [];
  for (let i = 0; i < count; i++) {
    const vm = `${prefix}-${String(i).padStart(4, '0')}`;
    const uuid = `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;
    const server = net.createServer((socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => undefined);
      let buf = '';
      socket.on('data', (chunk: Buffer) => {
        buf += chunk.toString('utf8');
        for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
          const line = buf.slice(0, nl).trim();
          buf = buf.slice(nl + 1);
          if (!line) continue;
          let cmd: { execute?: unknown; id?: unknown };
          try {
            cmd = JSON.parse(line) as { execute?: unknown; id?: unknown };
          } catch {
            continue;
          }
          const ret = typeof cmd.execute === 'string' ? reply(cmd.execute, vm, uuid) : {};
          socket.write(`${JSON.stringify({ return: ret, id: cmd.id })}\r\n`);
        }
      });
      socket.write(GREETING);
    });
    const path = `${dir}/${vm}.qmp`;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(path, () => resolve());
    });
    servers.push(server);
    paths.push(path);
  }
  return {
    paths,
    connections: () => sockets.size,
    close: async () => {
      for (const s of sockets) s.destroy();
      await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
    },
  };
}
