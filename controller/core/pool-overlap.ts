/**
 * Overlapping pools: the API server cannot see across objects, so the controller finds overlaps.
 * The older pool (creation time, then name) keeps working; the newer one gets no blocks while it
 * overlaps, and both carry an Overlapping condition that names the other.
 */
import { cidrsOverlap, type Cidr } from "../../common/cidr.ts";

export interface PoolRange {
  readonly name: string;
  readonly cidr: Cidr;
  readonly createdAt: string;
}

export interface PoolOverlaps {
  /** Pool name → names of the pools it overlaps, sorted. */
  readonly overlapsWith: ReadonlyMap<string, readonly string[]>;
  /** Pools that overlap an older pool: no new blocks are cut from them. */
  readonly blocked: ReadonlySet<string>;
}

function older(a: PoolRange, b: PoolRange): boolean {
  return a.createdAt !== b.createdAt ? a.createdAt < b.createdAt : a.name < b.name;
}

export function findPoolOverlaps(pools: readonly PoolRange[]): PoolOverlaps {
  const overlapsWith = new Map<string, string[]>();
  const blocked = new Set<string>();
  // Pools are few (tens at most), so the quadratic scan is fine and easy to check.
  for (const [i, a] of pools.entries()) {
    for (const b of pools.slice(i + 1)) {
      if (!cidrsOverlap(a.cidr, b.cidr)) continue;
      overlapsWith.set(a.name, [...(overlapsWith.get(a.name) ?? []), b.name]);
      overlapsWith.set(b.name, [...(overlapsWith.get(b.name) ?? []), a.name]);
      blocked.add(older(a, b) ? b.name : a.name);
    }
  }
  for (const names of overlapsWith.values()) names.sort();
  return { overlapsWith, blocked };
}
