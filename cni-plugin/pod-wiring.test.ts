import { parseAddress } from "../common/cidr.ts";
import { containerSetupScript, hostSetupScript, hostSysctls, nodeForwardingSysctls, type PodWiring } from "./pod-wiring.ts";

const wiring: PodWiring = {
  netns: "/var/run/netns/pod1",
  ifname: "eth0",
  hostVeth: "ptl0123456789ab",
  containerMac: "0e:01:02:03:04:05",
  mtu: 1450,
  addresses: [parseAddress("198.18.0.7")],
};

// Golden scripts: any change to what ADD asks of the kernel shows up here in review.
describe("wiring scripts (IPv4)", () => {
  it("host side: veth with fixed MAC, peer created inside the pod netns, /32 route with Petrel's protocol", () => {
    expect(hostSetupScript(wiring)).toBe(
      "link add name ptl0123456789ab mtu 1450 address ee:ee:ee:ee:ee:ee type veth peer name eth0 mtu 1450 address 0e:01:02:03:04:05 netns /var/run/netns/pod1\n" +
      "link set dev ptl0123456789ab up\n" +
      "route replace 198.18.0.7/32 dev ptl0123456789ab scope link proto 89\n",
    );
  });

  it("pod side: /32 address, link route to 169.254.1.1, default route via it", () => {
    expect(containerSetupScript(wiring)).toBe(
      "addr add 198.18.0.7/32 dev eth0\n" +
      "link set dev eth0 up\n" +
      "route add 169.254.1.1/32 dev eth0 scope link\n" +
      "route add default via 169.254.1.1 dev eth0\n",
    );
  });

  it("sysctls: proxy ARP without delay, forwarding", () => {
    expect(hostSysctls(wiring)).toEqual([
      ["/proc/sys/net/ipv4/conf/ptl0123456789ab/proxy_arp", "1"],
      ["/proc/sys/net/ipv4/neigh/ptl0123456789ab/proxy_delay", "0"],
      ["/proc/sys/net/ipv4/conf/ptl0123456789ab/forwarding", "1"],
    ]);
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

describe("wiring scripts (IPv6, family-agnostic types)", () => {
  const v6 = { ...wiring, addresses: [parseAddress("2001:db8::7")] };

  it("uses /128, nodad and the host veth's link-local gateway", () => {
    expect(containerSetupScript(v6)).toBe(
      "addr add 2001:db8::7/128 dev eth0 nodad\nlink set dev eth0 up\n-6 route add default via fe80::ecee:eeff:feee:eeee dev eth0\n",
    );
    expect(hostSysctls(v6).map(([p]) => p)).toEqual([
      "/proc/sys/net/ipv6/conf/ptl0123456789ab/proxy_ndp",
      "/proc/sys/net/ipv6/conf/ptl0123456789ab/forwarding",
    ]);
  });
});
