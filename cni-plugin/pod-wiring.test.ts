import { parseAddress } from "../common/cidr.ts";
import { hostSysctls, nodeForwardingSysctls, type PodWiring } from "./pod-wiring.ts";

const wiring: PodWiring = {
  netns: "/var/run/netns/pod1",
  ifname: "eth0",
  hostVeth: "ptl0123456789ab",
  containerMac: "0e:01:02:03:04:05",
  mtu: 1450,
  addresses: [parseAddress("198.18.0.7")],
};

describe("host sysctls", () => {
  it("IPv4: proxy ARP without delay, forwarding", () => {
    expect(hostSysctls(wiring)).toEqual([
      ["/proc/sys/net/ipv4/conf/ptl0123456789ab/proxy_arp", "1"],
      ["/proc/sys/net/ipv4/neigh/ptl0123456789ab/proxy_delay", "0"],
      ["/proc/sys/net/ipv4/conf/ptl0123456789ab/forwarding", "1"],
    ]);
  });

  it("IPv6: proxy NDP and forwarding; dual stack gets both sets", () => {
    const v6 = { ...wiring, addresses: [parseAddress("2001:db8::7")] };
    expect(hostSysctls(v6)).toEqual([
      ["/proc/sys/net/ipv6/conf/ptl0123456789ab/proxy_ndp", "1"],
      ["/proc/sys/net/ipv6/conf/ptl0123456789ab/forwarding", "1"],
    ]);
    expect(hostSysctls({ ...wiring, addresses: [...wiring.addresses, ...v6.addresses] })).toHaveLength(5);
  });
});

describe("node forwarding", () => {
  it("asks for IPv4 forwarding for an IPv4 pod, IPv6 forwarding only for an IPv6 pod", () => {
    expect(nodeForwardingSysctls(wiring)).toEqual([["/proc/sys/net/ipv4/ip_forward", "1"]]);
    expect(nodeForwardingSysctls({ addresses: [parseAddress("2001:db8::7")] })).toEqual([["/proc/sys/net/ipv6/conf/all/forwarding", "1"]]);
    expect(nodeForwardingSysctls({ addresses: [parseAddress("198.18.0.7"), parseAddress("2001:db8::7")] }).map(([p]) => p)).toEqual([
      "/proc/sys/net/ipv4/ip_forward",
      "/proc/sys/net/ipv6/conf/all/forwarding",
    ]);
  });
});
