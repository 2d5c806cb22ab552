import { execFile } from 'node:child_process';

/**
 * systemd readiness and watchdog (Type=notify). Node has no unix datagram sockets, so the messages go
 * through `systemd-notify`, which needs `NotifyAccess=all` in the unit. Without NOTIFY_SOCKET this is a no-op.
 */
export class SystemdNotifier {
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly env: NodeJS.ProcessEnv,
    private readonly onError: (err: unknown) => void,
  ) {}

  get enabled(): boolean {
    return Boolean(this.env.NOTIFY_SOCKET);
  }

  ready(): void {
    this.send(['--ready', `--pid=${process.pid}`]);
    const usec = Number(this.env.WATCHDOG_USEC);
    if (usec > 0) {
      this.timer = setInterval(() => this.send([`--pid=${process.pid}`, 'WATCHDOG=1']), usec / 2000);
      this.timer.unref();
    }
  }

  stopping(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.send([`--pid=${process.pid}`, 'STOPPING=1']);
  }

  private send(args: string[]): void {
    if (!this.enabled) return;
    execFile('systemd-notify', args, { env: this.env }, (err) => {
      if (err) this.onError(err);
    });
  }
}
