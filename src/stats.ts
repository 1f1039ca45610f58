/** The median of the values (the mean of the middle two for an even count; 0 for none). */
export const median = (xs: readonly number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] ?? 0) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
};

/** The p-th percentile (0-100) of ascending values, interpolated between the closest ranks (0 for none). */
export const percentile = (sorted: readonly number[], p: number) => {
  if (sorted.length === 0) return 0;
  const rank = (p / 100) * (sorted.length - 1);
  const below = Math.floor(rank);
  const low = sorted[below] ?? 0;
  return low + ((sorted[Math.min(below + 1, sorted.length - 1)] ?? low) - low) * (rank - below);
};
