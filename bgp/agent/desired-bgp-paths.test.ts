// desiredBgp: the paths a node originates, its own blocks, the peers it learns blocks from.
import { bgpConfiguration, bgpPeer, ipamBlock, ipPool, noPasswords, nodeView, petrelNode, planFor, threeNodeCluster } from "./testing/fixtures.ts";


describe("paths", () => {
  it("originates each own block, sorted, with the node address as next hop", () => {
    const view = threeNodeCluster({
      blocks: [
        ipamBlock("198.18.0.64/26", "node-a", "default"),
        ipamBlock("198.18.0.0/26", "node-a", "default"),
        ipamBlock("198.18.0.128/26", "node-b", "default"), // not ours: the view may hold it briefly
      ],
    });
    expect(planFor(view, "node-a", noPasswords).paths).toEqual([
      { prefix: "198.18.0.0/26", nextHop: "192.0.2.11", communities: [], largeCommunities: [] },
      { prefix: "198.18.0.64/26", nextHop: "192.0.2.11", communities: [], largeCommunities: [] },
    ]);
  });

  it("attaches standard and large communities, and no-export for disableBGPExport pools", () => {
    const view = threeNodeCluster({
      pools: [ipPool("default", "198.18.0.0/16"), ipPool("internal", "198.19.0.0/16", { disableBGPExport: true })],
      blocks: [ipamBlock("198.18.0.0/26", "node-a", "default"), ipamBlock("198.19.0.0/26", "node-a", "internal")],
      bgpConfiguration: bgpConfiguration({ communities: ["65000:100", "65000:1:2", "65000:200"] }),
    });
    expect(planFor(view, "node-a", noPasswords).paths).toEqual([
      { prefix: "198.18.0.0/26", nextHop: "192.0.2.11", communities: ["65000:100", "65000:200"], largeCommunities: ["65000:1:2"] },
      { prefix: "198.19.0.0/26", nextHop: "192.0.2.11", communities: ["65000:100", "65000:200", "no-export"], largeCommunities: ["65000:1:2"] },
    ]);
  });

  it("advertises the service CIDRs after the blocks, without no-export", () => {
    const view = threeNodeCluster({
      blocks: [ipamBlock("198.18.0.0/26", "node-a", "default")],
      bgpConfiguration: bgpConfiguration({ serviceCIDRs: ["198.19.128.0/20"], communities: ["65000:100"] }),
    });
    expect(planFor(view, "node-a", noPasswords).paths).toEqual([
      { prefix: "198.18.0.0/26", nextHop: "192.0.2.11", communities: ["65000:100"], largeCommunities: [] },
      { prefix: "198.19.128.0/20", nextHop: "192.0.2.11", communities: ["65000:100"], largeCommunities: [] },
    ]);
  });
});

describe("bounds and trust inputs", () => {
  it("advertises only valid own blocks (inside their pool, at its block size), and says why not", () => {
    const view = threeNodeCluster({
      blocks: [
        ipamBlock("198.18.0.0/26", "node-a", "default"),
        ipamBlock("198.18.1.0/27", "node-a", "default"),
        ipamBlock("10.9.0.0/26", "node-a", "default"),
        ipamBlock("198.18.2.0/26", "node-a", "gone"),
      ],
    });
    const d = planFor(view, "node-a", noPasswords);
    expect(d.ownBlocks).toEqual(["198.18.0.0/26"]);
    expect(d.paths.map((p) => p.prefix)).toEqual(["198.18.0.0/26"]);
    expect(d.problems).toEqual([
      "IPAMBlock 10-9-0-0-26: it is outside its pool default; it is not advertised",
      "IPAMBlock 198-18-1-0-27: it is not of its pool's block size /26; it is not advertised",
      "IPAMBlock 198-18-2-0-26: its pool gone is not an accepted IPPool; it is not advertised",
    ]);
  });

  it("never advertises a service CIDR that is a default route or covers a node", () => {
    const view = threeNodeCluster({ bgpConfiguration: bgpConfiguration({ serviceCIDRs: ["0.0.0.0/0", "192.0.2.0/24", "203.0.113.0/24"] }) });
    expect(planFor(view, "node-a", noPasswords).paths.map((p) => p.prefix)).toEqual(["198.18.0.0/26", "198.18.0.64/26", "203.0.113.0/24"]);
  });

  it("learns blocks from the peers marked learnFrom, external or selected nodes", () => {
    const view = threeNodeCluster({
      nodes: [...threeNodeCluster().nodes, nodeView("rr-1", "192.0.2.21", { rr: "yes" })],
      petrelNodes: [...threeNodeCluster().petrelNodes, petrelNode("rr-1")],
      bgpPeers: [
        bgpPeer("tor", { peerIP: "192.0.2.254", asNumber: 65000, learnFrom: true }),
        bgpPeer("other", { peerIP: "192.0.2.253", asNumber: 65000 }),
        bgpPeer("rr", { peerSelector: { matchLabels: { rr: "yes" } }, learnFrom: true }),
      ],
    });
    const d = planFor(view, "node-a", noPasswords);
    expect(d.learnFrom).toEqual(["192.0.2.21", "192.0.2.254"]);
    expect(d.reflector).toBe(false);
  });

  it("is a reflector with a routeReflectorClusterID", () => {
    const view = threeNodeCluster({ petrelNodes: [petrelNode("node-a"), petrelNode("node-b", { routeReflectorClusterID: "10.0.0.1" }), petrelNode("node-c")] });
    expect(planFor(view, "node-b", noPasswords).reflector).toBe(true);
    expect(planFor(view, "node-a", noPasswords).reflector).toBe(false);
  });
});
