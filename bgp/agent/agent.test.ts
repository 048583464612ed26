// The agent's coordination, on in-memory gobgpd, kernel and cluster: what each event touches.
import type { PetrelNodeStatus } from "../../common/api/index.ts";
import { encodeWatch } from "../gobgp/testing/fake-transport.ts";
import type { RouteUpdate } from "../gobgp/types.ts";
import { Agent, type AgentMetrics } from "./agent.ts";
import type { ClusterView } from "./cluster-view.ts";
import { FakeGobgpd, RecordingLogger } from "./testing/fake-gobgpd.ts";
import { FakeKernel } from "./testing/fake-kernel.ts";
import { threeNodeCluster } from "./testing/fixtures.ts";

const best = (prefix: string, nextHop: string, peer = nextHop): RouteUpdate => ({ family: "ipv4-unicast", prefix, nextHop, peer, withdrawal: false, stale: false, best: true });

let gobgpd: FakeGobgpd;
let kernel: FakeKernel;
let synced: boolean;
let view: ClusterView;
let refused: string[];
let statuses: PetrelNodeStatus[];
let agent: Agent;
let forwardingChecks: string[];
let forwardingCheckMs = 0;
let peerUpdates: string[][];

const metrics: AgentMetrics = {
  routeChanges: () => {}, routes: () => {}, sessions: () => {}, kubeWrite: () => {}, state: () => {}, pass: () => {}, forwarding: () => {},
  peers: (s) => peerUpdates.push(s.map((p) => `${p.peer} ${p.peerAs} ${p.state}`)),
  refused: (r) => refused.push(r),
};

beforeEach(() => {
  gobgpd = new FakeGobgpd();
  kernel = new FakeKernel();
  synced = true;
  view = threeNodeCluster();
  refused = [];
  statuses = [];
  forwardingChecks = [];
  peerUpdates = [];
  agent = makeAgent();
});

function makeAgent(): Agent {
  const a = new Agent({
    cluster: { snapshot: () => view, synced: () => synced, unsynced: () => (synced ? [] : ["IPAMBlocks (metadata)"]) },
    bgp: gobgpd.client(),
    kernel,
    state: { writeBlocks: () => {}, allocated: () => [] },
    nat: { apply: async () => {} },
    forwarding: { ensure: async (families) => { forwardingChecks.push(families.join(",")); return families.map((family) => ({ family, enabled: false, turnedOn: false, error: "EROFS" })); } },
    kube: { patchNodeStatus: async (_n, s) => { statuses.push(s); return true; }, patchBlockStatus: async () => true, secretValue: async () => undefined },
    log: new RecordingLogger(),
  }, { nodeName: "node-a", routeSettleMs: 0, statusIntervalMs: 1, heartbeatMs: 60_000, nodeAddressGraceMs: 60_000, forwardingCheckMs: forwardingCheckMs, receivedAuditIntervalMs: 0 }, metrics);
  // The metadata watch's view of every block (node-a's two from the fixture, one of node-b).
  for (const b of view.blocks) a.blockEvent("upsert", b.metadata.name, { "petrel.dev/node": b.spec.node, "petrel.dev/pool": b.spec.pool });
  a.blockEvent("upsert", "198-18-1-0-26", { "petrel.dev/node": "node-b", "petrel.dev/pool": "default" });
  return a;
}

describe("Agent", () => {
  it("changes nothing while the cluster cannot be read, and says why", async () => {
    synced = false;
    kernel.petrel.set("198.18.9.0/26", { prefix: "198.18.9.0/26", kind: "via", gateway: "192.0.2.99" });
    await agent.fullPass();
    await agent.configPass();
    await agent.routePass();
    expect(kernel.applied).toEqual([]);
    expect(gobgpd.transport.calls.filter((c) => c.method === "StartBgp")).toEqual([]);
    expect(agent.readiness()).toBe("waiting for the API server: IPAMBlocks (metadata) not listed yet, so routes cannot be verified; the 1 Petrel routes already in the kernel are kept and none is removed");
  });

  it("configures gobgpd with route trust, installs the owner's route and the node's blackholes", async () => {
    agent.watchBgp();
    await agent.configPass();
    expect(gobgpd.sets.get("petrel-blocks-v4-node-b")).toEqual([{ ipPrefix: "198.18.1.0/26", maskLengthMin: 26, maskLengthMax: 26 }]);
    gobgpd.transport.rawStreams[0]?.handlers.onData(encodeWatch({ kind: "routes", routes: [best("198.18.1.0/26", "192.0.2.12")] }));
    await agent.routePass();
    expect(kernel.table()).toEqual({ "198.18.0.0/26": "blackhole", "198.18.0.64/26": "blackhole", "198.18.1.0/26": "192.0.2.12" });
    expect(agent.readiness()).toBeUndefined();
  });

  it("a new block touches its owner's prefix set and its own route only", async () => {
    agent.watchBgp();
    await agent.configPass();
    gobgpd.transport.rawStreams[0]?.handlers.onData(encodeWatch({ kind: "routes", routes: [best("198.18.1.0/26", "192.0.2.12"), best("198.18.2.0/26", "192.0.2.13")] }));
    await agent.routePass();
    expect(kernel.table()["198.18.2.0/26"]).toBeUndefined(); // no such block yet: refused
    const mark = gobgpd.transport.calls.length;
    const applied = kernel.applied.length;
    agent.blockEvent("upsert", "198-18-2-0-26", { "petrel.dev/node": "node-c", "petrel.dev/pool": "default" });
    await agent.routePass();
    expect(kernel.applied.slice(applied)).toEqual([[{ op: "add", route: { prefix: "198.18.2.0/26", kind: "via", gateway: "192.0.2.13" } }]]);
    await agent.configPass();
    const calls = gobgpd.methodsSince(mark).filter((m) => !["GetBgp", "ListPeer"].includes(m));
    expect(calls).toEqual(["AddDefinedSet", "AddPolicy", "ResetPeer"]); // node-c's first block: its set and statement, its session re-read
    agent.blockEvent("delete", "198-18-2-0-26", {});
    await agent.routePass();
    expect(kernel.table()["198.18.2.0/26"]).toBeUndefined();
  });

  it("judges what peers send that gobgpd's policy dropped, counts each refusal once and reports it in the status", async () => {
    agent.watchBgp();
    await agent.configPass();
    const rogue = "192.0.2.250";
    gobgpd.peers.set(rogue, { conf: { neighborAddress: rogue, peerAsn: 65666 } });
    const sent = [
      best("198.18.1.5/32", rogue),
      best("198.18.0.0/26", rogue),
      best("0.0.0.0/0", rogue),
    ].map((r) => ({ ...r, peer: rogue, best: false }));
    // Nothing sent yet: nothing to list.
    gobgpd.peerCounters.set(rogue, { received: 0, accepted: 0, updates: 0 });
    let mark = gobgpd.transport.calls.length;
    await agent.auditPass();
    expect(gobgpd.requestsSince(mark, "raw:ListPath")).toEqual([]);
    // It sent three: not listed while its counter still moves, then listed and judged once.
    gobgpd.received = sent;
    gobgpd.peerCounters.set(rogue, { received: 3, accepted: 3, updates: 2 });
    mark = gobgpd.transport.calls.length;
    await agent.auditPass();
    expect(gobgpd.requestsSince(mark, "raw:ListPath")).toEqual([]);
    expect(refused).toEqual([]);
    await agent.auditPass();
    expect(gobgpd.requestsSince(mark, "raw:ListPath")).toMatchObject([{ tableType: "ADJ_IN", name: rogue }]);
    expect(refused).toEqual(["longer_than_block", "own_block", "default_route"]);
    await agent.statusPass();
    const s = statuses.at(-1);
    expect(s?.routes?.refusedByReason).toEqual({ default_route: 1, longer_than_block: 1, own_block: 1 });
    expect(s?.refusedRoutes?.map((r) => [r.peerIP, r.prefix, r.reason])).toEqual([
      ["192.0.2.250", "0.0.0.0/0", "default_route"],
      ["192.0.2.250", "198.18.0.0/26", "own_block"],
      ["192.0.2.250", "198.18.1.5/32", "longer_than_block"],
    ]);
    // Nothing sent since: not listed again, not counted again.
    mark = gobgpd.transport.calls.length;
    await agent.auditPass();
    expect(gobgpd.requestsSince(mark, "raw:ListPath")).toEqual([]);
    expect(refused).toHaveLength(3);
    // Withdrawn: no longer in force; the counts stay.
    gobgpd.received = sent.filter((r) => r.prefix !== "0.0.0.0/0");
    gobgpd.peerCounters.set(rogue, { received: 2, accepted: 2, updates: 3 });
    await agent.auditPass();
    await agent.auditPass();
    await agent.statusPass();
    expect(statuses.at(-1)?.refusedRoutes?.map((r) => r.prefix)).toEqual(["198.18.0.0/26", "198.18.1.5/32"]);
    expect(statuses.at(-1)?.routes?.refused).toBe(3);
    // All withdrawn: nothing left to list; the refusals end.
    gobgpd.received = [];
    gobgpd.peerCounters.set(rogue, { received: 0, accepted: 0, updates: 4 });
    await agent.auditPass();
    await agent.auditPass();
    await agent.statusPass();
    expect(statuses.at(-1)?.refusedRoutes ?? []).toEqual([]);
  });

  it("does not list a peer all of whose paths are best paths (none can have been refused), and lists it once one is not", async () => {
    agent.watchBgp();
    await agent.configPass();
    const peer = "192.0.2.12";
    gobgpd.transport.rawStreams[0]?.handlers.onData(encodeWatch({ kind: "routes", routes: [best("198.18.1.0/26", peer)] }));
    gobgpd.received = [{ ...best("198.18.1.0/26", peer), best: false }];
    gobgpd.peerCounters.set(peer, { received: 1, accepted: 1, updates: 1 });
    let mark = gobgpd.transport.calls.length;
    await agent.auditPass(); // first look at the counter
    await agent.auditPass(); // it stood still: judged without a listing
    expect(gobgpd.requestsSince(mark, "raw:ListPath")).toEqual([]);
    // A second path, which gobgpd's policy dropped: one received path is no best path.
    gobgpd.received.push({ ...best("198.18.1.5/32", peer), best: false });
    gobgpd.peerCounters.set(peer, { received: 2, accepted: 2, updates: 2 });
    mark = gobgpd.transport.calls.length;
    await agent.auditPass();
    await agent.auditPass();
    expect(gobgpd.requestsSince(mark, "raw:ListPath")).toMatchObject([{ tableType: "ADJ_IN", name: peer }]);
    expect(refused).toEqual(["longer_than_block"]);
  });

  it("after a break in the best-path stream, lists even an all-best peer until a full pass re-read gobgpd's RIB", async () => {
    agent.watchBgp();
    await agent.configPass();
    const peer = "192.0.2.12";
    gobgpd.transport.rawStreams[0]?.handlers.onData(encodeWatch({ kind: "routes", routes: [best("198.18.1.0/26", peer)] }));
    gobgpd.received = [best("198.18.1.0/26", peer)]; // gobgpd's RIB has it as the best path too (the full pass lists it)
    gobgpd.peerCounters.set(peer, { received: 1, accepted: 1, updates: 1 });
    await agent.auditPass();
    gobgpd.transport.rawStreams[0]?.handlers.onError(new Error("stream reset"));
    let mark = gobgpd.transport.calls.length;
    await agent.auditPass(); // stood still, but a withdrawal may have been missed: listed
    expect(gobgpd.requestsSince(mark, "raw:ListPath")).toMatchObject([{ tableType: "ADJ_IN", name: peer }]);
    // The stream back (the watch retries after 250 ms ± 20 %) and the RIB re-read: the counts hold again.
    const streams = gobgpd.transport.rawStreams.length;
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(gobgpd.transport.rawStreams.length).toBe(streams + 1);
    gobgpd.transport.rawStreams.at(-1)?.handlers.onData(encodeWatch({ kind: "routes", routes: [] }));
    await agent.fullPass();
    gobgpd.peerCounters.set(peer, { received: 1, accepted: 1, updates: 3 });
    await agent.auditPass();
    mark = gobgpd.transport.calls.length;
    await agent.auditPass();
    expect(gobgpd.requestsSince(mark, "raw:ListPath")).toEqual([]);
    agent.stopWatching();
  });

  it("its routes view: what it advertises, what it learned and installed, what it refused and why", async () => {
    agent.watchBgp();
    await agent.configPass();
    gobgpd.transport.rawStreams[0]?.handlers.onData(encodeWatch({ kind: "routes", routes: [best("198.18.1.0/26", "192.0.2.12")] }));
    gobgpd.received = [{ ...best("0.0.0.0/0", "192.0.2.13"), best: false }];
    gobgpd.peerCounters.set("192.0.2.13", { received: 1, accepted: 1, updates: 1 });
    await agent.auditPass(); // first look at the counter
    await agent.auditPass(); // it stood still: listed
    await agent.routePass();
    const v = await agent.routesView();
    expect(v).toMatchObject({ version: 1, node: "node-a", bgpConfigured: true, routesHeld: false });
    expect(v.peers.map((p) => [p.address, p.kind, p.state])).toEqual([["192.0.2.12", "NodeMesh", "Established"], ["192.0.2.13", "NodeMesh", "Established"]]);
    expect(v.advertised).toEqual([
      { prefix: "198.18.0.0/26", nextHop: "192.0.2.11", kind: "block" },
      { prefix: "198.18.0.64/26", nextHop: "192.0.2.11", kind: "block" },
    ]);
    expect(v.learned).toEqual([{ prefix: "198.18.1.0/26", peer: "192.0.2.12", nextHop: "192.0.2.12", stale: false, state: "installed", kernelGateway: "192.0.2.12" }]);
    expect(v.refused).toEqual([expect.objectContaining({ peer: "192.0.2.13", prefix: "0.0.0.0/0", nextHop: "192.0.2.13", reason: "default_route", times: 1 })]);
    expect(v.refusedTotals).toEqual({ default_route: 1 });
  });

  it("drops the refusals of a peer that is no longer configured (gobgpd sends no session event for a deleted peer)", async () => {
    agent.watchBgp();
    await agent.configPass();
    gobgpd.received = [{ ...best("0.0.0.0/0", "192.0.2.13"), best: false }, { ...best("0.0.0.0/0", "192.0.2.12"), best: false }];
    gobgpd.peerCounters.set("192.0.2.13", { received: 1, accepted: 1, updates: 1 });
    gobgpd.peerCounters.set("192.0.2.12", { received: 1, accepted: 1, updates: 1 });
    await agent.auditPass();
    await agent.auditPass();
    expect((await agent.routesView()).refused.map((r) => r.peer).sort()).toEqual(["192.0.2.12", "192.0.2.13"]);
    view = threeNodeCluster({ nodes: threeNodeCluster().nodes.filter((n) => n.name !== "node-c"), petrelNodes: threeNodeCluster().petrelNodes.filter((p) => p.metadata.name !== "node-c") });
    await agent.configPass();
    expect((await agent.routesView()).refused.map((r) => r.peer)).toEqual(["192.0.2.12"]);
    expect((await agent.routesView()).refusedTotals).toEqual({ default_route: 2 });
  });

  it("hands the configured peers and their sessions to the per-peer metrics on every status pass", async () => {
    agent.watchBgp();
    await agent.configPass();
    await agent.statusPass();
    expect(peerUpdates.at(-1)).toEqual(["192.0.2.12 64512 Established", "192.0.2.13 64512 Established"]);
    // A session event: gobgpd's sessions are read again on the next pass.
    gobgpd.sessionState = "ACTIVE";
    gobgpd.transport.rawStreams[1]?.handlers.onData(encodeWatch({ kind: "peer", peer: "192.0.2.12", state: "Active", event: "state" }));
    await agent.statusPass();
    expect(peerUpdates.at(-1)).toEqual(["192.0.2.12 64512 Active", "192.0.2.13 64512 Active"]);
  });

  it("checks forwarding before it is ready and on every status pass, and reports it", async () => {
    await agent.configPass();
    expect(forwardingChecks).toEqual(["4"]);
    await agent.configPass();
    expect(forwardingChecks).toEqual(["4"]); // the families did not change
    await agent.statusPass();
    expect(forwardingChecks).toEqual(["4", "4"]);
    expect(statuses.at(-1)?.conditions?.find((c) => c.type === "IPForwarding")).toMatchObject({ status: "False", reason: "ForwardingDisabled" });
  });

  it("checks forwarding at most every forwardingCheckMs on status passes", async () => {
    forwardingCheckMs = 60_000;
    try {
      agent = makeAgent();
      await agent.configPass();
      await agent.statusPass();
      await agent.statusPass();
      expect(forwardingChecks).toEqual(["4"]); // the config pass's; the status passes came too soon
    } finally {
      forwardingCheckMs = 0;
    }
  });

  it("keeps a node's peer and routes while its InternalIP is missing", async () => {
    agent.watchBgp();
    await agent.configPass();
    gobgpd.transport.rawStreams[0]?.handlers.onData(encodeWatch({ kind: "routes", routes: [best("198.18.1.0/26", "192.0.2.12")] }));
    await agent.routePass();
    view = threeNodeCluster({ nodes: threeNodeCluster().nodes.map((n) => (n.name === "node-b" ? { ...n, address: undefined } : n)) });
    await agent.configPass();
    await agent.routePass();
    expect(gobgpd.peers.has("192.0.2.12")).toBe(true);
    expect(kernel.table()["198.18.1.0/26"]).toBe("192.0.2.12");
  });
});

