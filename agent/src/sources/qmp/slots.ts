/**
 * Paces connection attempts: at most `size` sockets connect and identify at once, the others wait
 * their turn in order. An agent starting on a host with 500 VMs would otherwise run 500
 * identifications in the same instant: a burst of CPU, and of memory that stays resident long after.
 * A slot is given back when the attempt ends or after `maxHoldMs`, whichever comes first, so a peer
 * that never answers delays the others by at most that.
 */
export class Slots {
  private free: number;
  private readonly waiting: (() => void)[] = [];

  constructor(
    size: number,
    private readonly maxHoldMs: number,
  ) {
    this.free = size;
  }

  /** Waits for a slot; call the returned function once done (later calls do nothing). */
  async acquire(): Promise<() => void> {
    if (this.free > 0) this.free--;
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    let held = true;
    const release = (): void => {
      if (!held) return;
      held = false;
      clearTimeout(timer);
      const next = this.waiting.shift();
      if (next) next();
      else this.free++;
    };
    const timer = setTimeout(release, this.maxHoldMs);
    timer.unref();
    return release;
  }
}
