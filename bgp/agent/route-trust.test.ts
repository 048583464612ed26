import { parseCidr } from "../../common/cidr.ts";
import { routeBounds } from "./cidr-bounds.ts";
import { judgeRoute, type BlockOwner, type TrustInputs } from "./route-trust.ts";
import { ipPool } from "./testing/fixtures.ts";

const addresses: Record<string, string> = { "node-a": "192.0.2.11", "node-b": "192.0.2.12", "node-c": "192.0.2.13" };

function block(cidr: string, node: string, pool = "default"): [string, BlockOwner] {
  return [cidr, { node, pool, cidr: parseCidr(cidr) }];
}

function inputs(parts: Partial<TrustInputs> = {}): TrustInputs {
  const bounds = routeBounds([ipPool("default", "198.18.0.0/16"), ipPool("thirty", "198.19.0.0/16", { blockSize: 30 })], ["203.0.113.0/24"], Object.entries(addresses));
  return {
    me: "node-a",
    blocks: new Map([
      block("198.18.0.0/26", "node-a"),
      block("198.18.0.64/26", "node-b"),
      block("198.18.0.128/26", "node-c"),
      block("198.19.0.4/30", "node-b", "thirty"),
      block("198.18.1.0/27", "node-b"),
      block("198.18.2.0/26", "node-gone"),
      block("10.1.0.0/26", "node-b", "default"),
    ]),
    bounds,
    address: (n) => addresses[n],
    learnFrom: new Set(),
    nodeAddresses: new Set(Object.values(addresses)),
    services: new Set(bounds.serviceCidrs),
    ...parts,
  };
}

const verdict = (t: TrustInputs, prefix: string, nextHop: string) => {
  const v = judgeRoute(t, prefix, nextHop);
  return v.accept ? "accept" : v.reason;
};

describe("judgeRoute", () => {
  it("accepts another node's exact block via its owner, and only via its owner", () => {
    const t = inputs();
    expect(verdict(t, "198.18.0.64/26", "192.0.2.12")).toBe("accept");
    expect(verdict(t, "198.19.0.4/30", "192.0.2.12")).toBe("accept");
    expect(verdict(t, "198.18.0.64/26", "192.0.2.13")).toBe("wrong_next_hop");
    expect(verdict(t, "198.18.0.64/26", "192.0.2.250")).toBe("wrong_next_hop");
    expect(verdict(t, "198.18.0.64/26", "")).toBe("wrong_next_hop");
  });

  it("accepts a learn-from peer as next hop of any other node's block, never of this node's", () => {
    const t = inputs({ learnFrom: new Set(["192.0.2.254"]) });
    expect(verdict(t, "198.18.0.64/26", "192.0.2.254")).toBe("accept");
    expect(verdict(t, "198.18.2.0/26", "192.0.2.254")).toBe("accept");
    expect(verdict(t, "198.18.0.0/26", "192.0.2.254")).toBe("own_block");
  });

  it("refuses this node's own block from anyone", () => {
    expect(verdict(inputs(), "198.18.0.0/26", "192.0.2.11")).toBe("own_block");
    expect(verdict(inputs(), "198.18.0.0/26", "192.0.2.12")).toBe("own_block");
  });

  it("refuses a block whose node has no known address, and blocks that are not of their pool", () => {
    const t = inputs();
    expect(verdict(t, "198.18.2.0/26", "192.0.2.99")).toBe("owner_unknown");
    expect(verdict(t, "198.18.1.0/27", "192.0.2.12")).toBe("invalid_block");
    expect(verdict(t, "10.1.0.0/26", "192.0.2.12")).toBe("invalid_block");
  });

  it("classifies every other prefix", () => {
    const t = inputs();
    expect(verdict(t, "0.0.0.0/0", "192.0.2.12")).toBe("default_route");
    expect(verdict(t, "198.18.0.70/32", "192.0.2.12")).toBe("longer_than_block");
    expect(verdict(t, "198.18.0.64/27", "192.0.2.12")).toBe("longer_than_block");
    expect(verdict(t, "198.18.0.0/16", "192.0.2.12")).toBe("pool_aggregate");
    expect(verdict(t, "198.18.0.0/24", "192.0.2.12")).toBe("pool_aggregate");
    expect(verdict(t, "198.18.0.0/15", "192.0.2.12")).toBe("pool_aggregate");
    expect(verdict(t, "198.18.9.0/26", "192.0.2.12")).toBe("unknown_block");
    expect(verdict(t, "192.0.2.0/24", "192.0.2.12")).toBe("foreign_prefix");
    expect(verdict(t, "2001:db8::/64", "2001:db8::1")).toBe("foreign_prefix");
  });

  it("accepts an accepted service CIDR exactly, from a Petrel node or a learn-from peer", () => {
    const t = inputs({ learnFrom: new Set(["192.0.2.254"]) });
    expect(verdict(t, "203.0.113.0/24", "192.0.2.13")).toBe("accept");
    expect(verdict(t, "203.0.113.0/24", "192.0.2.254")).toBe("accept");
    expect(verdict(t, "203.0.113.0/24", "192.0.2.250")).toBe("wrong_next_hop");
    expect(verdict(t, "203.0.113.128/25", "192.0.2.13")).toBe("foreign_prefix");
  });

  it("says why in the detail", () => {
    const v = judgeRoute(inputs(), "198.18.0.64/26", "192.0.2.250");
    expect(v).toEqual({ accept: false, reason: "wrong_next_hop", detail: "198.18.0.64/26 belongs to node-b (192.0.2.12), not to next hop 192.0.2.250" });
  });
});
