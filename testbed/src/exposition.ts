import { LABELS, METRICS } from '@switchover/model';

/**
 * Reads back a sample from the Prometheus text exposition this agent serves on `/metrics`: the value
 * of the first sample of `name` whose labels include every `labels` pair (exact values), else
 * undefined. For the demo, the benchmark and tests, which watch a running agent from outside.
 */
export function sampleValue(
  exposition: string,
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of exposition.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (want.every((w) => line.includes(w))) return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return undefined;
}

/** Whether the agent reports one target of an input (a QMP socket path, a journal) as up. */
export const inputUp = (exposition: string, input: string, target: string): boolean =>
  sampleValue(exposition, METRICS.sourceUp, { [LABELS.input]: input, [LABELS.target]: target }) === 1;
