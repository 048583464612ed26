import { block, cluster, node, petrelNode, pool } from "./core/testing/fixtures.ts";
import { createControllerMetrics, leaderOnlyMetricNames } from "./metrics.ts";

const state = cluster({
  nodes: [node("node-a"), node("node-b")],
  pools: [pool("pool-a", "198.18.0.0/24"), pool("pool-b", "198.19.0.0/28", { blockSize: 28 })],
  blocks: [
    block("198.18.0.0/26", "pool-a", "node-a", { allocated: 5 }),
    block("198.18.0.64/26", "pool-a", "node-a", { allocated: 2, draining: true }),
    block("198.18.0.128/26", "pool-a", "node-b"),
    block("198.19.0.0/28", "pool-b", "node-b", { allocated: 16 }),
  ],
  petrelNodes: [petrelNode("node-a", Date.parse("2026-03-01T12:00:00Z")), petrelNode("node-b")],
});

const sampleLines = async (text: Promise<string>, pattern: RegExp) => (await text).split("\n").filter((l) => pattern.test(l)).sort();
const clusterLines = (text: Promise<string>) => sampleLines(text, /^petrel_(ipam_|controller_agent_heartbeat)/);

describe("controller cluster metrics", () => {
  it("are exported per pool and per node and pool by the leader only", async () => {
    const m = createControllerMetrics(() => state, () => 0);
    expect(await clusterLines(m.registry.metrics())).toEqual([]);
    m.setLeader(true);
    expect(await clusterLines(m.registry.metrics())).toEqual([
      'petrel_controller_agent_heartbeat_timestamp_seconds{node="node-a"} 1772366400',
      'petrel_ipam_addresses{pool="pool-a",node="node-a"} 128',
      'petrel_ipam_addresses{pool="pool-a",node="node-b"} 64',
      'petrel_ipam_addresses{pool="pool-b",node="node-b"} 16',
      'petrel_ipam_allocations_in_use{pool="pool-a",node="node-a"} 7',
      'petrel_ipam_allocations_in_use{pool="pool-a",node="node-b"} 0',
      'petrel_ipam_allocations_in_use{pool="pool-b",node="node-b"} 16',
      'petrel_ipam_blocks{pool="pool-a",node="node-a"} 2',
      'petrel_ipam_blocks{pool="pool-a",node="node-b"} 1',
      'petrel_ipam_blocks{pool="pool-b",node="node-b"} 1',
      'petrel_ipam_pool_allocations_in_use{pool="pool-a"} 7',
      'petrel_ipam_pool_allocations_in_use{pool="pool-b"} 16',
      'petrel_ipam_pool_blocks{pool="pool-a"} 3',
      'petrel_ipam_pool_blocks{pool="pool-b"} 1',
      'petrel_ipam_pool_exhausted{pool="pool-a"} 0',
      'petrel_ipam_pool_exhausted{pool="pool-b"} 1',
      'petrel_ipam_pool_free_blocks{pool="pool-a"} 1',
      'petrel_ipam_pool_free_blocks{pool="pool-b"} 0',
      'petrel_ipam_pool_size_addresses{pool="pool-a"} 256',
      'petrel_ipam_pool_size_addresses{pool="pool-b"} 16',
      'petrel_ipam_pool_size_blocks{pool="pool-a"} 4',
      'petrel_ipam_pool_size_blocks{pool="pool-b"} 1',
    ]);
    m.setLeader(false);
    expect(await clusterLines(m.registry.metrics())).toEqual([]);
  });

  it("a standby exports none of the cluster gauges' samples, only their declarations, and is_leader 0", async () => {
    let snapshots = 0;
    const m = createControllerMetrics(() => {
      snapshots++;
      return state;
    }, () => 0);
    m.setLeader(false);
    m.waitingForBlocks([{ pool: "pool-b", node: "node-c" }]);
    const text = await m.registry.metrics();
    for (const name of leaderOnlyMetricNames) {
      expect([name, text.split("\n").filter((l) => l.startsWith(name))]).toEqual([name, []]);
    }
    expect(text).toContain("\npetrel_controller_is_leader 0\n");
    expect(snapshots).toBe(0); // a standby does not even read its caches for them
  });

  it("nodes waiting for a block of an exhausted pool, as of the last pass, by the leader only", async () => {
    const m = createControllerMetrics(() => state, () => 0);
    const lines = () => sampleLines(m.registry.metrics(), /^petrel_ipam_node_exhausted/);
    m.setLeader(true);
    m.waitingForBlocks([{ pool: "pool-b", node: "node-c" }, { pool: "pool-b", node: "node-d" }]);
    expect(await lines()).toEqual(['petrel_ipam_node_exhausted{pool="pool-b",node="node-c"} 1', 'petrel_ipam_node_exhausted{pool="pool-b",node="node-d"} 1']);
    m.waitingForBlocks([{ pool: "pool-b", node: "node-d" }]);
    expect(await lines()).toEqual(['petrel_ipam_node_exhausted{pool="pool-b",node="node-d"} 1']);
    m.setLeader(false);
    expect(await lines()).toEqual([]);
    m.waitingForBlocks([{ pool: "pool-b", node: "node-d" }]);
    expect(await lines()).toEqual([]);
  });

  it("watch restarts are a counter named with _total", async () => {
    let restarts = 2;
    const m = createControllerMetrics(() => undefined, () => restarts);
    expect(await sampleLines(m.registry.metrics(), /^petrel_controller_watch_restarts/)).toEqual(["petrel_controller_watch_restarts_total 2"]);
    restarts = 5;
    expect(await m.registry.metrics()).toContain("# TYPE petrel_controller_watch_restarts_total counter\npetrel_controller_watch_restarts_total 5\n");
  });
});
