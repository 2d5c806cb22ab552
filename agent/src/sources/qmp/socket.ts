import net from 'node:net';
import type { Duplex } from 'node:stream';

/** Opens the byte stream to one QMP monitor. Injected so tests can pass fakes. */
export type ConnectSocket = (path: string) => Promise<Duplex>;

export const connectUnixSocket: ConnectSocket = (path) =>
  new Promise((resolve, reject) => {
    const socket = net.createConnection({ path });
    const onError = (err: Error): void => {
      socket.destroy();
      reject(err);
    };
    socket.once('error', onError);
    socket.once('connect', () => {
      socket.off('error', onError);
      resolve(socket);
    });
  });

export function withTimeout<T>(p: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(onTimeout()), ms)));
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}
