// Golden bytes: every request ADD sends, compared with what iproute2 6.1 sends for the same step
// (testdata/iproute2.json, captured with `strace -e write=` by test/scripts/capture-netlink-goldens.ts;
// sequence numbers zeroed). Any change to what ADD asks of the kernel shows up here in review.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseAddress } from "../../common/cidr.ts";
import type { PodWiring } from "../pod-wiring.ts";
import { deleteGroupRequest, deleteLinkRequest, getLinkRequest } from "./link.ts";
import { getRouteRequest } from "./route.ts";
import { createPair, hostRequests, podRequests, retirePodEndRequests, retireRequests } from "./wiring-requests.ts";

interface Golden { netnsFd: number; requests: Record<string, string> }
const golden = JSON.parse(readFileSync(join(__dirname, "testdata", "iproute2.json"), "utf8")) as Golden;
const iproute2 = (name: string): string => {
  const hex = golden.requests[name];
  if (hex === undefined) throw new Error(`testdata/iproute2.json has no request ${name}`);
  return hex;
};
const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");

// The capture's interface indexes: the host veth and the pod's eth0 were both ifindex 2.
const hostIndex = 2;
const podIndex = 2;
const dual: PodWiring = {
  netns: "/var/run/netns/pod",
  ifname: "eth0",
  hostVeth: "ptl0123456789ab",
  containerMac: "0e:01:02:03:04:05",
  mtu: 1450,
  addresses: [parseAddress("198.18.0.7"), parseAddress("2001:db8::7")],
};
const v4only: PodWiring = { ...dual, addresses: [parseAddress("198.18.0.7")] };

describe("ADD's requests are byte for byte what iproute2 sends", () => {
  it("veth pair: host end up with the fixed MAC, peer created inside the pod's netns (IFLA_NET_NS_FD)", () => {
    expect(hex(createPair(dual, golden.netnsFd).build(0))).toBe(iproute2("createVeth"));
  });

  it("host side, dual stack: the IPv6 gateway address without DAD, then a route per pod address", () => {
    const reqs = hostRequests(dual, hostIndex);
    expect(reqs.map((r) => r.what)).toEqual([
      "address fe80::ecee:eeff:feee:eeee/64 on ptl0123456789ab",
      "route 198.18.0.7/32 dev ptl0123456789ab",
      "route 2001:db8::7/128 dev ptl0123456789ab",
    ]);
    expect(reqs.map((r) => hex(r.build(0)))).toEqual([iproute2("hostGatewayV6"), iproute2("hostRouteV4"), iproute2("hostRouteV6")]);
  });

  it("host side, IPv4 only: just the route", () => {
    expect(hostRequests(v4only, hostIndex).map((r) => hex(r.build(0)))).toEqual([iproute2("hostRouteV4")]);
  });

  it("pod side, dual stack: addresses, link up, gateway route, default routes", () => {
    const reqs = podRequests(dual, podIndex);
    expect(reqs.map((r) => r.what)).toEqual([
      "address 198.18.0.7/32 on eth0 in /var/run/netns/pod",
      "address 2001:db8::7/128 on eth0 in /var/run/netns/pod",
      "link eth0 in /var/run/netns/pod",
      "route 169.254.1.1/32 dev eth0 in /var/run/netns/pod",
      "default route via 169.254.1.1 dev eth0 in /var/run/netns/pod",
      "default route via fe80::ecee:eeff:feee:eeee dev eth0 in /var/run/netns/pod",
    ]);
    expect(reqs.map((r) => hex(r.build(0)))).toEqual([
      iproute2("podAddressV4"), iproute2("podAddressV6"), iproute2("podLinkUp"),
      iproute2("podGatewayRouteV4"), iproute2("podDefaultRouteV4"), iproute2("podDefaultRouteV6"),
    ]);
  });

  it("lookups: a link by name, the route the kernel would use (fibmatch)", () => {
    expect(hex(getLinkRequest(0, "eth0"))).toBe(iproute2("getLink"));
    expect(hex(getRouteRequest(0, parseAddress("198.18.0.7")))).toBe(iproute2("getRouteV4"));
  });

  it("sequence numbers go into the header", () => {
    const b = createPair(dual, 7).build(0x01020304);
    expect(hex(b.subarray(8, 12))).toBe("04030201");
  });
});

describe("DEL's requests", () => {
  it("host end: `ip link set dev X down`, then `ip link set dev X name ptx… group 89`", () => {
    const reqs = retireRequests("ptl0123456789ab", 2);
    expect(reqs.map((r) => r.what)).toEqual(["veth ptl0123456789ab", "veth ptl0123456789ab"]);
    expect(reqs.map((r) => hex(r.build(0)))).toEqual([iproute2("hostDown"), iproute2("hostRetire")]);
  });

  it("pod end: down, then renamed to the retired name (iproute2's bytes for the same on ifindex 2)", () => {
    const reqs = retirePodEndRequests("eth0", 2, "ptx0123456789ab", "/var/run/netns/pod");
    expect(reqs.map((r) => r.what)).toEqual(["interface eth0 in /var/run/netns/pod", "interface eth0 in /var/run/netns/pod"]);
    // iproute2's `name ptx… group 89` without the group attribute (8 bytes shorter).
    const renameOnly = iproute2("hostRetire").replace("08001b0059000000", "").replace(/^3c/, "34");
    expect(reqs.map((r) => hex(r.build(0)))).toEqual([iproute2("hostDown"), renameOnly]);
  });

  it("the batch that destroys every retired pair is `ip link del group 89`", () => {
    expect(hex(deleteGroupRequest(0, 89))).toBe(iproute2("deleteGroup"));
  });
});

describe("requests iproute2 makes differently", () => {
  it("delete by name in one request (iproute2 looks the index up first)", () => {
    // nlmsghdr: len 52, RTM_DELLINK, REQUEST|ACK; ifinfomsg all zero; IFLA_IFNAME "ptl0123456789ab\0".
    expect(hex(deleteLinkRequest(0, "ptl0123456789ab"))).toBe(
      "3400000011000500000000000000000000000000000000000000000000000000" + "1400030070746c30313233343536373839616200",
    );
  });
});
