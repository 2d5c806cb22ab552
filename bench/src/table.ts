/** A plain-text table: first column left-aligned, the others right-aligned (they are figures). */
export function table(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

export const fixed = (n: number, digits = 2): string => (Number.isFinite(n) ? n.toFixed(digits) : '-');
export const grouped = (n: number): string =>
  Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '-';
