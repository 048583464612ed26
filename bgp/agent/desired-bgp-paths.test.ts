// desiredBgp: the paths a node originates and the prefixes its policies let through.
import { allowedPrefixes, desiredBgp } from "./desired-bgp.ts";
import { bgpConfiguration, clusterView, ipamBlock, ipPool, noPasswords, petrelNode, threeNodeCluster } from "./testing/fixtures.ts";


describe("paths", () => {
  it("originates each own block, sorted, with the node address as next hop", () => {
    const view = threeNodeCluster({
      blocks: [
        ipamBlock("198.18.0.64/26", "node-a", "default"),
        ipamBlock("198.18.0.0/26", "node-a", "default"),
        ipamBlock("198.18.0.128/26", "node-b", "default"), // not ours: the view may hold it briefly
      ],
    });
    expect(desiredBgp(view, "node-a", noPasswords).paths).toEqual([
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
    expect(desiredBgp(view, "node-a", noPasswords).paths).toEqual([
      { prefix: "198.18.0.0/26", nextHop: "192.0.2.11", communities: ["65000:100", "65000:200"], largeCommunities: ["65000:1:2"] },
      { prefix: "198.19.0.0/26", nextHop: "192.0.2.11", communities: ["65000:100", "65000:200", "no-export"], largeCommunities: ["65000:1:2"] },
    ]);
  });

  it("advertises the service CIDRs after the blocks, without no-export", () => {
    const view = threeNodeCluster({
      blocks: [ipamBlock("198.18.0.0/26", "node-a", "default")],
      bgpConfiguration: bgpConfiguration({ serviceCIDRs: ["198.19.128.0/20"], communities: ["65000:100"] }),
    });
    expect(desiredBgp(view, "node-a", noPasswords).paths).toEqual([
      { prefix: "198.18.0.0/26", nextHop: "192.0.2.11", communities: ["65000:100"], largeCommunities: [] },
      { prefix: "198.19.128.0/20", nextHop: "192.0.2.11", communities: ["65000:100"], largeCommunities: [] },
    ]);
  });
});

describe("allowed and exported prefixes", () => {
  it("allows a pool from its block size (family defaults 26 and 122) to a host route, and service CIDRs from their length", () => {
    const view = clusterView({
      pools: [
        ipPool("v4", "198.18.0.0/16"),
        ipPool("v4-small-blocks", "198.19.0.0/20", { blockSize: 28 }),
        ipPool("v6", "2001:db8:1::/48"),
        ipPool("v6-blocks", "2001:db8:2::/48", { blockSize: 120 }),
      ],
      bgpConfiguration: bgpConfiguration({ serviceCIDRs: ["198.19.128.0/20", "2001:db8:ff::/112"] }),
    });
    expect(allowedPrefixes(view)).toEqual([
      { prefix: "198.18.0.0/16", maskLengthMin: 26, maskLengthMax: 32 },
      { prefix: "198.19.0.0/20", maskLengthMin: 28, maskLengthMax: 32 },
      { prefix: "2001:db8:1::/48", maskLengthMin: 122, maskLengthMax: 128 },
      { prefix: "2001:db8:2::/48", maskLengthMin: 120, maskLengthMax: 128 },
      { prefix: "198.19.128.0/20", maskLengthMin: 20, maskLengthMax: 32 },
      { prefix: "2001:db8:ff::/112", maskLengthMin: 112, maskLengthMax: 128 },
    ]);
  });

  it("never allows less than the pool's own length, writes prefixes canonically, and skips invalid pools", () => {
    const view = clusterView({
      pools: [ipPool("tiny", "198.18.0.0/28", { blockSize: 26 }), ipPool("bad", "198.18.0.1/26"), ipPool("v6", "2001:DB8:0:0::/48")],
    });
    expect(allowedPrefixes(view)).toEqual([
      { prefix: "198.18.0.0/28", maskLengthMin: 28, maskLengthMax: 32 },
      { prefix: "2001:db8::/48", maskLengthMin: 122, maskLengthMax: 128 },
    ]);
  });

  it("desiredBgp carries the allowed prefixes", () => {
    expect(desiredBgp(threeNodeCluster(), "node-a", noPasswords).allowedPrefixes).toEqual([
      { prefix: "198.18.0.0/16", maskLengthMin: 26, maskLengthMax: 32 },
    ]);
  });

  it("exports only the node's own paths, at their exact length", () => {
    const view = threeNodeCluster({ bgpConfiguration: bgpConfiguration({ serviceCIDRs: ["198.19.128.0/20"] }) });
    expect(desiredBgp(view, "node-a", noPasswords).exportPrefixes).toEqual([
      { prefix: "198.18.0.0/26", maskLengthMin: 26, maskLengthMax: 26 },
      { prefix: "198.18.0.64/26", maskLengthMin: 26, maskLengthMax: 26 },
      { prefix: "198.19.128.0/20", maskLengthMin: 20, maskLengthMax: 20 },
    ]);
    // A node with no blocks exports nothing.
    expect(desiredBgp(threeNodeCluster(), "node-b", noPasswords).exportPrefixes).toEqual([]);
  });

  it("exports everything allowed from a route reflector", () => {
    const view = threeNodeCluster({
      petrelNodes: [petrelNode("node-a"), petrelNode("node-b", { routeReflectorClusterID: "10.0.0.1" }), petrelNode("node-c")],
      bgpConfiguration: bgpConfiguration({ serviceCIDRs: ["198.19.128.0/20"] }),
    });
    const d = desiredBgp(view, "node-b", noPasswords);
    expect(d.exportPrefixes).toEqual(d.allowedPrefixes);
    expect(d.exportPrefixes).toEqual([
      { prefix: "198.18.0.0/16", maskLengthMin: 26, maskLengthMax: 32 },
      { prefix: "198.19.128.0/20", maskLengthMin: 20, maskLengthMax: 32 },
    ]);
  });
});
