// Owns "did you mean" suggestions: the closest names to a misspelt one by
// case-insensitive edit distance (Levenshtein), prefix matches counting as close.

/** Case-insensitive Levenshtein distance, giving up (returning limit + 1) once it exceeds `limit`. */
export function editDistance(a: string, b: string, limit = Infinity): number {
  a = a.toLowerCase();
  b = b.toLowerCase();
  if (Math.abs(a.length - b.length) > limit) return limit + 1;
  let prev = new Array<number>(b.length + 1);
  let cur = new Array<number>(b.length + 1);
  for (let j = 0; j <= b.length; j++) prev[j] = j;
  for (let i = 1; i <= a.length; i++) {
    cur[0] = i;
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      const v = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + cost);
      cur[j] = v;
      if (v < rowMin) rowMin = v;
    }
    if (rowMin > limit) return limit + 1;
    [prev, cur] = [cur, prev];
  }
  return prev[b.length]!;
}

/**
 * Candidates close to `name`, closest first (ties by name), with their
 * distances: those within edit distance max(2, floor(len/3)) of it
 * (case-insensitive), and those that start with it or that it starts with
 * (ranked by their distance, but always kept). Duplicates and `name` itself are skipped.
 */
export function rankClosest(name: string, candidates: Iterable<string>): [string, number][] {
  const limit = Math.max(2, Math.floor(name.length / 3));
  const lower = name.toLowerCase();
  const scored = new Map<string, number>();
  for (const c of candidates) {
    if (c === name || scored.has(c)) continue;
    const cl = c.toLowerCase();
    const prefix = lower.length > 0 && (cl.startsWith(lower) || (cl.length > 0 && lower.startsWith(cl)));
    const d = editDistance(lower, cl, prefix ? Infinity : limit);
    if (d <= limit || prefix) scored.set(c, d);
  }
  return [...scored].sort((x, y) => x[1] - y[1] || (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0));
}

/** Up to `max` candidates close to `name`, closest first, ties by name (see rankClosest). */
export function closest(name: string, candidates: Iterable<string>, max = 3): string[] {
  return rankClosest(name, candidates)
    .slice(0, max)
    .map(([c]) => c);
}

/**
 * `; did you mean 'a'?` naming the closest candidates — only those at the
 * best distance (up to `max`: `'a' or 'b'`, `'a', 'b' or 'c'`) — or "" when nothing is close.
 */
export function didYouMean(name: string, candidates: Iterable<string>, max = 3): string {
  const ranked = rankClosest(name, candidates);
  const best = ranked[0]?.[1];
  const names = ranked
    .filter(([, d]) => d === best)
    .slice(0, max)
    .map(([c]) => `'${c}'`);
  if (names.length === 0) return "";
  const last = names.pop()!;
  return `; did you mean ${names.length ? `${names.join(", ")} or ${last}` : last}?`;
}
