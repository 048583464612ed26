import { block, cluster, node, petrelNode, pool } from "./testing/fixtures.ts";
import { ipamUsage } from "./ipam-usage.ts";

describe("ipamUsage", () => {
  it("sums per pool and per node and pool, with each pool's size and free blocks", () => {
    const u = ipamUsage(cluster({
      nodes: [node("node-a"), node("node-b")],
      pools: [pool("pool-a", "198.18.0.0/24"), pool("pool-b", "198.19.0.0/28", { blockSize: 28 })],
      blocks: [
        block("198.18.0.0/26", "pool-a", "node-a", { allocated: 5 }),
        block("198.18.0.64/26", "pool-a", "node-a", { allocated: 2, draining: true }),
        block("198.18.0.128/26", "pool-a", "node-b"),
        block("198.19.0.0/28", "pool-b", "node-b", { allocated: 16 }),
      ],
    }));
    expect(u.pools).toEqual([
      { pool: "pool-a", blocks: 3, allocationsInUse: 7, sizeAddresses: 256, sizeBlocks: 4, freeBlocks: 1, exhausted: false },
      { pool: "pool-b", blocks: 1, allocationsInUse: 16, sizeAddresses: 16, sizeBlocks: 1, freeBlocks: 0, exhausted: true },
    ]);
    expect(u.nodes).toEqual([
      { pool: "pool-a", node: "node-a", blocks: 2, addresses: 128, allocationsInUse: 7 },
      { pool: "pool-a", node: "node-b", blocks: 1, addresses: 64, allocationsInUse: 0 },
      { pool: "pool-b", node: "node-b", blocks: 1, addresses: 16, allocationsInUse: 16 },
    ]);
  });

  it("takes the Exhausted condition (a node waits) though blocks remain uncut", () => {
    const waiting = pool("p", "198.18.0.0/24", {
      status: { conditions: [{ type: "Exhausted", status: "True", reason: "NoFreeBlocks", message: "m", lastTransitionTime: "2026-01-01T00:00:00Z" }] },
    });
    expect(ipamUsage(cluster({ pools: [waiting] })).pools[0]).toMatchObject({ freeBlocks: 4, exhausted: true });
  });

  it("reports no size, free blocks or exhaustion for an invalid pool, and never negative free blocks", () => {
    const u = ipamUsage(cluster({
      pools: [pool("bad", "198.18.0.0/24", { blockSize: 16 }), pool("small", "198.18.1.0/26")],
      // A hand-made block in excess of the pool's one block.
      blocks: [block("198.18.1.0/26", "small", "n1"), block("198.18.1.0/27", "small", "n2", { allocated: 1 })],
    }));
    expect(u.pools).toEqual([
      { pool: "bad", blocks: 0, allocationsInUse: 0, sizeAddresses: undefined, sizeBlocks: undefined, freeBlocks: undefined, exhausted: undefined },
      { pool: "small", blocks: 2, allocationsInUse: 1, sizeAddresses: 64, sizeBlocks: 1, freeBlocks: 0, exhausted: true },
    ]);
  });

  it("counts blocks of a pool that is gone per node (they drain), and no pool series for it", () => {
    const u = ipamUsage(cluster({ blocks: [block("198.18.0.0/26", "gone", "n1", { allocated: 3 })] }));
    expect(u.pools).toEqual([]);
    expect(u.nodes).toEqual([{ pool: "gone", node: "n1", blocks: 1, addresses: 64, allocationsInUse: 3 }]);
  });

  it("an IPv6 pool's size is a float that does not overflow", () => {
    const [p] = ipamUsage(cluster({ pools: [pool("v6", "2001:db8::/48")] })).pools;
    expect(p?.sizeAddresses).toBe(2 ** 80);
    expect(p?.sizeBlocks).toBe(2 ** 74);
  });

  it("reports each agent's heartbeat in seconds, and none for a PetrelNode without one", () => {
    const u = ipamUsage(cluster({ petrelNodes: [petrelNode("n2", Date.parse("2026-03-01T12:00:05Z")), petrelNode("n1")] }));
    expect(u.heartbeats).toEqual([{ node: "n2", timestampSeconds: Date.parse("2026-03-01T12:00:05Z") / 1000 }]);
  });
});
