/** Round tick values (1, 2, 5 × 10^k ms) inside [from, to], about `count` of them. */
export function niceTicks(from: number, to: number, count = 5): number[] {
  const span = to - from;
  if (!(span > 0) || !Number.isFinite(span)) {
    return [];
  }
  const raw = span / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = ([1, 2, 5, 10].map((k) => k * mag).find((s) => s >= raw) ?? 10 * mag) as number;
  const out: number[] = [];
  for (let v = Math.ceil(from / step) * step; v <= to; v += step) {
    out.push(v);
  }
  return out;
}

/** Axis label: time of day (UTC-free: the caller passes the formatter) or a signed offset from switchover. */
export function relativeLabel(ms: number): string {
  if (ms === 0) {
    return '0';
  }
  const sign = ms > 0 ? '+' : '−';
  const a = Math.abs(ms);
  return a >= 1000 ? `${sign}${(a / 1000).toFixed(a % 1000 === 0 ? 0 : 1)} s` : `${sign}${Math.round(a)} ms`;
}
