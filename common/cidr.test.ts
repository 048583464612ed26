import {
  addressAt, cidrSize, cidrsOverlap, containsAddress, containsCidr, formatAddress, formatCidr, lastAddress, parseAddress, parseCidr, tryParseCidr,
} from "./cidr.ts";
import { InvalidInputError } from "./errors.ts";

describe("parseAddress", () => {
  it("parses IPv4 and IPv6 into family and value", () => {
    expect(parseAddress("198.18.0.1")).toEqual({ family: 4, value: (198n << 24n) + (18n << 16n) + 1n });
    expect(parseAddress("2001:db8::1")).toEqual({ family: 6, value: (0x20010db8n << 96n) + 1n });
  });

  it.each(["198.18.1", "0x7f.0.0.1", "198.18.0.256", "fe80::1%eth0", "", "hello"])("rejects %p", (text) => {
    expect(() => parseAddress(text, "ipam.gateway")).toThrow(InvalidInputError);
    expect(() => parseAddress(text, "ipam.gateway")).toThrow(/^ipam.gateway: /);
  });

  it("formats IPv6 in RFC 5952 short form", () => {
    expect(formatAddress(parseAddress("2001:0db8:0000:0000:0000:0000:0000:0001"))).toBe("2001:db8::1");
  });
});

describe("parseCidr", () => {
  it("round-trips IPv4 and IPv6", () => {
    expect(formatCidr(parseCidr("198.18.0.0/26"))).toBe("198.18.0.0/26");
    expect(formatCidr(parseCidr("2001:db8:1::/122"))).toBe("2001:db8:1::/122");
  });

  it("rejects host bits and suggests the network", () => {
    expect(() => parseCidr("198.18.0.5/26", "spec.cidr")).toThrow('spec.cidr: "198.18.0.5/26" has host bits set; did you mean "198.18.0.0/26"?');
  });

  it("accepts host bits when not strict", () => {
    expect(formatCidr(parseCidr("198.18.0.5/26", "x", false))).toBe("198.18.0.0/26");
  });

  it.each([
    ["198.18.0.0", /has no prefix length/],
    ["198.18.0.0/33", /IPv4 allows 0 to 32/],
    ["2001:db8::/129", /IPv6 allows 0 to 128/],
    ["198.18.0.0/-1", /prefix length "-1"/],
    ["198.18.0.0/2a", /prefix length "2a"/],
  ])("rejects %p", (text, message) => {
    expect(() => parseCidr(text)).toThrow(message);
  });
});

describe("CIDR arithmetic", () => {
  const block = parseCidr("198.18.0.64/26");

  it("sizes and bounds", () => {
    expect(cidrSize(block)).toBe(64n);
    expect(formatAddress(lastAddress(block))).toBe("198.18.0.127");
    expect(formatAddress(addressAt(block, 5n))).toBe("198.18.0.69");
    expect(() => addressAt(block, 64n)).toThrow(RangeError);
    expect(cidrSize(parseCidr("2001:db8::/64"))).toBe(1n << 64n);
  });

  it("containment and overlap", () => {
    expect(containsAddress(block, parseAddress("198.18.0.127"))).toBe(true);
    expect(containsAddress(block, parseAddress("198.18.0.128"))).toBe(false);
    expect(containsAddress(block, parseAddress("2001:db8::1"))).toBe(false);
    expect(containsCidr(parseCidr("198.18.0.0/16"), block)).toBe(true);
    expect(containsCidr(block, parseCidr("198.18.0.0/16"))).toBe(false);
    expect(cidrsOverlap(parseCidr("198.18.0.0/25"), block)).toBe(true);
    expect(cidrsOverlap(parseCidr("198.18.0.0/26"), block)).toBe(false);
    expect(cidrsOverlap(parseCidr("2001:db8::/32"), parseCidr("198.18.0.0/15"))).toBe(false);
  });
});

describe("tryParseCidr", () => {
  it("parses a CIDR and returns undefined for anything else", () => {
    expect(tryParseCidr("198.18.0.64/26")).toEqual(parseCidr("198.18.0.64/26"));
    expect(tryParseCidr("198.18.0.65/26")).toBeUndefined();
    expect(tryParseCidr("not a cidr")).toBeUndefined();
  });

  it("accepts host bits when not strict, as parseCidr does", () => {
    expect(tryParseCidr("198.18.0.65/26", false)).toEqual(parseCidr("198.18.0.64/26"));
    expect(tryParseCidr("2001:db8::/129", false)).toBeUndefined();
  });
});
