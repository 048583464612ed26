/**
 * Picks a free block of a pool for a node. The search starts at an offset hashed from the node and
 * pool names, so that two controllers racing for the same node (during a leader hand-over) pick
 * the same block: one create wins, the other gets AlreadyExists and sees the node served, instead
 * of the node ending with two blocks.
 */
import { cidrsOverlap, type Cidr } from "../../common/cidr.ts";
import { blockNameOf } from "../../common/block-name.ts";
import { blockAt, type PoolLayout } from "./pool-layout.ts";

/** FNV-1a, 64-bit: cheap, stable across runs and programs. */
export function hashName(text: string): bigint {
  let h = 0xcbf29ce484222325n;
  for (let i = 0; i < text.length; i++) {
    h ^= BigInt(text.charCodeAt(i));
    h = (h * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return h;
}

export interface Occupancy {
  /** Names of every existing (and just planned) IPAMBlock. */
  readonly names: ReadonlySet<string>;
  /** Blocks that may overlap this pool without being one of its blocks (hand-made, other sizes). */
  readonly foreign: readonly Cidr[];
}

/** A free block for `node` in `layout`, or undefined when the pool is fully cut. */
export function pickFreeBlock(layout: PoolLayout, node: string, occupancy: Occupancy, takenInPool: number): Cidr | undefined {
  if (BigInt(takenInPool) >= layout.blockCount) return undefined;
  const start = hashName(`${layout.pool}/${node}`) % layout.blockCount;
  // A free block lies within (blocks taken + foreign + 1) steps of any start, so this loop is
  // bounded by the number of blocks in use, not by the (possibly astronomic) size of the pool.
  const limit = layout.blockCount;
  for (let step = 0n; step < limit; step++) {
    const candidate = blockAt(layout, (start + step) % layout.blockCount);
    if (occupancy.names.has(blockNameOf(candidate))) continue;
    if (occupancy.foreign.some((f) => cidrsOverlap(f, candidate))) continue;
    return candidate;
  }
  return undefined;
}
