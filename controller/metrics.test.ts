import { block, cluster, node, pool } from "./core/testing/fixtures.ts";
import { createControllerMetrics } from "./metrics.ts";

const state = cluster({
  nodes: [node("node-a"), node("node-b")],
  pools: [pool("pool-a", "198.18.0.0/24"), pool("pool-b", "198.19.0.0/24")],
  blocks: [
    block("198.18.0.0/26", "pool-a", "node-a", { allocated: 5 }),
    block("198.18.0.64/26", "pool-a", "node-a", { allocated: 2, draining: true }),
    block("198.18.0.128/26", "pool-a", "node-b"),
    block("198.19.0.0/28", "pool-b", "node-b", { allocated: 16 }),
  ],
});

const ipamLines = async (text: Promise<string>) => (await text).split("\n").filter((l) => /^petrel_(ipam|controller_pool)_/.test(l)).sort();

describe("controller IPAM metrics", () => {
  it("are exported per pool and node by the leader only", async () => {
    const m = createControllerMetrics(() => state, () => 0);
    expect(await ipamLines(m.registry.metrics())).toEqual([]);
    m.setLeader(true);
    expect(await ipamLines(m.registry.metrics())).toEqual([
      'petrel_controller_pool_blocks{pool="pool-a"} 3',
      'petrel_controller_pool_blocks{pool="pool-b"} 1',
      'petrel_controller_pool_used_addresses{pool="pool-a"} 7',
      'petrel_controller_pool_used_addresses{pool="pool-b"} 16',
      'petrel_ipam_addresses{pool="pool-a",node="node-a"} 128',
      'petrel_ipam_addresses{pool="pool-a",node="node-b"} 64',
      'petrel_ipam_addresses{pool="pool-b",node="node-b"} 16',
      'petrel_ipam_allocations_in_use{pool="pool-a",node="node-a"} 7',
      'petrel_ipam_allocations_in_use{pool="pool-a",node="node-b"} 0',
      'petrel_ipam_allocations_in_use{pool="pool-b",node="node-b"} 16',
      'petrel_ipam_blocks{pool="pool-a",node="node-a"} 2',
      'petrel_ipam_blocks{pool="pool-a",node="node-b"} 1',
      'petrel_ipam_blocks{pool="pool-b",node="node-b"} 1',
    ]);
    m.setLeader(false);
    expect(await ipamLines(m.registry.metrics())).toEqual([]);
  });
});
