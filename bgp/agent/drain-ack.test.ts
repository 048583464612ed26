// The agent's side of the drain handshake: a drain is acknowledged (observedGeneration) only with
// a count taken behind the CNI plugin's locks, after the blocks.json without the block was written.
import type { IPAMBlockStatus } from "../../common/api/index.ts";
import { silentLogger } from "../../common/logger.ts";
import type { GobgpClient } from "../gobgp/client.ts";
import { Agent, type AgentPorts } from "./agent.ts";
import type { ClusterView } from "./cluster-view.ts";
import { FakeKernel } from "./testing/fake-kernel.ts";
import { clusterView, ipamBlock, nodeView, petrelNode } from "./testing/fixtures.ts";

const draining = () => ipamBlock("198.18.0.64/26", "node-a", "p", { generation: 2, draining: true, status: { allocated: 1, capacity: 64, observedGeneration: 1 } });
const steady = () => ipamBlock("198.18.0.0/26", "node-a", "p", { generation: 1, status: { allocated: 1, capacity: 64, observedGeneration: 1 } });

function setup(blocks: ReturnType<typeof ipamBlock>[]) {
  const calls: string[] = [];
  const statuses = new Map<string, IPAMBlockStatus>();
  // No node address: the passes skip gobgpd, which this test is not about.
  const state = { view: clusterView({ nodes: [nodeView("node-a", undefined)], petrelNodes: [petrelNode("node-a")], blocks }) as ClusterView, disk: undefined as string | undefined };
  const ports: AgentPorts = {
    cluster: { snapshot: () => state.view, synced: () => true, unsynced: () => [] },
    bgp: {} as GobgpClient,
    kernel: new FakeKernel(),
    state: {
      writeBlocks: (text) => {
        state.disk = text;
        calls.push(`write blocks.json ${JSON.stringify((JSON.parse(text) as { blocks: { cidr: string }[] }).blocks.map((b) => b.cidr))}`);
      },
      readBlocks: () => state.disk,
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
  const agent = new Agent(ports, { nodeName: "node-a", routeSettleMs: 0, statusIntervalMs: 0, heartbeatMs: 60_000, nodeAddressGraceMs: 60_000 });
  return { agent, calls, statuses, state };
}

describe("drain acknowledgement", () => {
  it("writes blocks.json without the draining block, then counts behind the plugin's locks, then acknowledges", async () => {
    const { agent, calls } = setup([steady(), draining()]);
    await agent.configPass();
    await agent.statusPass();
    expect(calls).toEqual([
      'write blocks.json ["198.18.0.0/26"]',
      "count behind the plugin's locks",
      "status 198-18-0-64-26 allocated=0 observedGeneration=2",
    ]);
    // Acknowledged: the next pass counts without the locks, although the agent's view of the
    // block still has the old status (its watch ignores status writes).
    calls.length = 0;
    await agent.statusPass();
    expect(calls[0]).toBe("count");
    expect(calls).not.toContain("count behind the plugin's locks");
  });

  it("does not acknowledge a drain that blocks.json does not reflect yet", async () => {
    const { agent, calls, state } = setup([steady(), ipamBlock("198.18.0.64/26", "node-a", "p", { generation: 1, status: { allocated: 1, capacity: 64, observedGeneration: 1 } })]);
    await agent.configPass();
    calls.length = 0;
    // The drain arrives; a status pass runs before the config pass has rewritten blocks.json.
    state.view = { ...state.view, blocks: [steady(), draining()] };
    await agent.statusPass();
    expect(calls).toEqual(["count"]);
    await agent.configPass();
    await agent.statusPass();
    expect(calls).toEqual([
      "count",
      'write blocks.json ["198.18.0.0/26"]',
      "count behind the plugin's locks",
      "status 198-18-0-64-26 allocated=0 observedGeneration=2",
    ]);
  });

  it("counts without the locks when no drain waits for an acknowledgement", async () => {
    const { agent, calls } = setup([steady()]);
    await agent.configPass();
    await agent.statusPass();
    expect(calls).toEqual(['write blocks.json ["198.18.0.0/26"]', "count"]);
  });

  it("writes blocks.json again when it no longer holds what the agent wrote (edited by hand)", async () => {
    const { agent, calls, state } = setup([steady()]);
    await agent.configPass();
    await agent.configPass();
    expect(calls.filter((c) => c.startsWith("write"))).toEqual(['write blocks.json ["198.18.0.0/26"]']);
    state.disk = '{"blocks":[]}';
    await agent.configPass();
    expect(calls.filter((c) => c.startsWith("write"))).toEqual(['write blocks.json ["198.18.0.0/26"]', 'write blocks.json ["198.18.0.0/26"]']);
    expect(JSON.parse(state.disk).blocks).toHaveLength(1);
  });
});
