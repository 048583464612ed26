import { InvalidInputError } from "../../common/errors.ts";
import { packAny } from "./attributes.ts";
import { decodePath, encodePath, encodeWithdrawal, uuidFromBytes, uuidToBytes } from "./path-codec.ts";

function fieldOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    if (err instanceof InvalidInputError) return err.field;
    throw err;
  }
  return undefined;
}

describe("encodePath", () => {
  it("builds an IPv4 path with family, NLRI and attributes", () => {
    const { path, family } = encodePath({ prefix: "198.18.0.0/26", nextHop: "192.0.2.1", communities: ["64512:1"], localPref: 100 });
    expect(family).toBe("ipv4-unicast");
    expect(path).toEqual({
      family: { afi: "AFI_IP", safi: "SAFI_UNICAST" },
      nlri: packAny("IPAddressPrefix", { prefix: "198.18.0.0", prefixLen: 26 }),
      pattrs: [
        packAny("OriginAttribute", { origin: 0 }),
        packAny("NextHopAttribute", { nextHop: "192.0.2.1" }),
        packAny("LocalPrefAttribute", { localPref: 100 }),
        packAny("CommunitiesAttribute", { communities: [64512 * 65536 + 1] }),
      ],
    });
  });

  it("derives the IPv6 family and writes addresses canonically", () => {
    const { path, family } = encodePath({ prefix: "2001:0db8:0001::/64", nextHop: "2001:DB8::0001" });
    expect(family).toBe("ipv6-unicast");
    expect(path["family"]).toEqual({ afi: "AFI_IP6", safi: "SAFI_UNICAST" });
    expect(path["nlri"]).toMatchObject({ prefix: "2001:db8:1::" });
    expect((path["pattrs"] as unknown[])[1]).toMatchObject({ nextHops: ["2001:db8::1"] });
  });

  it("names the field of every bad input", () => {
    expect(fieldOf(() => encodePath({ prefix: "198.18.0.1/26", nextHop: "192.0.2.1" }))).toBe("prefix");
    expect(fieldOf(() => encodePath({ prefix: "198.18.0.0", nextHop: "192.0.2.1" }))).toBe("prefix");
    expect(fieldOf(() => encodePath({ prefix: "198.18.0.0/26", nextHop: "gobgp.example" }))).toBe("nextHop");
    expect(fieldOf(() => encodePath({ prefix: "198.18.0.0/26", nextHop: "2001:db8::1" }))).toBe("nextHop");
    expect(fieldOf(() => encodePath({ prefix: "198.18.0.0/26", nextHop: "192.0.2.1", family: "ipv6-unicast" }))).toBe("prefix");
    expect(fieldOf(() => encodePath({ prefix: "198.18.0.0/26", nextHop: "192.0.2.1", communities: ["x"] }))).toBe("communities[0]");
    expect(fieldOf(() => encodePath({ prefix: "198.18.0.0/26", nextHop: "192.0.2.1", largeCommunities: ["1:2"] }))).toBe("largeCommunities[0]");
    expect(fieldOf(() => encodePath({ prefix: "198.18.0.0/26", nextHop: "192.0.2.1", localPref: -1 }))).toBe("localPref");
    expect(fieldOf(() => encodePath({ prefix: "198.18.0.0/26", nextHop: "192.0.2.1", med: 1.5 }))).toBe("med");
  });
});

describe("encodeWithdrawal", () => {
  it("names the prefix with a placeholder next hop", () => {
    expect(encodeWithdrawal("198.18.0.0/26")).toEqual({
      family: { afi: "AFI_IP", safi: "SAFI_UNICAST" },
      nlri: packAny("IPAddressPrefix", { prefix: "198.18.0.0", prefixLen: 26 }),
      pattrs: [packAny("NextHopAttribute", { nextHop: "0.0.0.0" })],
    });
  });
});

describe("decodePath", () => {
  // As gobgpd 3.10 sends them (see docs/gobgp-client.md): local paths have "<nil>" sources.
  const local = {
    nlri: packAny("IPAddressPrefix", { prefix: "198.18.0.0", prefixLen: 26 }),
    pattrs: [packAny("OriginAttribute", { origin: 0 }), packAny("NextHopAttribute", { nextHop: "192.0.2.1" })],
    age: { seconds: 1700000000, nanos: 500000000 },
    best: true, isWithdraw: false, family: { afi: "AFI_IP", safi: "SAFI_UNICAST" },
    sourceAsn: 0, sourceId: "<nil>", neighborIp: "<nil>", filtered: false, stale: false,
  };

  it("decodes a locally originated path", () => {
    expect(decodePath(local, "198.18.0.0/26")).toEqual({
      family: "ipv4-unicast", prefix: "198.18.0.0/26", nextHop: "192.0.2.1", best: true, withdrawal: false,
      age: new Date(1700000000500), sourceAsn: undefined, sourceId: undefined, neighborIp: undefined,
      communities: [], largeCommunities: [], origin: "igp", localPref: undefined, med: undefined, asPath: [],
      filtered: false, stale: false,
    });
  });

  it("decodes a learned path's source", () => {
    const learned = { ...local, best: false, sourceAsn: 64512, sourceId: "192.0.2.11", neighborIp: "192.0.2.11" };
    expect(decodePath(learned)).toMatchObject({ sourceAsn: 64512, sourceId: "192.0.2.11", neighborIp: "192.0.2.11", best: false });
  });

  it("reports watch events as best unless withdrawn", () => {
    expect(decodePath({ ...local, best: false }, "", true)?.best).toBe(true);
    expect(decodePath({ ...local, best: false, isWithdraw: true }, "", true)).toMatchObject({ best: false, withdrawal: true });
  });

  it("falls back to the destination or MP_REACH prefix, and skips other families", () => {
    expect(decodePath({ ...local, nlri: null }, "198.18.0.0/26")?.prefix).toBe("198.18.0.0/26");
    const v6 = {
      ...local, nlri: null, family: { afi: "AFI_IP6", safi: "SAFI_UNICAST" },
      pattrs: [packAny("MpReachNLRIAttribute", { nextHops: ["2001:db8::1"], nlris: [packAny("IPAddressPrefix", { prefix: "2001:db8:0:1::", prefixLen: 64 })] })],
    };
    expect(decodePath(v6)).toMatchObject({ family: "ipv6-unicast", prefix: "2001:db8:0:1::/64", nextHop: "2001:db8::1" });
    expect(decodePath({ ...local, family: { afi: "AFI_L2VPN", safi: "SAFI_EVPN" } })).toBeUndefined();
    expect(decodePath({ ...local, nlri: null })).toBeUndefined();
  });
});

describe("UUIDs", () => {
  it("round-trips gobgpd's 16 bytes through the canonical text form", () => {
    const raw = Buffer.from("00112233445566778899aabbccddeeff", "hex");
    expect(uuidFromBytes(raw)).toBe("00112233-4455-6677-8899-aabbccddeeff");
    expect(uuidToBytes("00112233-4455-6677-8899-AABBCCDDEEFF")).toEqual(raw);
  });

  it("rejects what is not a UUID", () => {
    expect(() => uuidToBytes("nope")).toThrow(InvalidInputError);
    expect(() => uuidFromBytes(new Uint8Array(0))).toThrow(/0-byte/);
  });
});
