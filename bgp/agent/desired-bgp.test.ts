// desiredBgp: global settings and peers (mesh, BGPPeers, route reflectors, timers).
import type { ClusterView } from "./cluster-view.ts";
import { nodeAsn, peerApplies, type DesiredPeer } from "./desired-bgp.ts";
import { bgpConfiguration, bgpPeer, noPasswords, nodeView, passwordsFrom, petrelNode, planFor, threeNodeCluster } from "./testing/fixtures.ts";

const defaultTimers = { holdTime: 90, keepaliveInterval: 30 };
const defaultGr = { enabled: true, restartTime: 120, notificationEnabled: true };

function peerAt(peers: readonly DesiredPeer[], address: string): DesiredPeer | undefined {
  return peers.find((p) => p.address === address);
}

describe("global settings", () => {
  it("takes the AS from the PetrelNode, else BGPConfiguration, else 64512", () => {
    const base = threeNodeCluster();
    expect(planFor(base, "node-a", noPasswords).asn).toBe(64512);
    const withConfig = { ...base, bgpConfiguration: bgpConfiguration({ asNumber: 65010 }) };
    expect(planFor(withConfig, "node-a", noPasswords).asn).toBe(65010);
    const withNode: ClusterView = {
      ...withConfig,
      petrelNodes: [petrelNode("node-a", { asNumber: 65020 }), petrelNode("node-b"), petrelNode("node-c")],
    };
    expect(planFor(withNode, "node-a", noPasswords).asn).toBe(65020);
    expect(nodeAsn(withNode, "node-b")).toBe(65010);
    // A PetrelNode with a spec but no asNumber falls through to the cluster AS.
    const emptySpec = { ...withConfig, petrelNodes: [petrelNode("node-a", {})] };
    expect(planFor(emptySpec, "node-a", noPasswords).asn).toBe(65010);
  });

  it("takes the router ID from the PetrelNode, else the node's InternalIP", () => {
    expect(planFor(threeNodeCluster(), "node-a", noPasswords).routerId).toBe("192.0.2.11");
    const view = threeNodeCluster({ petrelNodes: [petrelNode("node-a", { routerID: "10.255.0.1" }), petrelNode("node-b")] });
    expect(planFor(view, "node-a", noPasswords).routerId).toBe("10.255.0.1");
  });

  it("reports the node address and listen port (default 179)", () => {
    const d = planFor(threeNodeCluster(), "node-a", noPasswords);
    expect(d.nodeAddress).toBe("192.0.2.11");
    expect(d.listenPort).toBe(179);
    expect(d.problems).toEqual([]);
    const view = threeNodeCluster({ bgpConfiguration: bgpConfiguration({ listenPort: 1790 }) });
    expect(planFor(view, "node-a", noPasswords).listenPort).toBe(1790);
  });

  it("reports a missing node, and configures no peers or paths for it", () => {
    const d = planFor(threeNodeCluster(), "node-x", noPasswords);
    expect(d.problems).toHaveLength(1);
    expect(d.problems[0]).toMatch(/Node node-x does not exist/);
    expect(d.nodeAddress).toBe("");
    expect(d.routerId).toBe("0.0.0.0");
    expect(d.peers).toEqual([]);
    expect(d.paths).toEqual([]);
    expect(d.ownBlocks).toEqual([]);
  });

  it("reports a node without an address, and originates no paths", () => {
    const view = threeNodeCluster({
      nodes: [nodeView("node-a", undefined), nodeView("node-b", "192.0.2.12")],
    });
    const d = planFor(view, "node-a", noPasswords);
    expect(d.problems).toHaveLength(1);
    expect(d.problems[0]).toMatch(/Node node-a has no InternalIP address/);
    expect(d.nodeAddress).toBe("");
    expect(d.routerId).toBe("0.0.0.0");
    expect(d.paths).toEqual([]);
    expect(d.ownBlocks).toEqual([]);
  });

  it("uses the PetrelNode's router ID even when the node has no address", () => {
    const view = threeNodeCluster({
      nodes: [nodeView("node-a", undefined)],
      petrelNodes: [petrelNode("node-a", { routerID: "10.255.0.1" })],
    });
    expect(planFor(view, "node-a", noPasswords).routerId).toBe("10.255.0.1");
  });
});

describe("full mesh", () => {
  it("peers with every other Petrel node that has an address, never with itself", () => {
    const view = threeNodeCluster({
      nodes: [
        nodeView("node-a", "192.0.2.11"),
        nodeView("node-b", "192.0.2.12"),
        nodeView("node-c", "192.0.2.13"),
        nodeView("plain", "192.0.2.14"), // no PetrelNode
        nodeView("node-e", undefined), // no address yet
      ],
      petrelNodes: [petrelNode("node-a"), petrelNode("node-b"), petrelNode("node-c"), petrelNode("node-e")],
    });
    const d = planFor(view, "node-a", noPasswords);
    expect(d.peers).toEqual([
      { kind: "NodeMesh", source: "Node node-b", address: "192.0.2.12", asn: 64512, description: "NodeMesh node-b", timers: defaultTimers, gracefulRestart: defaultGr },
      { kind: "NodeMesh", source: "Node node-c", address: "192.0.2.13", asn: 64512, description: "NodeMesh node-c", timers: defaultTimers, gracefulRestart: defaultGr },
    ]);
  });

  it("uses each mesh peer's own AS", () => {
    const view = threeNodeCluster({
      bgpConfiguration: bgpConfiguration({ asNumber: 65000 }),
      petrelNodes: [petrelNode("node-a"), petrelNode("node-b", { asNumber: 65002 }), petrelNode("node-c")],
    });
    const d = planFor(view, "node-a", noPasswords);
    expect(d.peers.map((p) => [p.address, p.asn])).toEqual([["192.0.2.12", 65002], ["192.0.2.13", 65000]]);
  });

  it("is off with nodeToNodeMesh: false", () => {
    const view = threeNodeCluster({ bgpConfiguration: bgpConfiguration({ nodeToNodeMesh: false }) });
    expect(planFor(view, "node-a", noPasswords).peers).toEqual([]);
  });

  it("does not peer with a node that shares this node's address", () => {
    const view = threeNodeCluster({ nodes: [nodeView("node-a", "192.0.2.11"), nodeView("node-b", "192.0.2.11")] });
    expect(planFor(view, "node-a", noPasswords).peers).toEqual([]);
  });
});

describe("BGPPeer", () => {
  const tor = (name: string, spec: Parameters<typeof bgpPeer>[1]) => bgpPeer(name, { peerIP: "192.0.2.1", asNumber: 65100, ...spec });

  it("applies per spec.node, spec.nodeSelector, or to every node", () => {
    const a = nodeView("node-a", "192.0.2.11", { rack: "r1" });
    expect(peerApplies(tor("p", { node: "node-a" }), a)).toBe(true);
    expect(peerApplies(tor("p", { node: "node-b" }), a)).toBe(false);
    expect(peerApplies(tor("p", { nodeSelector: { matchLabels: { rack: "r1" } } }), a)).toBe(true);
    expect(peerApplies(tor("p", { nodeSelector: { matchLabels: { rack: "r2" } } }), a)).toBe(false);
    expect(peerApplies(tor("p", {}), a)).toBe(true);
    // spec.node wins over a selector that would match.
    expect(peerApplies(tor("p", { node: "node-b", nodeSelector: {} }), a)).toBe(false);
  });

  it("configures an external peer with kind NodePeer or GlobalPeer", () => {
    const mesh = bgpConfiguration({ nodeToNodeMesh: false });
    const byNode = planFor(threeNodeCluster({ bgpConfiguration: mesh, bgpPeers: [tor("tor-a", { node: "node-a" })] }), "node-a", noPasswords);
    expect(byNode.peers).toEqual([{
      kind: "NodePeer", source: "BGPPeer tor-a", address: "192.0.2.1", asn: 65100, description: "BGPPeer tor-a",
      timers: defaultTimers, gracefulRestart: defaultGr,
    }]);
    const bySelector = planFor(
      threeNodeCluster({ bgpConfiguration: mesh, bgpPeers: [tor("tor-r1", { nodeSelector: { matchLabels: { rack: "r1" } } })] }),
      "node-a", noPasswords,
    );
    expect(bySelector.peers.map((p) => p.kind)).toEqual(["NodePeer"]);
    const global = planFor(threeNodeCluster({ bgpConfiguration: mesh, bgpPeers: [tor("tor", {})] }), "node-a", noPasswords);
    expect(global.peers.map((p) => [p.kind, p.source])).toEqual([["GlobalPeer", "BGPPeer tor"]]);
  });

  it("leaves out BGPPeers that do not select this node", () => {
    const view = threeNodeCluster({
      bgpConfiguration: bgpConfiguration({ nodeToNodeMesh: false }),
      bgpPeers: [tor("tor-b", { node: "node-b" }), tor("tor-r2", { nodeSelector: { matchLabels: { rack: "r2" } } })],
    });
    expect(planFor(view, "node-a", noPasswords).peers).toEqual([]);
    expect(planFor(view, "node-c", noPasswords).peers.map((p) => p.source)).toEqual(["BGPPeer tor-r2"]);
  });

  it("ignores a BGPPeer with peerIP but no asNumber (and no peerSelector)", () => {
    const view = threeNodeCluster({
      bgpConfiguration: bgpConfiguration({ nodeToNodeMesh: false }),
      bgpPeers: [bgpPeer("half", { peerIP: "192.0.2.1" })],
    });
    const d = planFor(view, "node-a", noPasswords);
    expect(d.peers).toEqual([]);
    expect(d.problems).toEqual([]);
  });

  it("sets the password from the Secret and the multihop TTL", () => {
    const view = threeNodeCluster({
      bgpPeers: [tor("tor", { password: { secretKeyRef: { name: "bgp", key: "tor" } }, multihop: { ttl: 3 } })],
    });
    const d = planFor(view, "node-a", passwordsFrom({ "bgp/tor": "s3cret" }));
    expect(peerAt(d.peers, "192.0.2.1")).toMatchObject({ password: "s3cret", ebgpMultihopTtl: 3 });
    expect(d.problems).toEqual([]);
    // Without the options, neither key is present.
    const plain = planFor(threeNodeCluster({ bgpPeers: [tor("tor", {})] }), "node-a", noPasswords);
    expect(peerAt(plain.peers, "192.0.2.1")).not.toHaveProperty("password");
    expect(peerAt(plain.peers, "192.0.2.1")).not.toHaveProperty("ebgpMultihopTtl");
  });

  it("reports a missing Secret key and configures no session for that peer", () => {
    const view = threeNodeCluster({
      bgpPeers: [tor("tor", { password: { secretKeyRef: { name: "bgp", key: "tor" } } }), bgpPeer("other", { peerIP: "192.0.2.2", asNumber: 65100 })],
    });
    const d = planFor(view, "node-a", passwordsFrom({ "bgp/other-key": "x" }));
    expect(peerAt(d.peers, "192.0.2.1")).toBeUndefined();
    expect(peerAt(d.peers, "192.0.2.2")).toBeDefined();
    expect(d.problems).toHaveLength(1);
    expect(d.problems[0]).toMatch(/^BGPPeer tor: Secret bgp has no key tor/);
  });

  it("never peers with this node's own address", () => {
    const view = threeNodeCluster({ bgpPeers: [bgpPeer("self", { peerIP: "192.0.2.11", asNumber: 65100 })] });
    expect(peerAt(planFor(view, "node-a", noPasswords).peers, "192.0.2.11")).toBeUndefined();
  });

  it("wins over the mesh for the same address, and the first by name wins between BGPPeers", () => {
    const view = threeNodeCluster({
      bgpPeers: [
        bgpPeer("z-late", { peerIP: "192.0.2.12", asNumber: 65200 }),
        bgpPeer("a-early", { peerIP: "192.0.2.12", asNumber: 65100, password: { secretKeyRef: { name: "bgp", key: "b" } } }),
      ],
    });
    const d = planFor(view, "node-a", passwordsFrom({ "bgp/b": "pw" }));
    expect(d.peers.filter((p) => p.address === "192.0.2.12")).toHaveLength(1);
    expect(peerAt(d.peers, "192.0.2.12")).toMatchObject({ kind: "GlobalPeer", source: "BGPPeer a-early", asn: 65100, password: "pw" });
    expect(peerAt(d.peers, "192.0.2.13")).toMatchObject({ kind: "NodeMesh" });
  });

  it("sorts the peers by address", () => {
    const view = threeNodeCluster({ bgpPeers: [bgpPeer("tor", { peerIP: "192.0.2.1", asNumber: 65100 })] });
    expect(planFor(view, "node-a", noPasswords).peers.map((p) => p.address)).toEqual(["192.0.2.1", "192.0.2.12", "192.0.2.13"]);
  });
});

describe("peerSelector and route reflectors", () => {
  // node-c is the route reflector (cluster ID 10.0.0.1); node-a and node-b peer with it only.
  function rrCluster(): ClusterView {
    return threeNodeCluster({
      nodes: [
        nodeView("node-a", "192.0.2.11", { rack: "r1" }),
        nodeView("node-b", "192.0.2.12", { rack: "r1" }),
        nodeView("node-c", "192.0.2.13", { rack: "r2", "petrel.dev/route-reflector": "true" }),
      ],
      petrelNodes: [petrelNode("node-a"), petrelNode("node-b", { asNumber: 65002 }), petrelNode("node-c", { routeReflectorClusterID: "10.0.0.1" })],
      bgpConfiguration: bgpConfiguration({ nodeToNodeMesh: false }),
      bgpPeers: [
        // Every node peers with the reflectors ...
        bgpPeer("to-rr", { peerSelector: { matchLabels: { "petrel.dev/route-reflector": "true" } } }),
        // ... and the reflectors peer with every node.
        bgpPeer("rr-to-all", { nodeSelector: { matchLabels: { "petrel.dev/route-reflector": "true" } }, peerSelector: {} }),
      ],
    });
  }

  it("peers with the selected Petrel nodes at their addresses, with their AS", () => {
    const d = planFor(rrCluster(), "node-a", noPasswords);
    expect(d.peers).toEqual([{
      kind: "GlobalPeer", source: "BGPPeer to-rr", address: "192.0.2.13", asn: 64512, description: "GlobalPeer node-c",
      timers: defaultTimers, gracefulRestart: defaultGr,
    }]);
  });

  it("makes a route reflector treat the nodes outside its cluster as clients", () => {
    const d = planFor(rrCluster(), "node-c", noPasswords);
    expect(d.peers).toEqual([
      {
        kind: "NodePeer", source: "BGPPeer rr-to-all", address: "192.0.2.11", asn: 64512, description: "NodePeer node-a",
        timers: defaultTimers, gracefulRestart: defaultGr, routeReflector: { client: true, clusterId: "10.0.0.1" },
      },
      {
        kind: "NodePeer", source: "BGPPeer rr-to-all", address: "192.0.2.12", asn: 65002, description: "NodePeer node-b",
        timers: defaultTimers, gracefulRestart: defaultGr, routeReflector: { client: true, clusterId: "10.0.0.1" },
      },
    ]);
  });

  it("does not make reflectors of the same cluster clients of each other", () => {
    const view = rrCluster();
    const twoRr: ClusterView = {
      ...view,
      nodes: view.nodes.map((n) => (n.name === "node-b" ? nodeView("node-b", "192.0.2.12", { "petrel.dev/route-reflector": "true" }) : n)),
      petrelNodes: [petrelNode("node-a"), petrelNode("node-b", { routeReflectorClusterID: "10.0.0.1" }), petrelNode("node-c", { routeReflectorClusterID: "10.0.0.1" })],
    };
    const d = planFor(twoRr, "node-c", noPasswords);
    expect(peerAt(d.peers, "192.0.2.11")?.routeReflector).toEqual({ client: true, clusterId: "10.0.0.1" });
    expect(peerAt(d.peers, "192.0.2.12")).toBeDefined();
    expect(peerAt(d.peers, "192.0.2.12")).not.toHaveProperty("routeReflector");
  });

  it("marks mesh peers as clients on a route reflector too", () => {
    const view = threeNodeCluster({
      petrelNodes: [petrelNode("node-a", { routeReflectorClusterID: "10.0.0.1" }), petrelNode("node-b"), petrelNode("node-c")],
    });
    const d = planFor(view, "node-a", noPasswords);
    expect(d.peers.map((p) => p.routeReflector)).toEqual([{ client: true, clusterId: "10.0.0.1" }, { client: true, clusterId: "10.0.0.1" }]);
  });

  // Regression (was a bug, fixed): the CRD and DESIGN.md say peerSelector peers with the selected *Petrel*
  // nodes, and the mesh only takes nodes that have a PetrelNode, but the peerSelector loop
  // takes every matching Node. Input: node "plain" (192.0.2.14) has no PetrelNode and matches
  // `peerSelector: {}`. Expected: no peer 192.0.2.14. Actual: a NodePeer for 192.0.2.14.
  test("peers only with selected nodes that are Petrel nodes", () => {
    const view = threeNodeCluster({
      nodes: [nodeView("node-a", "192.0.2.11"), nodeView("plain", "192.0.2.14")],
      petrelNodes: [petrelNode("node-a", { routeReflectorClusterID: "10.0.0.1" })],
      bgpConfiguration: bgpConfiguration({ nodeToNodeMesh: false }),
      bgpPeers: [bgpPeer("rr-to-all", { node: "node-a", peerSelector: {} })],
    });
    expect(planFor(view, "node-a", noPasswords).peers).toEqual([]);
  });
});

describe("timers and graceful restart", () => {
  it("come from BGPConfiguration", () => {
    const view = threeNodeCluster({
      bgpConfiguration: bgpConfiguration({
        timers: { holdTimeSeconds: 9, keepaliveIntervalSeconds: 3, connectRetrySeconds: 5 },
        gracefulRestart: { restartTimeSeconds: 60 },
      }),
      bgpPeers: [bgpPeer("tor", { peerIP: "192.0.2.1", asNumber: 65100 })],
    });
    const d = planFor(view, "node-a", noPasswords);
    for (const p of d.peers) {
      expect(p.timers).toEqual({ holdTime: 9, keepaliveInterval: 3, connectRetry: 5 });
      expect(p.gracefulRestart).toEqual({ enabled: true, restartTime: 60, notificationEnabled: true });
    }
    expect(d.peers).toHaveLength(3);
  });

  it("turn graceful restart off when asked", () => {
    const view = threeNodeCluster({ bgpConfiguration: bgpConfiguration({ gracefulRestart: { enabled: false, restartTimeSeconds: 60 } }) });
    expect(planFor(view, "node-a", noPasswords).peers.map((p) => p.gracefulRestart)).toEqual([{ enabled: false }, { enabled: false }]);
  });
});
