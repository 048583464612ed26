import { blockNodeLabel, blockPoolLabel } from "../../common/block-name.ts";
import { routeBounds } from "./cidr-bounds.ts";
import { ClusterTrust } from "./cluster-trust.ts";
import { ipPool } from "./testing/fixtures.ts";

const labels = (node: string, pool = "default") => ({ [blockNodeLabel]: node, [blockPoolLabel]: pool });
const bounds = (services: string[] = []) => routeBounds([ipPool("default", "198.18.0.0/16", { blockSize: 26 })], services, []);
const inputs = (over: { learnFrom?: string[]; services?: string[]; nodeAddresses?: string[] } = {}) => ({
  address: () => "192.0.2.12",
  learnFrom: new Set(over.learnFrom ?? []),
  services: new Set(over.services ?? []),
  nodeAddresses: new Set(over.nodeAddresses ?? ["192.0.2.12"]),
});

describe("ClusterTrust", () => {
  it("a block event names its prefix only when it changed something, and marks only its owners' sets", () => {
    const t = new ClusterTrust("node-a");
    t.setBounds(bounds());
    expect(t.takeChangedSets()).toBeUndefined(); // first apply: every set
    expect(t.blockEvent("upsert", "198-18-1-0-26", labels("node-b"))).toBe("198.18.1.0/26");
    expect(t.blockEvent("upsert", "198-18-1-0-26", labels("node-b"))).toBeUndefined(); // unchanged
    expect(t.blockEvent("upsert", "not-a-block", labels("node-b"))).toBeUndefined();
    expect([...(t.takeChangedSets() ?? [])].sort()).toEqual(["petrel-blocks-v4-node-b", "petrel-blocks-v6-node-b"]);
    expect(t.takeChangedSets()).toEqual(new Set());
    expect(t.blockProblem("198.18.1.0/26")).toBeUndefined();
    expect(t.blockProblem("198.18.9.0/26")).toBe("unknown");
    expect(t.prefixesOf("node-b")).toEqual(new Set(["198.18.1.0/26"]));
  });

  it("the import policy covers the other nodes' valid blocks, not this node's", () => {
    const t = new ClusterTrust("node-a");
    t.setBounds(bounds());
    t.blockEvent("upsert", "198-18-0-0-26", labels("node-a"));
    t.blockEvent("upsert", "198-18-1-0-26", labels("node-b"));
    t.blockEvent("upsert", "198-18-2-0-26", labels("node-c", "gone")); // not in an accepted pool
    const p = t.policy({ address: () => "192.0.2.12", learnFrom: [], services: [], nodeAddresses: [], reflector: false });
    expect([...p.sets.keys()]).toEqual(["petrel-blocks-v4-node-b"]);
  });

  it("says when the bounds or what widens trust changed, not when the same values come again in another order", () => {
    const t = new ClusterTrust("node-a");
    expect(t.setBounds(bounds())).toBe(true);
    t.takeChangedSets();
    expect(t.setBounds(bounds())).toBe(false);
    expect(t.takeChangedSets()).toEqual(new Set());
    expect(t.setBounds(bounds(["203.0.113.0/24"]))).toBe(true);
    expect(t.takeChangedSets()).toBeUndefined();
    expect(t.setTrust(inputs({ learnFrom: ["192.0.2.254", "192.0.2.253"] }))).toBe(false); // first
    expect(t.trust?.me).toBe("node-a");
    expect(t.setTrust(inputs({ learnFrom: ["192.0.2.253", "192.0.2.254"] }))).toBe(false);
    expect(t.setTrust(inputs({ learnFrom: ["192.0.2.253"] }))).toBe(true);
    expect(t.setTrust(inputs({ learnFrom: ["192.0.2.253"], services: ["203.0.113.0/24"] }))).toBe(true);
    expect(t.setTrust(inputs({ learnFrom: ["192.0.2.253"], services: ["203.0.113.0/24"], nodeAddresses: ["192.0.2.13"] }))).toBe(true);
  });
});
