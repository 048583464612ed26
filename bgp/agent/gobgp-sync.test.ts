import { parseCidr } from "../../common/cidr.ts";
import { field, list, str } from "../gobgp/narrow.ts";
import { decodePath } from "../gobgp/path-codec.ts";
import { BlockIndex } from "./block-index.ts";
import { routeBounds } from "./cidr-bounds.ts";
import type { ClusterView } from "./cluster-view.ts";
import type { DesiredBgp } from "./desired-bgp.ts";
import { GobgpSync, peerFingerprint, type SyncInput } from "./gobgp-sync.ts";
import { desiredPolicy, ownerSetName } from "./import-policy.ts";
import type { GobgpClient } from "../gobgp/client.ts";
import { FakeGobgpd, RecordingLogger } from "./testing/fake-gobgpd.ts";
import { bgpConfiguration, bgpPeer, ipamBlock, passwordsFrom, planFor, threeNodeCluster } from "./testing/fixtures.ts";

const torSecret = { password: { secretKeyRef: { name: "bgp", key: "tor" } } };
const addresses: Record<string, string> = { "node-a": "192.0.2.11", "node-b": "192.0.2.12", "node-c": "192.0.2.13" };

function view(parts: Partial<ClusterView> = {}): ClusterView {
  return threeNodeCluster({ bgpPeers: [bgpPeer("tor", { peerIP: "192.0.2.1", asNumber: 65100, ...torSecret })], ...parts });
}

/** Blocks of the other nodes, as the metadata watch would index them. */
function index(v: ClusterView, remote: Record<string, string>): BlockIndex {
  const bounds = routeBounds(v.pools, v.bgpConfiguration?.spec?.serviceCIDRs, Object.entries(addresses));
  const i = new BlockIndex(bounds);
  for (const [cidr, node] of Object.entries(remote)) i.upsert(cidr, { node, pool: "default", cidr: parseCidr(cidr) });
  return i;
}

function input(v: ClusterView = view(), remote: Record<string, string> = { "198.18.1.0/26": "node-b" }, password = "one", changedSets?: Set<string>): SyncInput {
  const bgp = planFor(v, "node-a", passwordsFrom({ "bgp/tor": password }));
  const policy = desiredPolicy({
    blocksByOwner: [...index(v, remote).validByOwner()].filter(([n]) => n !== "node-a"),
    address: (n) => addresses[n], learnFrom: bgp.learnFrom, services: v.bgpConfiguration?.spec?.serviceCIDRs ?? [],
    nodeAddresses: ["192.0.2.12", "192.0.2.13"], reflector: bgp.reflector,
  });
  return { bgp, policy, ...(changedSets === undefined ? {} : { changedSets }) };
}

const changing = ["StartBgp", "StopBgp", "AddPeer", "DeletePeer", "AddPath", "DeletePath", "AddPolicy", "DeletePolicy", "DeleteStatement", "AddDefinedSet", "DeleteDefinedSet", "SetPolicyAssignment", "DeletePolicyAssignment", "ResetPeer"];
const entries = (g: FakeGobgpd, set: string) => (g.sets.get(set) ?? []).map((e) => e.ipPrefix).sort();
const statementNames = (g: FakeGobgpd, policy: string) => list(g.policies.get(policy), "statements").map((s) => str(s, "name"));

let gobgpd: FakeGobgpd;
let log: RecordingLogger;
let sync: GobgpSync;

beforeEach(() => {
  gobgpd = new FakeGobgpd();
  log = new RecordingLogger();
  sync = new GobgpSync(gobgpd.client(), log);
});

describe("first apply", () => {
  it("starts BGP, then policies, then paths, then peers", async () => {
    await sync.apply(input());
    expect(gobgpd.transport.requestsOf("StartBgp")).toEqual([{ global: { asn: 64512, routerId: "192.0.2.11", listenPort: 179, listenAddresses: [] } }]);
    const methods = gobgpd.methodsSince(0).filter((m) => changing.includes(m));
    const last = (m: string) => methods.lastIndexOf(m);
    const first = (m: string) => methods.indexOf(m);
    expect(last("AddDefinedSet")).toBeLessThan(first("AddPolicy"));
    expect(last("SetPolicyAssignment")).toBeLessThan(first("AddPath"));
    expect(last("AddPath")).toBeLessThan(first("AddPeer"));
    expect(methods).not.toContain("ResetPeer"); // nothing was there to re-evaluate
  });

  it("imports own paths and each other node's exact blocks via that node only; exports own paths only", async () => {
    await sync.apply(input());
    expect(entries(gobgpd, "petrel-blocks-v4-node-b")).toEqual(["198.18.1.0/26"]);
    expect(gobgpd.sets.get("petrel-blocks-v4-node-b")).toEqual([{ ipPrefix: "198.18.1.0/26", maskLengthMin: 26, maskLengthMax: 26 }]);
    const statements = list(gobgpd.policies.get("petrel-import"), "statements");
    expect(statements.map((s) => field(s, "conditions"))).toEqual([
      { routeType: "ROUTE_TYPE_LOCAL" },
      { prefixSet: { type: "ANY", name: "petrel-blocks-v4-node-b" }, nextHopInList: ["192.0.2.12"] },
    ]);
    expect(gobgpd.transport.requestsOf("SetPolicyAssignment")).toEqual([
      { assignment: { name: "global", direction: "IMPORT", policies: [{ name: "petrel-import" }], defaultAction: "REJECT" } },
      { assignment: { name: "global", direction: "EXPORT", policies: [{ name: "petrel-export-local" }], defaultAction: "REJECT" } },
    ]);
    expect(list(gobgpd.policies.get("petrel-export-local"), "statements").map((s) => field(s, "conditions"))).toEqual([{ routeType: "ROUTE_TYPE_LOCAL" }]);
  });

  it("adds every peer with a fingerprinted description and graceful restart with notification support", async () => {
    const d = await sync.apply(input());
    expect(d).toMatchObject({ peersAdded: 3, pathsAdded: 2 });
    const tor = gobgpd.peers.get("192.0.2.1");
    expect(str(field(tor, "conf"), "description")).toMatch(/^petrel [0-9a-f]{12} GlobalPeer BGPPeer tor$/);
    expect(field(tor, "gracefulRestart")).toMatchObject({ enabled: true, notificationEnabled: true });
    expect([...gobgpd.paths.keys()]).toEqual(["198.18.0.0/26", "198.18.0.64/26"]);
    expect(sync.advertised()).toEqual(["198.18.0.0/26", "198.18.0.64/26"]);
  });
});

describe("later applies", () => {
  it("change nothing when nothing changed, without reading gobgpd again", async () => {
    await sync.apply(input());
    const mark = gobgpd.transport.calls.length;
    expect(await sync.apply(input())).toEqual({ peersAdded: 0, peersRemoved: 0, pathsAdded: 0, pathsRemoved: 0, policyChanges: 0 });
    expect(gobgpd.methodsSince(mark)).toEqual([]);
  });

  it("a new agent on a gobgpd that kept its state reads it and changes nothing", async () => {
    await sync.apply(input());
    const mark = gobgpd.transport.calls.length;
    const fresh = new GobgpSync(gobgpd.client(), log);
    expect(await fresh.apply(input())).toEqual({ peersAdded: 0, peersRemoved: 0, pathsAdded: 0, pathsRemoved: 0, policyChanges: 0 });
    expect(gobgpd.methodsSince(mark).filter((m) => changing.includes(m))).toEqual([]);
  });

  it("a new block costs one set entry and a soft reset of its owner (and of non-mesh peers)", async () => {
    await sync.apply(input());
    const mark = gobgpd.transport.calls.length;
    const set = ownerSetName("node-b", "ipv4-unicast");
    await sync.apply(input(view(), { "198.18.1.0/26": "node-b", "198.18.1.64/26": "node-b" }, "one", new Set([set])));
    expect(gobgpd.methodsSince(mark)).toEqual(["AddDefinedSet", "ResetPeer", "ResetPeer"]);
    expect(gobgpd.requestsSince(mark, "AddDefinedSet")).toEqual([{ definedSet: { definedType: "PREFIX", name: set, prefixes: [{ ipPrefix: "198.18.1.64/26", maskLengthMin: 26, maskLengthMax: 26 }], list: [] } }]);
    expect(gobgpd.requestsSince(mark, "ResetPeer").map((r) => r["address"]).sort()).toEqual(["192.0.2.1", "192.0.2.12"]);
    // A deleted block: its entry goes, the set stays.
    const mark2 = gobgpd.transport.calls.length;
    await sync.apply(input(view(), { "198.18.1.64/26": "node-b" }, "one", new Set([set])));
    expect(gobgpd.methodsSince(mark2)[0]).toBe("DeleteDefinedSet");
    expect(entries(gobgpd, set)).toEqual(["198.18.1.64/26"]);
  });

  it("a node's first block adds a set and a statement; its last block gone removes the statement, then the set", async () => {
    await sync.apply(input());
    await sync.apply(input(view(), { "198.18.1.0/26": "node-b", "198.18.2.0/26": "node-c" }));
    expect(statementNames(gobgpd, "petrel-import")).toHaveLength(3);
    expect(entries(gobgpd, "petrel-blocks-v4-node-c")).toEqual(["198.18.2.0/26"]);
    const mark = gobgpd.transport.calls.length;
    await sync.apply(input(view(), { "198.18.1.0/26": "node-b" }));
    const methods = gobgpd.methodsSince(mark).filter((m) => changing.includes(m));
    expect(methods.indexOf("DeletePolicy")).toBeLessThan(methods.indexOf("DeleteDefinedSet"));
    expect(gobgpd.sets.has("petrel-blocks-v4-node-c")).toBe(false);
    expect(statementNames(gobgpd, "petrel-import")).toHaveLength(2);
    expect(gobgpd.statements.size).toBe(3); // petrel-local, node-b's, and the export one
  });

  it("a learn-from peer renames every owner's statement: the new one is added before the old one goes", async () => {
    await sync.apply(input());
    const before = statementNames(gobgpd, "petrel-import");
    const mark = gobgpd.transport.calls.length;
    await sync.apply(input(view({ bgpPeers: [bgpPeer("tor", { peerIP: "192.0.2.1", asNumber: 65100, learnFrom: true, ...torSecret })] })));
    const methods = gobgpd.methodsSince(mark).filter((m) => changing.includes(m));
    expect(methods.indexOf("AddPolicy")).toBeLessThan(methods.indexOf("DeletePolicy"));
    const after = statementNames(gobgpd, "petrel-import");
    expect(after).toHaveLength(2);
    expect(after).not.toEqual(before);
    expect(field(list(gobgpd.policies.get("petrel-import"), "statements")[1], "conditions")).toMatchObject({ nextHopInList: ["192.0.2.1", "192.0.2.12"] });
  });

  it("re-adds a peer whose password changed, and removes one no longer wanted", async () => {
    await sync.apply(input(view(), undefined, "one"));
    const mark = gobgpd.transport.calls.length;
    expect(await sync.apply(input(view(), undefined, "two"))).toMatchObject({ peersAdded: 1, peersRemoved: 1 });
    expect(gobgpd.methodsSince(mark).indexOf("DeletePeer")).toBeLessThan(gobgpd.methodsSince(mark).indexOf("AddPeer"));
    expect(gobgpd.peers.get("192.0.2.1")).toMatchObject({ conf: { authPassword: "two" } });
    expect(await sync.apply(input(view({ bgpPeers: [] })))).toMatchObject({ peersRemoved: 1 });
    expect([...gobgpd.peers.keys()].sort()).toEqual(["192.0.2.12", "192.0.2.13"]);
  });

  it("withdraws the path of a removed block by its prefix, and re-adds one whose communities changed", async () => {
    await sync.apply(input());
    const mark = gobgpd.transport.calls.length;
    expect(await sync.apply(input(view({ blocks: [ipamBlock("198.18.0.0/26", "node-a", "default")] })))).toMatchObject({ pathsRemoved: 1 });
    expect(decodePath(gobgpd.requestsSince(mark, "DeletePath")[0]?.["path"])?.prefix).toBe("198.18.0.64/26");
    expect(await sync.apply(input(view({ bgpConfiguration: bgpConfiguration({ communities: ["65000:100"] }) })))).toMatchObject({ pathsAdded: 2 });
    expect(decodePath(gobgpd.paths.get("198.18.0.0/26"))?.communities).toEqual(["65000:100"]);
  });

  it("stops and restarts BGP when the AS changes, then configures everything again", async () => {
    await sync.apply(input());
    const mark = gobgpd.transport.calls.length;
    const result = await sync.apply(input(view({ bgpConfiguration: bgpConfiguration({ asNumber: 64600 }) })));
    expect(result).toMatchObject({ peersAdded: 3, pathsAdded: 2 });
    expect(gobgpd.methodsSince(mark).filter((m) => changing.includes(m)).slice(0, 2)).toEqual(["StopBgp", "StartBgp"]);
    expect(gobgpd.policies.has("petrel-import")).toBe(true);
  });
});

describe("a block event while an apply waits for gobgpd", () => {
  it("is sent by the next apply: the applied state records what gobgpd was sent, not the live set", async () => {
    const set = "petrel-blocks-v4-node-b";
    const first = input();
    await sync.apply(first);
    // The policy's sets are the block index's live sets: a block event adds to one while an apply
    // is still awaiting gobgpd, then marks the set changed.
    const live = first.policy.sets.get(set) as Set<string>;
    const client = gobgpd.client();
    let during: (() => void) | undefined;
    const racing = new Proxy(client, {
      get(target, key) {
        if (key === "addDefinedSet") {
          return async (...args: Parameters<GobgpClient["addDefinedSet"]>) => {
            await target.addDefinedSet(...args);
            during?.();
            during = undefined;
          };
        }
        const v: unknown = Reflect.get(target, key);
        return typeof v === "function" ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    });
    sync = new GobgpSync(racing, log);
    await sync.apply(first); // reads gobgpd back
    live.add("198.18.2.0/26");
    during = () => live.add("198.18.3.0/26");
    await sync.apply({ ...first, changedSets: new Set([set]) });
    expect(entries(gobgpd, set)).toEqual(["198.18.1.0/26", "198.18.2.0/26"]); // the racing one not yet
    await sync.apply({ ...first, changedSets: new Set([set]) });
    expect(entries(gobgpd, set)).toEqual(["198.18.1.0/26", "198.18.2.0/26", "198.18.3.0/26"]);
  });
});

describe("route reflector", () => {
  it("exports what its import policy accepts", async () => {
    const rr = input();
    await sync.apply({ ...rr, bgp: { ...rr.bgp, reflector: true }, policy: { ...rr.policy, reflector: true } });
    expect(gobgpd.assignments.get("EXPORT")).toMatchObject({ policies: [{ name: "petrel-import" }], defaultAction: "REJECT" });
    expect(gobgpd.policies.has("petrel-export-local")).toBe(false);
  });
});

describe("after a gobgpd restart, or an older agent's configuration", () => {
  it("reads gobgpd's state after reset() and configures everything again", async () => {
    await sync.apply(input());
    gobgpd.restart();
    sync.reset();
    const mark = gobgpd.transport.calls.length;
    expect(await sync.apply(input())).toMatchObject({ peersAdded: 3, pathsAdded: 2 });
    expect(gobgpd.requestsSince(mark, "StartBgp")).toHaveLength(1);
    expect([...gobgpd.policies.keys()].sort()).toEqual(["petrel-export-local", "petrel-import"]);
    expect(gobgpd.assignments.size).toBe(2);
  });

  it("replaces the previous agent's pool-range policies", async () => {
    // What the agent before route trust left in a gobgpd that kept running.
    const client = gobgpd.client();
    await client.startBgp({ asn: 64512, routerId: "192.0.2.11", listenPort: 179 });
    await client.addDefinedSet({ type: "prefix", name: "petrel-import-v4", prefixes: [{ prefix: "198.18.0.0/16", maskLengthMin: 26, maskLengthMax: 32 }] });
    await client.addPolicy({ name: "petrel-import", statements: [{ name: "petrel-import-ipv4-unicast", conditions: { prefixSet: { name: "petrel-import-v4" } }, action: "accept" }] });
    await client.addPolicy({ name: "petrel-export", statements: [{ name: "petrel-export-ipv4-unicast", conditions: { prefixSet: { name: "petrel-import-v4" } }, action: "accept" }] });
    await client.setPolicyAssignment({ direction: "import", policies: ["petrel-import"], defaultAction: "reject" });
    await client.setPolicyAssignment({ direction: "export", policies: ["petrel-export"], defaultAction: "reject" });
    await sync.apply(input());
    expect([...gobgpd.policies.keys()].sort()).toEqual(["petrel-export-local", "petrel-import"]);
    expect(statementNames(gobgpd, "petrel-import")[0]).toBe("petrel-local");
    expect([...gobgpd.sets.keys()]).toEqual(["petrel-blocks-v4-node-b"]);
    expect(gobgpd.assignments.get("EXPORT")).toMatchObject({ policies: [{ name: "petrel-export-local" }] });
  });
});

test("peerFingerprint ignores Petrel's own labels", () => {
  const p = { kind: "NodeMesh" as const, source: "Node b", address: "192.0.2.12", asn: 64512, description: "x" };
  expect(peerFingerprint(p)).toBe(peerFingerprint({ ...p, kind: "NodePeer", source: "BGPPeer y", description: "y" }));
  expect(peerFingerprint(p)).not.toBe(peerFingerprint({ ...p, asn: 64513 }));
});

// Regression (was a bug, fixed): paths keyed by their text as given flapped when a prefix was not
// written canonically. Expected: the second apply changes nothing.
test("keeps a path whose prefix is not written canonically", async () => {
  const base = input();
  const d: DesiredBgp = { ...base.bgp, paths: [{ prefix: "2001:db8:0:0::/112", nextHop: "2001:db8::11", communities: [], largeCommunities: [] }] };
  await sync.apply({ ...base, bgp: d });
  expect([...gobgpd.paths.keys()]).toEqual(["2001:db8::/112"]);
  expect(await sync.apply({ ...base, bgp: d })).toMatchObject({ pathsAdded: 0, pathsRemoved: 0 });
  expect([...gobgpd.paths.keys()]).toEqual(["2001:db8::/112"]);
});
