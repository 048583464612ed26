// The statistics every benchmark prints, in one place so that their tables and plots agree.

/** Nearest-rank quantile of an unsorted sample (q in (0, 1]); NaN for an empty sample. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil(q * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1] as number;
}

export const median = (values: readonly number[]): number => quantile(values, 0.5);
