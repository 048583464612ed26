import { formatCidr } from "../../common/cidr.ts";
import { describeIgnored, routeBounds } from "./cidr-bounds.ts";
import { ipPool } from "./testing/fixtures.ts";

const nodes: [string, string][] = [["node-a", "192.0.2.11"], ["node-b", "192.0.2.12"]];

describe("routeBounds", () => {
  it("accepts pools and service CIDRs that stay clear of nodes and of each other", () => {
    const b = routeBounds([ipPool("default", "198.18.0.0/16"), ipPool("small", "198.19.0.0/24", { blockSize: 28 })], ["203.0.113.0/24", "203.0.113.0/24"], nodes);
    expect(b.pools.map((p) => [p.name, formatCidr(p.cidr), p.blockSize])).toEqual([["default", "198.18.0.0/16", 26], ["small", "198.19.0.0/24", 28]]);
    expect(b.serviceCidrs).toEqual(["203.0.113.0/24"]);
    expect(b.ignored).toEqual([]);
  });

  it("ignores a default route, a pool or service CIDR covering a node's address, and a service CIDR overlapping a pool", () => {
    const b = routeBounds(
      [ipPool("default", "198.18.0.0/16"), ipPool("underlay", "192.0.2.0/24"), ipPool("everything", "0.0.0.0/0")],
      ["0.0.0.0/0", "192.0.0.0/8", "198.18.4.0/24", "203.0.113.0/24"],
      nodes,
    );
    expect(b.pools.map((p) => p.name)).toEqual(["default"]);
    expect(b.serviceCidrs).toEqual(["203.0.113.0/24"]);
    expect(b.ignored.map((i) => [i.field, i.cidr])).toEqual([
      ["IPPool everything spec.cidr", "0.0.0.0/0"],
      ["IPPool underlay spec.cidr", "192.0.2.0/24"],
      ["BGPConfiguration default spec.serviceCIDRs", "0.0.0.0/0"],
      ["BGPConfiguration default spec.serviceCIDRs", "192.0.0.0/8"],
      ["BGPConfiguration default spec.serviceCIDRs", "198.18.4.0/24"],
    ]);
    expect(describeIgnored(b.ignored)).toContain("BGPConfiguration default spec.serviceCIDRs: 192.0.0.0/8 contains Node node-a's address 192.0.2.11, Node node-b's address 192.0.2.12: the route would take the nodes' own traffic; it is ignored");
    expect(describeIgnored(b.ignored)).toContain("spec.serviceCIDRs: 198.18.4.0/24 overlaps IPPool default (198.18.0.0/16)");
  });

  it("uses the family's block size when a pool has none", () => {
    expect(routeBounds([ipPool("v6", "2001:db8:1::/48")], [], nodes).pools[0]?.blockSize).toBe(122);
  });
});
