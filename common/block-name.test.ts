import { blockNameOf, cidrOfBlockName } from "./block-name.ts";
import { formatCidr, parseCidr } from "./cidr.ts";

// What the CRD's CEL rule computes (crds/ipamblocks.yaml): ".", ":" and "/" replaced by "-".
const celName = (cidr: string) => cidr.replaceAll(".", "-").replaceAll(":", "-").replaceAll("/", "-");
// A DNS subdomain name, as Kubernetes requires for object names.
const dnsSubdomain = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

describe("blockNameOf", () => {
  it.each([
    ["198.18.0.64/26", "198-18-0-64-26"],
    ["198.18.0.0/26", "198-18-0-0-26"],
    ["2001:db8::40/122", "2001-db8--40-122"],
    ["2001:db8::/122", "2001-db8---122"],
    ["2001:db8:1:2:3:4:5:0/122", "2001-db8-1-2-3-4-5-0-122"],
  ])("names %s %s, as the CRD's rule expects, a valid object name", (cidr, name) => {
    expect(blockNameOf(parseCidr(cidr))).toBe(name);
    expect(celName(cidr)).toBe(name);
    expect(name).toMatch(dnsSubdomain);
  });

  it("uses the canonical (shortest, lower-case) IPv6 form", () => {
    expect(blockNameOf(parseCidr("2001:0DB8:0000:0000:0000:0000:0000:0040/122"))).toBe("2001-db8--40-122");
  });

  it("gives different blocks different names (same network, other size; other network)", () => {
    const names = ["198.18.0.0/26", "198.18.0.0/25", "198.18.0.64/26", "198.18.1.0/26", "2001:db8::/122", "2001:db8::40/122"].map((c) => blockNameOf(parseCidr(c)));
    expect(new Set(names).size).toBe(names.length);
  });
});

describe("cidrOfBlockName", () => {
  it.each(["198.18.0.64/26", "198.18.0.0/26", "2001:db8::40/122", "2001:db8::/122", "2001:db8:1:2:3:4:5:0/122", "10.0.0.0/8"])("reads %s back from its name", (cidr) => {
    const c = cidrOfBlockName(blockNameOf(parseCidr(cidr)));
    expect(c === undefined ? undefined : formatCidr(c)).toBe(cidr);
  });

  it.each(["default", "198-18-0-64", "198-18-0-65-26", "198-18-0-64-33", "2001-DB8--40-122", "198-018-0-64-26", ""])("refuses %s, which no block has", (name) => {
    expect(cidrOfBlockName(name)).toBeUndefined();
  });
});
