// The agent's side of the drain handshake: a drain is acknowledged (observedGeneration) only with
// a count taken behind the CNI plugin's locks, after the blocks.json without the block was written.
import type { IPAMBlockStatus } from "../../common/api/index.ts";
import { silentLogger } from "../../common/logger.ts";
import type { GobgpClient } from "../gobgp/client.ts";
import { Agent, type AgentPorts } from "./agent.ts";
import { clusterView, ipamBlock, nodeView, petrelNode } from "./testing/fixtures.ts";

function setup(blocks: ReturnType<typeof ipamBlock>[]) {
  const calls: string[] = [];
  const statuses = new Map<string, IPAMBlockStatus>();
  // No node address: the pass skips gobgpd, which this test is not about.
  const view = clusterView({ nodes: [nodeView("node-a", undefined)], petrelNodes: [petrelNode("node-a")], blocks });
  const ports: AgentPorts = {
    cluster: { snapshot: () => view, synced: () => true },
    bgp: {} as GobgpClient,
    kernel: { list: async () => [], apply: async () => undefined },
    state: {
      writeBlocks: (text) => void calls.push(`write blocks.json ${JSON.stringify((JSON.parse(text) as { blocks: { cidr: string }[] }).blocks.map((b) => b.cidr))}`),
      allocated: () => {
        calls.push("count");
        return ["198.18.0.1", "198.18.0.65"];
      },
      allocatedAfterBarrier: async () => {
        calls.push("count behind the plugin's locks");
        return ["198.18.0.1"];
      },
    },
    nat: { apply: async () => undefined },
    forwarding: { ensure: async () => [] },
    kube: {
      patchNodeStatus: async () => true,
      patchBlockStatus: async (name, status) => {
        calls.push(`status ${name} allocated=${status.allocated} observedGeneration=${status.observedGeneration}`);
        statuses.set(name, status);
        return true;
      },
      secretValue: async () => undefined,
    },
    log: silentLogger,
  };
  const agent = new Agent(ports, { nodeName: "node-a", routeSettleMs: 0, statusIntervalMs: 0, heartbeatMs: 60_000 });
  return { agent, calls, statuses };
}

describe("drain acknowledgement", () => {
  it("writes blocks.json without the draining block, then counts behind the plugin's locks, then acknowledges", async () => {
    const { agent, calls } = setup([
      ipamBlock("198.18.0.0/26", "node-a", "p", { generation: 1, status: { allocated: 1, capacity: 64, observedGeneration: 1 } }),
      ipamBlock("198.18.0.64/26", "node-a", "p", { generation: 2, draining: true, status: { allocated: 1, capacity: 64, observedGeneration: 1 } }),
    ]);
    await agent.fullPass();
    expect(calls).toEqual([
      'write blocks.json ["198.18.0.0/26"]',
      "count behind the plugin's locks",
      "status 198-18-0-64-26 allocated=0 observedGeneration=2",
    ]);
  });

  it("counts without the locks when no drain waits for an acknowledgement", async () => {
    const { agent, calls } = setup([ipamBlock("198.18.0.0/26", "node-a", "p", { generation: 1, status: { allocated: 1, capacity: 64, observedGeneration: 1 } })]);
    await agent.fullPass();
    expect(calls).toEqual(['write blocks.json ["198.18.0.0/26"]', "count"]);
  });
});
