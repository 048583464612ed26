import { formatCidr, parseCidr } from "../../common/cidr.ts";
import { blockNameOf } from "../../common/block-name.ts";
import { hashName, pickFreeBlock, type Occupancy } from "./free-block.ts";
import { blockAt, poolLayout } from "./pool-layout.ts";
import { pool } from "./testing/fixtures.ts";

// 198.18.0.0/24 in /26 blocks: indexes 0..3 are .0, .64, .128, .192.
const layout = poolLayout(pool("pool-a", "198.18.0.0/24", { blockSize: 26 }));
const nothingTaken: Occupancy = { names: new Set<string>(), foreign: [] };
const startOf = (node: string) => hashName(`pool-a/${node}`) % layout.blockCount;
const nameAt = (index: bigint) => blockNameOf(blockAt(layout, index % layout.blockCount));
const pick = (node: string, occupancy: Occupancy = nothingTaken, taken = 0) => {
  const cidr = pickFreeBlock(layout, node, occupancy, taken);
  return cidr === undefined ? undefined : formatCidr(cidr);
};

describe("hashName", () => {
  it("is 64-bit FNV-1a (the published test vectors), so every program and run agrees", () => {
    expect(hashName("")).toBe(0xcbf29ce484222325n);
    expect(hashName("a")).toBe(0xaf63dc4c8601ec8cn);
    expect(hashName("foobar")).toBe(0x85944171f73967e8n);
  });
});

describe("pickFreeBlock", () => {
  it("starts at the block hashed from pool and node, the same for two independent callers", () => {
    const expected = formatCidr(blockAt(layout, startOf("node-a")));
    expect(pick("node-a")).toBe(expected);
    // A second controller, with its own (equal) view of the pool, picks the same block.
    expect(pick("node-a", { names: new Set(), foreign: [] })).toBe(expected);
  });

  it("depends on the pool's name as well as the node's", () => {
    const starts = new Set(["pool-a", "pool-b", "pool-c", "pool-d", "pool-e"].map((p) => {
      const other = poolLayout(pool(p, "198.18.0.0/24"));
      return formatCidr(pickFreeBlock(other, "node-a", nothingTaken, 0) ?? parseCidr("0.0.0.0/0"));
    }));
    expect(starts.size).toBeGreaterThan(1);
  });

  it("skips blocks whose name is taken, going forward and wrapping around", () => {
    const start = startOf("node-a");
    const names = new Set([nameAt(start), nameAt(start + 1n), nameAt(start + 2n)]);
    expect(pick("node-a", { names, foreign: [] }, 3)).toBe(formatCidr(blockAt(layout, (start + 3n) % 4n)));
  });

  it("skips blocks that overlap a foreign block (another pool's, another size)", () => {
    // A /25 over the hashed block and its /26 neighbour in the same half.
    const start = startOf("node-a");
    const half = start < 2n ? "198.18.0.0/25" : "198.18.0.128/25";
    const picked = pick("node-a", { names: new Set(), foreign: [parseCidr(half)] });
    expect(picked).toBeDefined();
    expect(parseCidr(picked ?? "").network >> 7n).not.toBe(parseCidr(half).network >> 7n);
  });

  it("returns undefined when the pool is fully cut", () => {
    expect(pick("node-a", nothingTaken, 4)).toBeUndefined();
    const allNames = new Set([0n, 1n, 2n, 3n].map(nameAt));
    expect(pick("node-a", { names: allNames, foreign: [] }, 2)).toBeUndefined();
    expect(pick("node-a", { names: new Set(), foreign: [parseCidr("198.18.0.0/24")] }, 0)).toBeUndefined();
  });
});
