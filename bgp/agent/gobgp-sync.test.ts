import { GobgpClient } from "../gobgp/client.ts";
import type { ClusterView } from "./cluster-view.ts";
import { desiredBgp, type DesiredBgp } from "./desired-bgp.ts";
import { GobgpSync, peerFingerprint } from "./gobgp-sync.ts";
import { field, str } from "../gobgp/narrow.ts";
import { decodePath } from "../gobgp/path-codec.ts";
import { FakeGobgpd, RecordingLogger } from "./testing/fake-gobgpd.ts";
import { bgpConfiguration, bgpPeer, ipamBlock, ipPool, passwordsFrom, threeNodeCluster } from "./testing/fixtures.ts";

const torSecret = { password: { secretKeyRef: { name: "bgp", key: "tor" } } };

function view(parts: Partial<ClusterView> = {}): ClusterView {
  return threeNodeCluster({
    bgpPeers: [bgpPeer("tor", { peerIP: "192.0.2.1", asNumber: 65100, ...torSecret })],
    ...parts,
  });
}

function desired(v: ClusterView = view(), password = "one"): DesiredBgp {
  return desiredBgp(v, "node-a", passwordsFrom({ "bgp/tor": password }));
}

const changing = ["StartBgp", "StopBgp", "AddPeer", "DeletePeer", "AddPath", "DeletePath", "AddPolicy", "DeletePolicy", "SetPolicyAssignment", "DeletePolicyAssignment", "ResetPeer"];

let gobgpd: FakeGobgpd;
let log: RecordingLogger;
let sync: GobgpSync;

beforeEach(() => {
  gobgpd = new FakeGobgpd();
  log = new RecordingLogger();
  sync = new GobgpSync(new GobgpClient(gobgpd.transport), log);
});

describe("first apply", () => {
  it("starts BGP with the desired global settings", async () => {
    await sync.apply(desired());
    expect(gobgpd.transport.requestsOf("StartBgp")).toEqual([{ global: { asn: 64512, routerId: "192.0.2.11", listenPort: 179, listenAddresses: [] } }]);
    expect(gobgpd.transport.requestsOf("StopBgp")).toEqual([]);
  });

  it("sets import and export policies that accept the prefix sets and reject the rest", async () => {
    await sync.apply(desired());
    expect(gobgpd.sets).toEqual(new Map([
      ["petrel-import-v4", [{ ipPrefix: "198.18.0.0/16", maskLengthMin: 26, maskLengthMax: 32 }]],
      ["petrel-export-v4", [
        { ipPrefix: "198.18.0.0/26", maskLengthMin: 26, maskLengthMax: 26 },
        { ipPrefix: "198.18.0.64/26", maskLengthMin: 26, maskLengthMax: 26 },
      ]],
    ]));
    expect([...gobgpd.policies.keys()].sort()).toEqual(["petrel-export", "petrel-import"]);
    expect(gobgpd.policies.get("petrel-import")).toMatchObject({
      statements: [{ name: "petrel-import-ipv4-unicast", conditions: { prefixSet: { name: "petrel-import-v4" } }, actions: { routeAction: "ACCEPT" } }],
    });
    expect(gobgpd.transport.requestsOf("SetPolicyAssignment")).toEqual([
      { assignment: { name: "global", direction: "IMPORT", policies: [{ name: "petrel-import" }], defaultAction: "REJECT" } },
      { assignment: { name: "global", direction: "EXPORT", policies: [{ name: "petrel-export" }], defaultAction: "REJECT" } },
    ]);
    // Sets first, then each policy before the assignment that uses it.
    const methods = gobgpd.methodsSince(0);
    expect(methods.lastIndexOf("AddDefinedSet")).toBeLessThan(methods.indexOf("AddPolicy"));
    expect(methods.filter((m) => m === "AddPolicy" || m === "SetPolicyAssignment")).toEqual(["AddPolicy", "SetPolicyAssignment", "AddPolicy", "SetPolicyAssignment"]);
  });

  it("adds every peer with a fingerprinted description, and the node's paths", async () => {
    const d = desired();
    const result = await sync.apply(d);
    expect(result).toEqual({ peersAdded: 3, peersRemoved: 0, pathsAdded: 2, pathsRemoved: 0 });
    const descriptions = new Map([...gobgpd.peers].map(([address, p]) => [address, str(field(p, "conf"), "description")]));
    const fp = (address: string) => {
      const p = d.peers.find((x) => x.address === address);
      if (p === undefined) throw new Error(`no desired peer ${address}`);
      return peerFingerprint(p);
    };
    expect(descriptions).toEqual(new Map([
      ["192.0.2.1", `petrel ${fp("192.0.2.1")} GlobalPeer BGPPeer tor`],
      ["192.0.2.12", `petrel ${fp("192.0.2.12")} NodeMesh Node node-b`],
      ["192.0.2.13", `petrel ${fp("192.0.2.13")} NodeMesh Node node-c`],
    ]));
    expect(fp("192.0.2.1")).toMatch(/^[0-9a-f]{12}$/);
    expect(gobgpd.peers.get("192.0.2.1")).toMatchObject({
      conf: { peerAsn: 65100, authPassword: "one" },
      afiSafis: [{ config: { family: { afi: "AFI_IP", safi: "SAFI_UNICAST" }, enabled: true } }],
    });
    expect([...gobgpd.paths.keys()]).toEqual(["198.18.0.0/26", "198.18.0.64/26"]);
  });
});

describe("a second apply", () => {
  it("changes nothing when nothing changed", async () => {
    await sync.apply(desired());
    const mark = gobgpd.transport.calls.length;
    const result = await sync.apply(desired());
    expect(result).toEqual({ peersAdded: 0, peersRemoved: 0, pathsAdded: 0, pathsRemoved: 0 });
    expect(gobgpd.methodsSince(mark).filter((m) => changing.includes(m))).toEqual([]);
  });

  it("also changes nothing for a new agent talking to a gobgpd that kept its state", async () => {
    await sync.apply(desired());
    const mark = gobgpd.transport.calls.length;
    const fresh = new GobgpSync(new GobgpClient(gobgpd.transport), log);
    expect(await fresh.apply(desired())).toEqual({ peersAdded: 0, peersRemoved: 0, pathsAdded: 0, pathsRemoved: 0 });
    const changed = gobgpd.methodsSince(mark).filter((m) => changing.includes(m));
    // It rebuilds its policies once (it cannot know their shape), but no peer or path.
    expect(changed.filter((m) => ["AddPeer", "DeletePeer", "AddPath", "DeletePath", "StartBgp", "StopBgp"].includes(m))).toEqual([]);
  });

  it("re-adds a peer whose password changed", async () => {
    await sync.apply(desired(view(), "one"));
    const mark = gobgpd.transport.calls.length;
    const result = await sync.apply(desired(view(), "two"));
    expect(result).toEqual({ peersAdded: 1, peersRemoved: 1, pathsAdded: 0, pathsRemoved: 0 });
    expect(gobgpd.requestsSince(mark, "DeletePeer")).toEqual([{ address: "192.0.2.1" }]);
    expect(gobgpd.requestsSince(mark, "AddPeer")).toHaveLength(1);
    expect(gobgpd.peers.get("192.0.2.1")).toMatchObject({ conf: { authPassword: "two" } });
    expect(gobgpd.methodsSince(mark).indexOf("DeletePeer")).toBeLessThan(gobgpd.methodsSince(mark).indexOf("AddPeer"));
  });

  it("removes a peer that is no longer wanted", async () => {
    await sync.apply(desired());
    const result = await sync.apply(desired(view({ bgpPeers: [] })));
    expect(result).toEqual({ peersAdded: 0, peersRemoved: 1, pathsAdded: 0, pathsRemoved: 0 });
    expect([...gobgpd.peers.keys()].sort()).toEqual(["192.0.2.12", "192.0.2.13"]);
  });

  it("withdraws the path of a removed block and narrows the export set", async () => {
    await sync.apply(desired());
    const mark = gobgpd.transport.calls.length;
    const result = await sync.apply(desired(view({ blocks: [ipamBlock("198.18.0.0/26", "node-a", "default")] })));
    expect(result).toEqual({ peersAdded: 0, peersRemoved: 0, pathsAdded: 0, pathsRemoved: 1 });
    expect(gobgpd.requestsSince(mark, "DeletePath")).toHaveLength(1);
    expect([...gobgpd.paths.keys()]).toEqual(["198.18.0.0/26"]);
    expect(gobgpd.sets.get("petrel-export-v4")).toEqual([{ ipPrefix: "198.18.0.0/26", maskLengthMin: 26, maskLengthMax: 26 }]);
  });

  it("re-adds a path whose communities changed", async () => {
    await sync.apply(desired());
    const result = await sync.apply(desired(view({ bgpConfiguration: bgpConfiguration({ communities: ["65000:100"] }) })));
    expect(result).toEqual({ peersAdded: 0, peersRemoved: 0, pathsAdded: 2, pathsRemoved: 0 });
    expect(decodePath(gobgpd.paths.get("198.18.0.0/26"))?.communities).toEqual(["65000:100"]);
  });

  it("stops and restarts BGP when the AS changes, then configures everything again", async () => {
    await sync.apply(desired());
    const mark = gobgpd.transport.calls.length;
    const result = await sync.apply(desired(view({ bgpConfiguration: bgpConfiguration({ asNumber: 65010 }) })));
    const methods = gobgpd.methodsSince(mark);
    expect(methods.indexOf("StopBgp")).toBeGreaterThanOrEqual(0);
    expect(methods.indexOf("StopBgp")).toBeLessThan(methods.indexOf("StartBgp"));
    expect(gobgpd.requestsSince(mark, "StartBgp")).toEqual([{ global: { asn: 65010, routerId: "192.0.2.11", listenPort: 179, listenAddresses: [] } }]);
    expect(gobgpd.requestsSince(mark, "AddPolicy")).toHaveLength(2);
    expect(gobgpd.requestsSince(mark, "SetPolicyAssignment")).toHaveLength(2);
    expect(result).toEqual({ peersAdded: 3, peersRemoved: 0, pathsAdded: 2, pathsRemoved: 0 });
    expect(log.lines.filter((l) => l.level === "warn").map((l) => l.message)).toEqual(["BGP global settings changed; restarting BGP in gobgpd"]);
  });

  it("soft-resets Established sessions inward when the pools change", async () => {
    await sync.apply(desired());
    const mark = gobgpd.transport.calls.length;
    const twoPools = view({ pools: [ipPool("default", "198.18.0.0/16"), ipPool("more", "198.19.0.0/16", { blockSize: 28 })] });
    await sync.apply(desired(twoPools));
    expect(gobgpd.sets.get("petrel-import-v4")).toEqual([
      { ipPrefix: "198.18.0.0/16", maskLengthMin: 26, maskLengthMax: 32 },
      { ipPrefix: "198.19.0.0/16", maskLengthMin: 28, maskLengthMax: 32 },
    ]);
    expect(gobgpd.requestsSince(mark, "ResetPeer")).toEqual([
      { address: "192.0.2.1", soft: true, direction: "IN" },
      { address: "192.0.2.12", soft: true, direction: "IN" },
      { address: "192.0.2.13", soft: true, direction: "IN" },
    ]);
    // The policies themselves stay (same families): no rebuild.
    expect(gobgpd.requestsSince(mark, "AddPolicy")).toEqual([]);
  });

  it("does not reset sessions that are not Established", async () => {
    gobgpd.sessionState = "ACTIVE";
    await sync.apply(desired());
    const mark = gobgpd.transport.calls.length;
    await sync.apply(desired(view({ pools: [ipPool("default", "198.18.0.0/16"), ipPool("more", "198.19.0.0/16")] })));
    expect(gobgpd.requestsSince(mark, "ResetPeer")).toEqual([]);
  });

  // Regression (was a bug, fixed): docs/agent.md says "When pools change, the prefix sets are replaced and
  // every session gets a soft reset-in", because gobgpd applies a changed import policy only to
  // routes that arrive later. When the change also changes which families have prefixes (the
  // first pool of a cluster, or the first IPv6 pool), the policies are rebuilt and the reset is
  // skipped (`shape === this.#policyShape` is false), so blocks received while no pool allowed
  // them stay rejected until their owner re-sends them. Input: apply with no pools, then with
  // pool 198.18.0.0/16, all sessions Established. Expected: ResetPeer soft IN for each peer.
  // Actual: no ResetPeer.
  test("soft-resets sessions when the first pool appears (policy shape change)", async () => {
    await sync.apply(desired(view({ pools: [], blocks: [] })));
    const mark = gobgpd.transport.calls.length;
    await sync.apply(desired(view()));
    expect(gobgpd.requestsSince(mark, "ResetPeer")).toHaveLength(3);
  });
});

describe("policy shape", () => {
  it("builds statements only for families that have prefixes, and rebuilds when that changes", async () => {
    await sync.apply(desired(view({ pools: [], blocks: [] })));
    expect(gobgpd.policies.get("petrel-import")).toMatchObject({ statements: [] });
    expect(gobgpd.sets.size).toBe(0);
    const mark = gobgpd.transport.calls.length;
    const dual = view({
      pools: [ipPool("default", "198.18.0.0/16"), ipPool("v6", "2001:db8:1::/48")],
      blocks: [ipamBlock("198.18.0.0/26", "node-a", "default")],
    });
    await sync.apply(desired(dual));
    const methods = gobgpd.methodsSince(mark);
    // Assignments go before the policies they use, and the policies before their sets.
    expect(methods.indexOf("DeletePolicyAssignment")).toBeLessThan(methods.indexOf("DeletePolicy"));
    expect(gobgpd.policies.get("petrel-import")).toMatchObject({
      statements: [{ name: "petrel-import-ipv4-unicast" }, { name: "petrel-import-ipv6-unicast" }],
    });
    expect(gobgpd.policies.get("petrel-export")).toMatchObject({ statements: [{ name: "petrel-export-ipv4-unicast" }] });
    expect([...gobgpd.sets.keys()].sort()).toEqual(["petrel-export-v4", "petrel-import-v4", "petrel-import-v6"]);
  });

  it("deletes the set of a family that no longer has prefixes", async () => {
    const dual = view({ pools: [ipPool("default", "198.18.0.0/16"), ipPool("v6", "2001:db8:1::/48")] });
    await sync.apply(desired(dual));
    expect(gobgpd.sets.has("petrel-import-v6")).toBe(true);
    await sync.apply(desired(view()));
    expect(gobgpd.sets.has("petrel-import-v6")).toBe(false);
    expect(gobgpd.policies.get("petrel-import")).toMatchObject({ statements: [{ name: "petrel-import-ipv4-unicast" }] });
  });
});

describe("after a gobgpd restart", () => {
  it("configures everything again", async () => {
    await sync.apply(desired());
    gobgpd.restart();
    sync.reset();
    const mark = gobgpd.transport.calls.length;
    const result = await sync.apply(desired());
    expect(result).toEqual({ peersAdded: 3, peersRemoved: 0, pathsAdded: 2, pathsRemoved: 0 });
    expect(gobgpd.requestsSince(mark, "StartBgp")).toHaveLength(1);
    expect(gobgpd.requestsSince(mark, "StopBgp")).toEqual([]);
    expect([...gobgpd.policies.keys()].sort()).toEqual(["petrel-export", "petrel-import"]);
    expect(gobgpd.assignments.size).toBe(2);
  });

  it("configures everything again even without reset()", async () => {
    await sync.apply(desired());
    gobgpd.restart();
    await sync.apply(desired());
    expect([...gobgpd.policies.keys()].sort()).toEqual(["petrel-export", "petrel-import"]);
    expect(gobgpd.sets.has("petrel-import-v4")).toBe(true);
  });
});

describe("advertised", () => {
  it("lists the local paths of both families", async () => {
    await sync.apply(desired());
    expect(await sync.advertised()).toEqual(["198.18.0.0/26", "198.18.0.64/26"]);
  });
});

// Regression (was a bug, fixed): #applyPaths keyed gobgpd's local paths by their canonical prefix but
// the desired paths by their text as given. With a non-canonical prefix (possible for an IPv6
// service CIDR: the CRD checks `cidr(self).masked() == cidr(self)`, not the spelling) every
// apply after the first re-adds the path and then withdraws it as "no longer wanted", so the
// prefix flaps: advertised after one apply, withdrawn after the next. Not reachable through
// desiredBgp today, because IPv6 paths get the node's IPv4 address as next hop and fail earlier.
// Input: a DesiredBgp whose only path is 2001:db8:0:0::/112 via 2001:db8::11, applied twice.
// Expected: the second apply changes nothing and gobgpd keeps 2001:db8::/112. Actual: the second
// apply returns pathsAdded 1, pathsRemoved 1, and gobgpd ends with no path.
test("keeps a path whose prefix is not written canonically", async () => {
  const d: DesiredBgp = { ...desired(), paths: [{ prefix: "2001:db8:0:0::/112", nextHop: "2001:db8::11", communities: [], largeCommunities: [] }] };
  await sync.apply(d);
  expect([...gobgpd.paths.keys()]).toEqual(["2001:db8::/112"]);
  const second = await sync.apply(d);
  expect([...gobgpd.paths.keys()]).toEqual(["2001:db8::/112"]);
  expect(second).toMatchObject({ pathsAdded: 0, pathsRemoved: 0 });
});
