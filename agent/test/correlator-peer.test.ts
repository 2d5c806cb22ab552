/**
 * The destination host as the source's QEMU named it (trace `migration_socket_outgoing_connected`):
 * set on the source session it belongs to, never on a destination, never carried to a later migration.
 */
import { describe, expect, it } from 'vitest';
import { Harness, ob } from './correlator-helpers.js';

const T = 1_795_702_027_000;
const VM = 'vm1';

/** A source migration as QEMU 7.2 reports it, with the peer line where QEMU prints it (after setup). */
function source(h: Harness, t: number, peer: string | null): void {
  h.feed(ob.status(VM, 'setup', t));
  if (peer !== null) h.feed(ob.peer(VM, t + 0.5, peer));
  h.feed(ob.pass(VM, 1, t + 1));
  h.feed(ob.status(VM, 'active', t + 10));
  h.feed(ob.stop(VM, t + 400));
  h.feed(ob.status(VM, 'completed', t + 403));
  h.tick(t + 3000);
}

describe('correlator: migration peer', () => {
  it('a source session gets the host of its outgoing connection, with the line as evidence', () => {
    const h = new Harness();
    source(h, T, '10.0.0.19');
    const [s] = h.closed();
    expect(s).toMatchObject({ role: 'source', outcome: 'completed', peer: '10.0.0.19' });
    expect(s?.evidence.find((e) => e.kind === 'migration-peer')?.text).toBe(
      'migration_socket_outgoing_connected hostname=10.0.0.19',
    );
  });

  it('an outgoing connection settles a provisional destination role: only a source connects out', () => {
    const h = new Harness();
    h.feed(ob.status(VM, 'active', T));
    expect(h.session().role).toBe('destination');
    h.feed(ob.peer(VM, T + 1, 'hv-b'));
    expect(h.session()).toMatchObject({ role: 'source', peer: 'hv-b' });
  });

  it('a line read before the events opened the session is kept for it, briefly', () => {
    const h = new Harness();
    h.feed(ob.peer(VM, T + 0.5, 'hv-b'));
    h.feed(ob.status(VM, 'setup', T));
    expect(h.session()).toMatchObject({ role: 'source', peer: 'hv-b' });

    // A peer line from long before (an old log replayed) is not this migration's.
    const old = new Harness();
    old.feed(ob.peer(VM, T - 60_000, 'hv-old'));
    old.feed(ob.status(VM, 'setup', T));
    expect(old.session().peer).toBeNull();
  });

  it('the next migration of the VM starts without a peer unless its own line says so', () => {
    const h = new Harness();
    source(h, T, 'hv-b');
    source(h, T + 60_000, null);
    const [first, second] = h.closed();
    expect(first?.peer).toBe('hv-b');
    expect(second?.peer).toBeNull();
  });

  it('a late line lands on the closed session it happened in, not on a newer one', () => {
    const h = new Harness();
    source(h, T, null);
    h.feed(ob.peer(VM, T + 0.5, 'hv-b'));
    expect(h.closed()[0]?.peer).toBe('hv-b');
  });

  it('a destination never gets a peer (nothing on the destination names the source)', () => {
    const h = new Harness();
    h.feed(ob.identity(VM, T - 10, { incoming: true }));
    h.feed(ob.status(VM, 'active', T));
    h.feed(ob.resume(VM, T + 500));
    h.feed(ob.status(VM, 'completed', T + 501));
    expect(h.session()).toMatchObject({ role: 'destination', peer: null });
  });
});
