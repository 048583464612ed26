/**
 * How a pool is cut into blocks: the effective block size and the block at each index. Pure;
 * used by the planner and the pool status.
 */
import { cidrSize, familyBits, formatCidr, parseCidr, type Cidr } from "../../common/cidr.ts";
import { InvalidInputError } from "../../common/errors.ts";
import type { IPPool } from "../../common/api/index.ts";

export const defaultBlockSize = { 4: 26, 6: 122 } as const;
const blockSizeRange = { 4: [20, 32], 6: [116, 128] } as const;

export interface PoolLayout {
  readonly pool: string;
  readonly cidr: Cidr;
  /** Prefix length of every block of the pool. */
  readonly blockPrefix: number;
  /** How many blocks the pool holds. */
  readonly blockCount: bigint;
  /** Addresses per block. */
  readonly blockCapacity: bigint;
}

/**
 * The layout of a pool, or an InvalidInputError naming the field. The CRD's CEL rules reject the
 * same mistakes; this is the controller's own check for objects that predate a rule or bypassed it.
 */
export function poolLayout(pool: IPPool): PoolLayout {
  const cidr = parseCidr(pool.spec.cidr, `IPPool ${pool.metadata.name}: spec.cidr`);
  const blockPrefix = pool.spec.blockSize ?? defaultBlockSize[cidr.family];
  const [min, max] = blockSizeRange[cidr.family];
  const field = `IPPool ${pool.metadata.name}: spec.blockSize`;
  if (!Number.isInteger(blockPrefix) || blockPrefix < min || blockPrefix > max) {
    throw new InvalidInputError(field, `${blockPrefix} does not fit an IPv${cidr.family} pool; use ${min} to ${max}`);
  }
  if (blockPrefix < cidr.prefixLength) {
    throw new InvalidInputError(field, `${blockPrefix} is shorter than the pool's prefix /${cidr.prefixLength}: a block cannot be larger than its pool; use at least ${cidr.prefixLength}`);
  }
  return {
    pool: pool.metadata.name,
    cidr,
    blockPrefix,
    blockCount: 1n << BigInt(blockPrefix - cidr.prefixLength),
    blockCapacity: 1n << BigInt(familyBits(cidr.family) - blockPrefix),
  };
}

/** The block at `index` (0 .. blockCount-1). */
export function blockAt(layout: PoolLayout, index: bigint): Cidr {
  if (index < 0n || index >= layout.blockCount) throw new RangeError(`block ${index} is outside ${formatCidr(layout.cidr)}`);
  return { family: layout.cidr.family, network: layout.cidr.network + index * layout.blockCapacity, prefixLength: layout.blockPrefix };
}

/** The index of `block` in the pool, or undefined when it is not one of the pool's blocks. */
export function blockIndexOf(layout: PoolLayout, block: Cidr): bigint | undefined {
  if (block.family !== layout.cidr.family || block.prefixLength !== layout.blockPrefix) return undefined;
  const offset = block.network - layout.cidr.network;
  if (offset < 0n || offset >= cidrSize(layout.cidr)) return undefined;
  return offset / layout.blockCapacity;
}
