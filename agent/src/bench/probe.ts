import http from 'node:http';
import { LABELS, METRICS } from '@switchover/model';

/**
 * Scrapes the agent's `/metrics` over real HTTP (a keep-alive connection, as Prometheus uses) and
 * tells whether the silent-destination-failure counter has a sample for a VM.
 */
export class MetricsProbe {
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  private readonly url: URL;

  constructor(baseUrl: string) {
    this.url = new URL('/metrics', baseUrl);
  }

  scrape(): Promise<string> {
    return new Promise((resolve, reject) => {
      const req = http.get(this.url, { agent: this.agent }, (res) => {
        const parts: Buffer[] = [];
        res.on('data', (c: Buffer) => parts.push(c));
        res.on('end', () =>
          res.statusCode === 200
            ? resolve(Buffer.concat(parts).toString('utf8'))
            : reject(new Error(`GET /metrics answered ${res.statusCode}`)),
        );
        res.on('error', reject);
      });
      req.on('error', reject);
    });
  }

  async hasSilentFailure(vm: string): Promise<boolean> {
    return hasSample(await this.scrape(), METRICS.silentDestinationFailures, { [LABELS.vm]: vm });
  }

  close(): void {
    this.agent.destroy();
  }
}

/** Whether an exposition has a sample of `name` with these label values (and a value > 0). */
export function hasSample(exposition: string, name: string, labels: Record<string, string>): boolean {
  const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  let at = exposition.indexOf(`\n${name}{`);
  while (at >= 0) {
    const end = exposition.indexOf('\n', at + 1);
    const line = exposition.slice(at + 1, end < 0 ? undefined : end);
    if (want.every((w) => line.includes(w)) && Number(line.slice(line.lastIndexOf(' ') + 1)) > 0) return true;
    at = exposition.indexOf(`\n${name}{`, at + 1);
  }
  return false;
}
