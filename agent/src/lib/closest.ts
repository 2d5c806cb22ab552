/**
 * "Did you mean …?" for unknown command-line options, commands, configuration keys and
 * environment variables: the known name nearest to what was typed, if it is near enough to be a
 * typo rather than a different word.
 */

/** Edit distance with transpositions (optimal string alignment): `adress`→`address` is 1, `prot`→`port` 1. */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[] = new Array<number>(rows * cols).fill(0);
  const at = (i: number, j: number): number => d[i * cols + j]!;
  for (let i = 0; i < rows; i++) d[i * cols] = i;
  for (let j = 0; j < cols; j++) d[j] = j;
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        v = Math.min(v, at(i - 2, j - 2) + 1);
      d[i * cols + j] = v;
    }
  }
  return at(a.length, b.length);
}

/**
 * The known name closest to `typed` (case-insensitive), or undefined when none is close: at most a
 * third of the longer name may differ (so `--chek` finds `--check`, but `--verbose` finds nothing
 * among `--config`, `--check`). A unique known name that `typed` abbreviates, or that is the start
 * of `typed`, also counts.
 */
export function closest(typed: string, known: Iterable<string>): string | undefined {
  const t = typed.toLowerCase();
  let best: string | undefined;
  let bestDistance = Infinity;
  const prefixed: string[] = [];
  for (const name of known) {
    const n = name.toLowerCase();
    if (n === t) return name;
    // An abbreviation (`--conf`) or a longer spelling (`warning` for `warn`).
    if (Math.min(t.length, n.length) >= 3 && (n.startsWith(t) || t.startsWith(n))) prefixed.push(name);
    const dist = editDistance(t, n);
    if (dist < bestDistance && dist <= Math.floor(Math.max(t.length, n.length) / 3)) {
      best = name;
      bestDistance = dist;
    }
  }
  return best ?? (prefixed.length === 1 ? prefixed[0] : undefined);
}

/** `; did you mean X?` or '' — for appending to an error message. */
export const didYouMean = (typed: string, known: Iterable<string>): string => {
  const c = closest(typed, known);
  return c === undefined ? '' : `; did you mean ${c}?`;
};
