import { formatCidr, parseCidr } from "../../common/cidr.ts";
import { InvalidInputError } from "../../common/errors.ts";
import { blockAt, blockIndexOf, poolLayout } from "./pool-layout.ts";
import { pool } from "./testing/fixtures.ts";

describe("poolLayout", () => {
  it("uses the family defaults: /26 for IPv4 and /122 for IPv6", () => {
    expect(poolLayout(pool("p4", "198.18.0.0/24"))).toMatchObject({ pool: "p4", blockPrefix: 26, blockCount: 4n, blockCapacity: 64n });
    expect(poolLayout(pool("p6", "2001:db8::/120"))).toMatchObject({ pool: "p6", blockPrefix: 122, blockCount: 4n, blockCapacity: 64n });
  });

  it("uses spec.blockSize when set, down to a single block", () => {
    expect(poolLayout(pool("p", "198.18.0.0/24", { blockSize: 28 }))).toMatchObject({ blockCount: 16n, blockCapacity: 16n });
    expect(poolLayout(pool("p", "198.18.0.0/24", { blockSize: 24 }))).toMatchObject({ blockCount: 1n, blockCapacity: 256n });
  });

  it("handles a large IPv6 pool without losing precision", () => {
    expect(poolLayout(pool("p", "2001:db8::/48")).blockCount).toBe(1n << 74n);
  });

  it.each([
    ["198.18.0.0/16", 19, /IPv4 pool; use 20 to 32/],
    ["198.18.0.0/24", 33, /IPv4 pool; use 20 to 32/],
    ["198.18.0.0/24", 26.5, /26.5 does not fit/],
    ["2001:db8::/64", 115, /IPv6 pool; use 116 to 128/],
    ["2001:db8::/120", 129, /IPv6 pool; use 116 to 128/],
    ["198.18.0.0/24", 22, /shorter than the pool's prefix \/24/],
  ])("rejects %s with blockSize %p, naming spec.blockSize", (cidr, blockSize, message) => {
    const bad = pool("bad", cidr, { blockSize });
    expect(() => poolLayout(bad)).toThrow(InvalidInputError);
    expect(() => poolLayout(bad)).toThrow(/^IPPool bad: spec\.blockSize: /);
    expect(() => poolLayout(bad)).toThrow(message);
  });

  it("rejects a CIDR with host bits, naming spec.cidr", () => {
    expect(() => poolLayout(pool("bad", "198.18.0.1/24"))).toThrow(/^IPPool bad: spec\.cidr: .*did you mean "198\.18\.0\.0\/24"/);
  });
});

describe("blockAt and blockIndexOf", () => {
  const layout = poolLayout(pool("p", "198.18.0.0/24"));

  it("are each other's inverse over the pool's blocks", () => {
    expect([0n, 1n, 2n, 3n].map((i) => formatCidr(blockAt(layout, i)))).toEqual(["198.18.0.0/26", "198.18.0.64/26", "198.18.0.128/26", "198.18.0.192/26"]);
    for (const i of [0n, 1n, 2n, 3n]) expect(blockIndexOf(layout, blockAt(layout, i))).toBe(i);
  });

  it("blockAt refuses an index outside the pool", () => {
    expect(() => blockAt(layout, 4n)).toThrow(RangeError);
    expect(() => blockAt(layout, -1n)).toThrow(RangeError);
  });

  it.each([
    ["another size", "198.18.0.0/25"],
    ["outside the pool", "198.18.1.0/26"],
    ["below the pool", "198.17.255.192/26"],
    ["another family", "2001:db8::/26"],
  ])("blockIndexOf is undefined for a block of %s", (_name, cidr) => {
    expect(blockIndexOf(layout, parseCidr(cidr, "x", false))).toBeUndefined();
  });
});
