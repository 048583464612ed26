import { parseCidr } from "../../common/cidr.ts";
import { anyTypeName, packAny, packPathAttributes, packPrefix, packWithdrawAttributes, unpackPathAttributes, unpackPrefix } from "./attributes.ts";

describe("Any packing", () => {
  it("names the message type with the type.googleapis.com/apipb. URL gobgpd expects", () => {
    expect(packAny("OriginAttribute", { origin: 0 })).toEqual({ "@type": "type.googleapis.com/apipb.OriginAttribute", origin: 0 });
    expect(anyTypeName({ "@type": "type.googleapis.com/apipb.NextHopAttribute" })).toBe("NextHopAttribute");
    expect(anyTypeName({ origin: 0 })).toBeUndefined();
    expect(anyTypeName("x")).toBeUndefined();
  });

  it("packs an IPAddressPrefix NLRI from a CIDR and unpacks it", () => {
    const v4 = packPrefix(parseCidr("198.18.0.64/26"));
    expect(v4).toEqual({ "@type": "type.googleapis.com/apipb.IPAddressPrefix", prefix: "198.18.0.64", prefixLen: 26 });
    expect(unpackPrefix(v4)).toBe("198.18.0.64/26");
    expect(unpackPrefix(packPrefix(parseCidr("2001:db8:1::/64")))).toBe("2001:db8:1::/64");
    expect(unpackPrefix(packAny("EVPNIPPrefixRoute", {}))).toBeUndefined();
  });
});

describe("path attributes", () => {
  const base = { origin: "igp" as const, communities: [], largeCommunities: [] };

  it("carries an IPv4 next hop in NEXT_HOP", () => {
    const attrs = packPathAttributes({ ...base, prefix: parseCidr("198.18.0.0/26"), nextHop: "192.0.2.1" });
    expect(attrs.map(anyTypeName)).toEqual(["OriginAttribute", "NextHopAttribute"]);
    expect(attrs[1]).toMatchObject({ nextHop: "192.0.2.1" });
  });

  it("carries an IPv6 next hop and the NLRI in MP_REACH_NLRI, with no NEXT_HOP", () => {
    const attrs = packPathAttributes({ ...base, prefix: parseCidr("2001:db8:1::/64"), nextHop: "2001:db8::1" });
    expect(attrs.map(anyTypeName)).toEqual(["OriginAttribute", "MpReachNLRIAttribute"]);
    expect(attrs[1]).toEqual({
      "@type": "type.googleapis.com/apipb.MpReachNLRIAttribute",
      family: { afi: "AFI_IP6", safi: "SAFI_UNICAST" },
      nextHops: ["2001:db8::1"],
      nlris: [{ "@type": "type.googleapis.com/apipb.IPAddressPrefix", prefix: "2001:db8:1::", prefixLen: 64 }],
    });
  });

  it("adds optional attributes only when given, and unpacks them all", () => {
    const attrs = packPathAttributes({
      prefix: parseCidr("198.18.0.0/26"), nextHop: "192.0.2.1", origin: "incomplete",
      communities: [64512 * 65536 + 7], largeCommunities: [{ globalAdmin: 64512, localData1: 1, localData2: 2 }],
      localPref: 200, med: 5,
    });
    expect(attrs.map(anyTypeName)).toEqual([
      "OriginAttribute", "NextHopAttribute", "LocalPrefAttribute", "MultiExitDiscAttribute", "CommunitiesAttribute", "LargeCommunitiesAttribute",
    ]);
    const withAsPath = [...attrs, packAny("AsPathAttribute", { segments: [{ type: "AS_SEQUENCE", numbers: [64513, 64514] }] })];
    expect(unpackPathAttributes(withAsPath)).toEqual({
      origin: "incomplete", nextHop: "192.0.2.1", communities: ["64512:7"], largeCommunities: ["64512:1:2"],
      localPref: 200, med: 5, asPath: [64513, 64514], mpReachPrefixes: [],
    });
  });

  it("reads the next hop and prefixes of MP_REACH_NLRI, ignoring unknown attributes", () => {
    const decoded = unpackPathAttributes([
      packAny("MpReachNLRIAttribute", {
        nextHops: ["2001:db8::1", "fe80::1"],
        nlris: [packAny("IPAddressPrefix", { prefix: "2001:db8:2::", prefixLen: 48 })],
      }),
      packAny("OriginatorIdAttribute", { id: "192.0.2.9" }),
      "garbage",
    ]);
    expect(decoded.nextHop).toBe("2001:db8::1");
    expect(decoded.mpReachPrefixes).toEqual(["2001:db8:2::/48"]);
    expect(decoded.origin).toBeUndefined();
  });

  it("gives withdrawals a placeholder next hop of the prefix's family", () => {
    expect(packWithdrawAttributes(parseCidr("198.18.0.0/26"))).toEqual([packAny("NextHopAttribute", { nextHop: "0.0.0.0" })]);
    expect(packWithdrawAttributes(parseCidr("2001:db8::/64"))[0]).toMatchObject({ nextHops: ["::"] });
  });
});
