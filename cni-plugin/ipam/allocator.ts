import { addressAt, cidrSize, containsAddress, formatCidr, type Cidr, type IpAddress, type IpFamily } from "../../common/cidr.ts";

/**
 * Picks the next free address of `family`, scanning the blocks in order and starting just after
 * `lastReserved` (round robin, as host-local does) so that a freed address is not handed to the
 * next pod at once: stale ARP entries and conntrack state of the old pod then expire first.
 * Every address of a block is usable: pods get /32 (/128) routes, so there is no network or
 * broadcast address to avoid (Calico does the same).
 */
export function chooseAddress(
  blocks: readonly Cidr[],
  family: IpFamily,
  taken: ReadonlySet<bigint>,
  lastReserved: IpAddress | undefined,
): IpAddress | undefined {
  const candidates = blocks.filter((b) => b.family === family);
  if (candidates.length === 0) return undefined;
  let startBlock = 0;
  let startOffset = 0n;
  if (lastReserved !== undefined) {
    const i = candidates.findIndex((b) => containsAddress(b, lastReserved));
    if (i >= 0) {
      const block = candidates[i] as Cidr;
      startBlock = i;
      startOffset = lastReserved.value - block.network + 1n;
      if (startOffset >= cidrSize(block)) {
        startBlock = (i + 1) % candidates.length;
        startOffset = 0n;
      }
    }
  }
  // Visit every block once, the start block last again for the addresses before startOffset.
  for (let step = 0; step <= candidates.length; step++) {
    const block = candidates[(startBlock + step) % candidates.length] as Cidr;
    const size = cidrSize(block);
    const from = step === 0 ? startOffset : 0n;
    const to = step === candidates.length ? startOffset : size;
    for (let off = from; off < to; off++) {
      const addr = addressAt(block, off);
      if (!taken.has(addr.value)) return addr;
    }
  }
  return undefined;
}

export interface BlockUsage {
  block: string;
  used: number;
  capacity: bigint;
}

/** Per-block usage, for the "node is full" message and for STATUS. */
export function blockUsage(blocks: readonly Cidr[], taken: readonly IpAddress[]): BlockUsage[] {
  return blocks.map((b) => ({
    block: formatCidr(b),
    used: taken.filter((a) => containsAddress(b, a)).length,
    capacity: cidrSize(b),
  }));
}
