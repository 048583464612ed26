import { parseAddress } from "../common/cidr.ts";
import { buildAddResult, resultAddresses } from "./result.ts";

const outcome = {
  hostVeth: "ptl0123456789ab",
  ifname: "eth0",
  containerMac: "0e:01:02:03:04:05",
  netns: "/var/run/netns/pod1",
  mtu: 1500,
  addresses: [parseAddress("198.18.0.7")],
};

describe("buildAddResult", () => {
  it("1.0.0: interfaces without mtu (that field is new in 1.1.0)", () => {
    expect(buildAddResult("1.0.0", outcome).interfaces).toEqual([
      { name: "ptl0123456789ab", mac: "ee:ee:ee:ee:ee:ee" },
      { name: "eth0", mac: "0e:01:02:03:04:05", sandbox: "/var/run/netns/pod1" },
    ]);
  });

  it("1.1.0: host interface first, pod interface with sandbox, IP bound to interface 1, no version field", () => {
    expect(buildAddResult("1.1.0", outcome)).toEqual({
      cniVersion: "1.1.0",
      interfaces: [
        { name: "ptl0123456789ab", mac: "ee:ee:ee:ee:ee:ee", mtu: 1500 },
        { name: "eth0", mac: "0e:01:02:03:04:05", sandbox: "/var/run/netns/pod1", mtu: 1500 },
      ],
      ips: [{ address: "198.18.0.7/32", gateway: "169.254.1.1", interface: 1 }],
      routes: [{ dst: "0.0.0.0/0", gw: "169.254.1.1" }],
      dns: {},
    });
  });

  it("0.4.0: IPs carry their version, interfaces no mtu", () => {
    const r = buildAddResult("0.4.0", outcome);
    expect(r.cniVersion).toBe("0.4.0");
    expect(r.ips).toEqual([{ version: "4", address: "198.18.0.7/32", gateway: "169.254.1.1", interface: 1 }]);
    expect(r.interfaces[0]).toEqual({ name: "ptl0123456789ab", mac: "ee:ee:ee:ee:ee:ee" });
  });

  it("resultAddresses reads what CHECK compares", () => {
    expect(resultAddresses(buildAddResult("1.1.0", outcome) as unknown as Record<string, unknown>)).toEqual(["198.18.0.7/32"]);
    expect(resultAddresses({})).toEqual([]);
  });
});
