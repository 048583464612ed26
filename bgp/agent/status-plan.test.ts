import type { IPAMBlockStatus, PetrelNodeStatus } from "../../common/api/index.ts";
import type { DesiredPeer } from "./desired-bgp.ts";
import { blockStatus, blockStatusChanged, countAllocations, nodeStatusChanged, petrelNodeStatus, statusDiff, type NodeStatusInputs } from "./status-plan.ts";
import { ipamBlock, peerStatus } from "./testing/fixtures.ts";

const t0 = new Date("2026-03-04T05:06:07.891Z");
const t1 = new Date("2026-03-04T05:07:00.000Z");

describe("countAllocations", () => {
  it("counts addresses per block, ignoring non-addresses and addresses outside every block", () => {
    const counts = countAllocations(
      ["198.18.0.1", "198.18.0.2", "198.18.0.65", "198.18.1.1", "lock", "198.18.0.3.tmp", "2001:db8:1::41", ""],
      ["198.18.0.0/26", "198.18.0.64/26", "198.18.0.128/26", "2001:db8:1::40/122"],
    );
    expect(counts).toEqual(new Map([["198.18.0.0/26", 2], ["198.18.0.64/26", 1], ["198.18.0.128/26", 0], ["2001:db8:1::40/122", 1]]));
  });

  it("is empty without blocks", () => {
    expect(countAllocations(["198.18.0.1"], [])).toEqual(new Map());
  });
});

describe("blockStatus", () => {
  it("reports allocated, capacity, the generation acted on, and the time without milliseconds", () => {
    expect(blockStatus(ipamBlock("198.18.0.0/26", "node-a", "default", { generation: 3 }), 5, t0)).toEqual({
      allocated: 5, capacity: 64, observedGeneration: 3, lastUpdate: "2026-03-04T05:06:07Z",
    });
    expect(blockStatus(ipamBlock("2001:db8:1::40/122", "node-a", "v6"), 0, t0)).toMatchObject({ capacity: 64, observedGeneration: 1 });
    expect(blockStatus(ipamBlock("198.18.0.0/24", "node-a", "big"), 0, t0).capacity).toBe(256);
  });

  it("changes only when allocated, capacity or generation change (not lastUpdate)", () => {
    const next: IPAMBlockStatus = { allocated: 5, capacity: 64, observedGeneration: 3, lastUpdate: "2026-03-04T05:06:07Z" };
    expect(blockStatusChanged(undefined, next)).toBe(true);
    expect(blockStatusChanged({ ...next, lastUpdate: "2020-01-01T00:00:00Z" }, next)).toBe(false);
    expect(blockStatusChanged({ ...next, allocated: 4 }, next)).toBe(true);
    expect(blockStatusChanged({ ...next, capacity: 128 }, next)).toBe(true);
    expect(blockStatusChanged({ ...next, observedGeneration: 2 }, next)).toBe(true);
    expect(blockStatusChanged({}, next)).toBe(true);
  });
});

describe("petrelNodeStatus", () => {
  const meshPeer = (address: string, asn = 64512): DesiredPeer => ({ kind: "NodeMesh", source: `Node ${address}`, address, asn });
  const torPeer: DesiredPeer = { kind: "GlobalPeer", source: "BGPPeer tor", address: "192.0.2.1", asn: 65100 };
  const blocks = [ipamBlock("198.18.0.0/26", "node-a", "default"), ipamBlock("198.18.0.64/26", "node-a", "default")];

  function inputs(over: Partial<NodeStatusInputs> = {}): NodeStatusInputs {
    return {
      peers: [meshPeer("192.0.2.12"), torPeer],
      sessions: [],
      advertised: [],
      blocks,
      allocations: new Map([["198.18.0.0/26", 3], ["198.18.0.64/26", 1]]),
      notReady: undefined,
      previous: undefined,
      now: t0,
      ...over,
    };
  }

  it("maps sessions with state, since and prefix counts", () => {
    const established = new Date("2026-03-04T05:00:00.500Z");
    const s = petrelNodeStatus(inputs({
      sessions: [
        peerStatus("192.0.2.12", "Established", { since: established, accepted: 2, advertised: 3 }),
        peerStatus("192.0.2.99", "Established"), // a session gobgpd has that Petrel no longer wants
      ],
    }));
    expect(s.bgpSessions).toEqual([
      { peerIP: "192.0.2.12", asNumber: 64512, type: "NodeMesh", state: "Established", since: "2026-03-04T05:00:00Z", prefixesReceived: 2, prefixesAdvertised: 3 },
      // No session in gobgpd (yet): Idle since now.
      { peerIP: "192.0.2.1", asNumber: 65100, type: "GlobalPeer", state: "Idle", since: "2026-03-04T05:06:07Z", prefixesReceived: 0, prefixesAdvertised: 0 },
    ]);
  });

  it("reports Unknown as Idle", () => {
    const s = petrelNodeStatus(inputs({ sessions: [peerStatus("192.0.2.12", "Unknown"), peerStatus("192.0.2.1", "Active")] }));
    expect(s.bgpSessions?.map((x) => x.state)).toEqual(["Idle", "Active"]);
  });

  it("keeps the time a state was first seen while it lasts, and restarts it on a change", () => {
    const previous: PetrelNodeStatus = {
      bgpSessions: [
        { peerIP: "192.0.2.12", type: "NodeMesh", state: "Active", since: "2026-03-04T04:00:00Z" },
        { peerIP: "192.0.2.1", type: "GlobalPeer", state: "Idle", since: "2026-03-04T04:30:00Z" },
      ],
    };
    const s = petrelNodeStatus(inputs({ previous, now: t1, sessions: [peerStatus("192.0.2.12", "Active"), peerStatus("192.0.2.1", "Connect")] }));
    expect(s.bgpSessions?.map((x) => [x.peerIP, x.state, x.since])).toEqual([
      ["192.0.2.12", "Active", "2026-03-04T04:00:00Z"],
      ["192.0.2.1", "Connect", "2026-03-04T05:07:00Z"],
    ]);
    // Unknown counts as Idle, so it continues a previous Idle.
    const idle = petrelNodeStatus(inputs({ previous, now: t1, sessions: [peerStatus("192.0.2.1", "Unknown")] }));
    expect(idle.bgpSessions?.find((x) => x.peerIP === "192.0.2.1")?.since).toBe("2026-03-04T04:30:00Z");
  });

  it("takes since from gobgpd for an Established session", () => {
    const previous: PetrelNodeStatus = { bgpSessions: [{ peerIP: "192.0.2.12", type: "NodeMesh", state: "Established", since: "2026-03-04T04:00:00Z" }] };
    const s = petrelNodeStatus(inputs({ previous, sessions: [peerStatus("192.0.2.12", "Established", { since: new Date("2026-03-04T05:00:00Z") })] }));
    expect(s.bgpSessions?.[0]?.since).toBe("2026-03-04T05:00:00Z");
  });

  it("is Ready with the agent's reason when nothing is wrong", () => {
    const s = petrelNodeStatus(inputs());
    expect(s.conditions).toEqual([{
      type: "Ready", status: "True", reason: "AgentReady", message: expect.stringContaining("gobgpd is configured"), lastTransitionTime: "2026-03-04T05:06:07Z",
    }, {
      type: "CIDRsAccepted", status: "True", reason: "AllAccepted", message: "every pool and service CIDR is used", lastTransitionTime: "2026-03-04T05:06:07Z",
    }]);
    expect(s.lastHeartbeatTime).toBe("2026-03-04T05:06:07Z");
  });

  it("adds the IPForwarding condition when the pass checked forwarding, keeping its transition time", () => {
    const off = petrelNodeStatus(inputs({ forwarding: [{ family: 4, enabled: false, turnedOn: false, error: "EROFS" }] }));
    expect(off.conditions?.map((c) => [c.type, c.status, c.reason])).toEqual([["Ready", "True", "AgentReady"], ["IPForwarding", "False", "ForwardingDisabled"], ["CIDRsAccepted", "True", "AllAccepted"]]);
    const still = petrelNodeStatus(inputs({ previous: off, now: t1, forwarding: [{ family: 4, enabled: false, turnedOn: false }] }));
    expect(still.conditions?.find((c) => c.type === "IPForwarding")?.lastTransitionTime).toBe("2026-03-04T05:06:07Z");
    const on = petrelNodeStatus(inputs({ previous: off, now: t1, forwarding: [{ family: 4, enabled: true, turnedOn: false }] }));
    expect(on.conditions?.find((c) => c.type === "IPForwarding")).toMatchObject({ status: "True", lastTransitionTime: "2026-03-04T05:07:00Z" });
  });

  it("is not Ready with the given reason and message", () => {
    const s = petrelNodeStatus(inputs({ notReady: { reason: "ConfigurationProblem", message: "Node node-a has no InternalIP" } }));
    expect(s.conditions?.[0]).toEqual({
      type: "Ready", status: "False", reason: "ConfigurationProblem", message: "Node node-a has no InternalIP", lastTransitionTime: "2026-03-04T05:06:07Z",
    });
  });

  it("keeps lastTransitionTime while the status stays, and moves it when the status changes", () => {
    const before = petrelNodeStatus(inputs({ notReady: { reason: "GobgpdUnavailable", message: "down" } }));
    const stillDown = petrelNodeStatus(inputs({ previous: before, now: t1, notReady: { reason: "RoutesFailed", message: "ip failed" } }));
    expect(stillDown.conditions?.[0]).toMatchObject({ status: "False", reason: "RoutesFailed", message: "ip failed", lastTransitionTime: "2026-03-04T05:06:07Z" });
    const up = petrelNodeStatus(inputs({ previous: stillDown, now: t1 }));
    expect(up.conditions?.[0]).toMatchObject({ status: "True", lastTransitionTime: "2026-03-04T05:07:00Z" });
    const stillUp = petrelNodeStatus(inputs({ previous: up, now: new Date("2026-03-04T06:00:00Z") }));
    expect(stillUp.conditions?.[0]?.lastTransitionTime).toBe("2026-03-04T05:07:00Z");
  });

  it("totals IPAM usage over the node's blocks and sorts the advertised blocks", () => {
    const s = petrelNodeStatus(inputs({ advertised: ["198.18.0.64/26", "198.18.0.0/26"] }));
    expect(s.ipam).toEqual({ blocks: 2, allocated: 4, capacity: 128 });
    expect(s.advertisedBlocks).toEqual(["198.18.0.0/26", "198.18.0.64/26"]);
    const empty = petrelNodeStatus(inputs({ blocks: [], allocations: new Map(), peers: [] }));
    expect(empty.ipam).toEqual({ blocks: 0, allocated: 0, capacity: 0 });
    expect(empty.bgpSessions).toEqual([]);
  });
});

describe("routes, refusals and ignored CIDRs", () => {
  const base: NodeStatusInputs = {
    peers: [], sessions: [], advertised: [], blocks: [], allocations: new Map(), notReady: undefined, previous: undefined, now: t0,
  };

  it("reports the kernel routes, the refusals by reason, and the refusals in force with their peer", () => {
    const s = petrelNodeStatus({
      ...base,
      routes: { installed: 4, blackholes: 2, refused: new Map([["wrong_next_hop", 3], ["default_route", 1]]) },
      refusals: [{ peer: "192.0.2.250", prefix: "0.0.0.0/0", nextHop: "192.0.2.250", reason: "default_route", detail: "0.0.0.0/0 is a default route", firstSeen: t0.getTime(), lastSeen: t1.getTime(), times: 2 }],
    });
    expect(s.routes).toEqual({ installed: 4, blackholes: 2, refused: 4, refusedByReason: { default_route: 1, wrong_next_hop: 3 } });
    expect(s.refusedRoutes).toEqual([{ peerIP: "192.0.2.250", prefix: "0.0.0.0/0", nextHop: "192.0.2.250", reason: "default_route", message: "0.0.0.0/0 is a default route", firstSeen: "2026-03-04T05:06:07Z", lastSeen: "2026-03-04T05:07:00Z", count: 2 }]);
  });

  it("says which CIDRs are ignored, naming the field", () => {
    const s = petrelNodeStatus({ ...base, ignoredCidrs: [{ field: "BGPConfiguration default spec.serviceCIDRs", cidr: "0.0.0.0/0", why: "is a default route" }] });
    expect(s.conditions?.[1]).toMatchObject({ type: "CIDRsAccepted", status: "False", reason: "SomeIgnored", message: "BGPConfiguration default spec.serviceCIDRs: 0.0.0.0/0 is a default route; it is ignored" });
  });

  it("counts-only changes are not significant; which refusals are in force is", () => {
    const refusal = { peer: "192.0.2.250", prefix: "0.0.0.0/0", nextHop: "192.0.2.250", reason: "default_route" as const, detail: "x", firstSeen: 0, lastSeen: 0, times: 1 };
    const a = petrelNodeStatus({ ...base, routes: { installed: 1, blackholes: 1, refused: new Map([["default_route", 1]]) }, refusals: [refusal] });
    const b = petrelNodeStatus({ ...base, now: t1, previous: a, routes: { installed: 2, blackholes: 1, refused: new Map([["default_route", 5]]) }, refusals: [{ ...refusal, lastSeen: 9000, times: 5 }] });
    expect(statusDiff(a, b)).toBe("counts");
    const c = petrelNodeStatus({ ...base, now: t1, previous: a, refusals: [{ ...refusal, prefix: "198.18.0.5/32", reason: "longer_than_block" }] });
    expect(statusDiff(a, c)).toBe("significant");
    expect(statusDiff(a, { ...a, lastHeartbeatTime: "2026-03-04T06:00:00Z" })).toBe("none");
  });
});

describe("nodeStatusChanged", () => {
  const status: PetrelNodeStatus = {
    bgpSessions: [{ peerIP: "192.0.2.12", asNumber: 64512, type: "NodeMesh", state: "Established", since: "2026-03-04T05:00:00Z", prefixesReceived: 2, prefixesAdvertised: 2 }],
    advertisedBlocks: ["198.18.0.0/26"],
    ipam: { blocks: 1, allocated: 3, capacity: 64 },
    conditions: [{ type: "Ready", status: "True", reason: "AgentReady", message: "ok", lastTransitionTime: "2026-03-04T05:00:00Z" }],
    lastHeartbeatTime: "2026-03-04T05:00:00Z",
  };

  it("ignores the heartbeat only", () => {
    expect(nodeStatusChanged(status, { ...status, lastHeartbeatTime: "2026-03-04T06:00:00Z" })).toBe(false);
    expect(nodeStatusChanged(undefined, status)).toBe(true);
    expect(nodeStatusChanged(status, { ...status, ipam: { blocks: 1, allocated: 4, capacity: 64 } })).toBe(true);
    expect(nodeStatusChanged(status, { ...status, advertisedBlocks: [] })).toBe(true);
    expect(nodeStatusChanged(status, { ...status, bgpSessions: [] })).toBe(true);
  });

  // Regression (was a bug, fixed): the comparison is JSON.stringify, so it depends on key order. The
  // API server returns a custom resource's status with its keys sorted, the agent builds them in
  // another order, so the status read back after an agent restart always counts as changed.
  // Input: the same status with its keys in alphabetical order (heartbeat aside). Expected:
  // false. Actual: true.
  test("does not depend on key order", () => {
    const fromServer: PetrelNodeStatus = {
      advertisedBlocks: ["198.18.0.0/26"],
      bgpSessions: status.bgpSessions,
      conditions: status.conditions,
      ipam: { allocated: 3, blocks: 1, capacity: 64 },
      lastHeartbeatTime: "2026-03-04T04:00:00Z",
    };
    expect(nodeStatusChanged(fromServer, status)).toBe(false);
  });
});
