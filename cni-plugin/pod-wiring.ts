import { formatAddress, type IpAddress } from "../common/cidr.ts";

/** Everything the data plane needs to wire one pod interface (DESIGN.md, "Data plane"). */
export interface PodWiring {
  netns: string;
  ifname: string;
  hostVeth: string;
  containerMac: string;
  mtu: number;
  addresses: IpAddress[];
}

/** The fixed MAC of every host-side veth: pods always see the same gateway MAC. */
export const hostVethMac = "ee:ee:ee:ee:ee:ee";
/** The retired pairs' link group and reaping delay: common/pod-veth.ts (the agent reaps them too). */
export { retiredVethGroup, retiredVethReapAfterMs } from "../common/pod-veth.ts";
/** The IPv4 gateway the pod routes to; the host veth answers ARP for it by proxy ARP. */
export const podGatewayV4 = "169.254.1.1";
/**
 * The IPv6 gateway: the host veth's link-local address, the EUI-64 form of its fixed MAC. The
 * plugin adds it itself (without DAD), so it does not depend on the host's addr_gen_mode.
 */
export const podGatewayV6 = "fe80::ecee:eeff:feee:eeee";

export function gatewayFor(address: IpAddress): string {
  return address.family === 4 ? podGatewayV4 : podGatewayV6;
}

export function hostPrefix(address: IpAddress): string {
  return `${formatAddress(address)}/${address.family === 4 ? 32 : 128}`;
}

/**
 * Node-wide forwarding, which a routed pod network cannot work without: with
 * `net.ipv4.ip_forward=0` the kernel drops every packet that arrives on the node's uplink for a
 * pod (from other nodes, and hostPort traffic DNATed by portmap), because IPv4 forwarding is
 * decided by the interface a packet comes in on. ADD turns it on when it is off, as the reference
 * ptp and bridge plugins do (docs/cni-plugin.md, "Node forwarding"). Writing `ip_forward` also
 * sets `conf/all/forwarding` and every existing interface's `forwarding`. IPv6 only for pods with
 * an IPv6 address: `conf/all/forwarding=1` makes interfaces stop accepting router advertisements
 * unless their `accept_ra` is 2.
 */
export function nodeForwardingSysctls(w: Pick<PodWiring, "addresses">): Array<[path: string, value: string]> {
  const out: Array<[string, string]> = [];
  if (w.addresses.some((a) => a.family === 4)) out.push(["/proc/sys/net/ipv4/ip_forward", "1"]);
  if (w.addresses.some((a) => a.family === 6)) out.push(["/proc/sys/net/ipv6/conf/all/forwarding", "1"]);
  return out;
}

/** Host-side sysctls for the veth: proxy ARP with no delay and forwarding (IPv6: proxy NDP). */
export function hostSysctls(w: PodWiring): Array<[path: string, value: string]> {
  const out: Array<[string, string]> = [];
  if (w.addresses.some((a) => a.family === 4)) {
    out.push([`/proc/sys/net/ipv4/conf/${w.hostVeth}/proxy_arp`, "1"]);
    out.push([`/proc/sys/net/ipv4/neigh/${w.hostVeth}/proxy_delay`, "0"]);
    out.push([`/proc/sys/net/ipv4/conf/${w.hostVeth}/forwarding`, "1"]);
  }
  if (w.addresses.some((a) => a.family === 6)) {
    out.push([`/proc/sys/net/ipv6/conf/${w.hostVeth}/proxy_ndp`, "1"]);
    out.push([`/proc/sys/net/ipv6/conf/${w.hostVeth}/forwarding`, "1"]);
  }
  return out;
}
