import http from 'node:http';
import { LABELS, METRICS } from '@switchover/model';
import { sampleValue } from '@switchover/testbed';

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
    return (
      (sampleValue(await this.scrape(), METRICS.silentDestinationFailures, { [LABELS.vm]: vm }) ?? 0) > 0
    );
  }

  close(): void {
    this.agent.destroy();
  }
}
