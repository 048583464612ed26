import { canonicalDst, splitRoutes } from "./kernel-routes.ts";

describe("splitRoutes", () => {
  it("splits a numeric listing into Petrel's routes and the prefixes other routes hold", () => {
    // As `ip -N -j route show table main` printed it on this machine (iproute2 6.1).
    const json = JSON.stringify([
      { dst: "default", gateway: "192.0.2.254", dev: "ul0", protocol: "4", flags: [] },
      { dst: "192.0.2.0/24", dev: "d0", protocol: "2", scope: "253", prefsrc: "192.0.2.1", flags: [] },
      { dst: "198.18.0.5", dev: "d0", protocol: "89", scope: "253", flags: [] },
      { dst: "198.18.0.64/26", gateway: "192.0.2.13", dev: "d0", protocol: "88", flags: [] },
      { type: "6", dst: "198.18.1.0/26", protocol: "88", flags: [] },
    ]);
    expect(splitRoutes(json, 4)).toEqual({
      petrel: [{ prefix: "198.18.0.64/26", kind: "via", gateway: "192.0.2.13" }, { prefix: "198.18.1.0/26", kind: "blackhole" }],
      foreign: ["0.0.0.0/0", "192.0.2.0/24", "198.18.0.5/32"],
    });
    expect(splitRoutes("", 6)).toEqual({ petrel: [], foreign: [] });
  });

  it("makes IPv6 prefixes canonical", () => {
    expect(canonicalDst("2001:db8:0::/64", 6)).toBe("2001:db8::/64");
    expect(canonicalDst("2001:db8::1", 6)).toBe("2001:db8::1/128");
    expect(canonicalDst("default", 6)).toBe("::/0");
  });
});
