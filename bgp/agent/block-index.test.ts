import { parseCidr } from "../../common/cidr.ts";
import { BlockIndex } from "./block-index.ts";
import { routeBounds } from "./cidr-bounds.ts";
import { ipPool } from "./testing/fixtures.ts";

const bounds = (pools = [ipPool("v4", "198.18.0.0/16", { blockSize: 26 }), ipPool("v6", "2001:db8:1::/48", { blockSize: 122 })]) => routeBounds(pools, [], []);
const owner = (node: string, pool: string, cidr: string) => ({ node, pool, cidr: parseCidr(cidr) });
const valid = (i: BlockIndex) => Object.fromEntries([...i.validByOwner()].map(([n, f]) => [n, Object.fromEntries([...f].map(([fam, s]) => [fam, [...s].sort()]))]));

describe("BlockIndex", () => {
  it("keeps each owner's valid blocks split by family and says which owners a change affects", () => {
    const i = new BlockIndex(bounds());
    expect(i.upsert("198.18.1.0/26", owner("node-b", "v4", "198.18.1.0/26"))).toEqual(["node-b"]);
    expect(i.upsert("2001:db8:1::/122", owner("node-b", "v6", "2001:db8:1::/122"))).toEqual(["node-b"]);
    expect(i.upsert("198.18.2.0/27", owner("node-c", "v4", "198.18.2.0/27"))).toEqual(["node-c"]); // wrong size: indexed, not valid
    expect(valid(i)).toEqual({ "node-b": { "ipv4-unicast": ["198.18.1.0/26"], "ipv6-unicast": ["2001:db8:1::/122"] } });
    expect(i.upsert("198.18.1.0/26", owner("node-b", "v4", "198.18.1.0/26"))).toEqual([]); // unchanged
    expect(i.upsert("198.18.1.0/26", owner("node-c", "v4", "198.18.1.0/26")).sort()).toEqual(["node-b", "node-c"]); // moved
    expect(valid(i)).toEqual({ "node-b": { "ipv6-unicast": ["2001:db8:1::/122"] }, "node-c": { "ipv4-unicast": ["198.18.1.0/26"] } });
    expect(i.remove("2001:db8:1::/122")).toEqual(["node-b"]);
    expect(i.remove("2001:db8:1::/122")).toEqual([]);
    expect(valid(i)).toEqual({ "node-c": { "ipv4-unicast": ["198.18.1.0/26"] } });
    expect([...i.prefixesOf("node-c")].sort()).toEqual(["198.18.1.0/26", "198.18.2.0/27"]);
  });

  it("re-checks every block when the pools change and names only the owners whose valid blocks changed", () => {
    const i = new BlockIndex(bounds());
    i.upsert("198.18.1.0/26", owner("node-b", "v4", "198.18.1.0/26"));
    i.upsert("2001:db8:1::/122", owner("node-c", "v6", "2001:db8:1::/122"));
    expect(i.revalidate(bounds([ipPool("v6", "2001:db8:1::/48", { blockSize: 122 })]))).toEqual(["node-b"]);
    expect(valid(i)).toEqual({ "node-c": { "ipv6-unicast": ["2001:db8:1::/122"] } });
    expect(i.revalidate(bounds())).toEqual(["node-b"]);
    expect(valid(i)["node-b"]).toEqual({ "ipv4-unicast": ["198.18.1.0/26"] });
  });
});
