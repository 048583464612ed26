import { formatAddress, type IpAddress } from "../common/cidr.ts";
import { podRouteProtocol } from "../common/route-protocols.ts";

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
/** The IPv4 gateway the pod routes to; the host veth answers ARP for it by proxy ARP. */
export const podGatewayV4 = "169.254.1.1";
/** The IPv6 gateway: the host veth's link-local address, derived from its fixed MAC (EUI-64). */
export const podGatewayV6 = "fe80::ecee:eeff:feee:eeee";

export function gatewayFor(address: IpAddress): string {
  return address.family === 4 ? podGatewayV4 : podGatewayV6;
}

export function hostPrefix(address: IpAddress): string {
  return `${formatAddress(address)}/${address.family === 4 ? 32 : 128}`;
}

/**
 * `ip -batch` script for the host namespace: the veth pair (container end created directly in
 * the pod's namespace) and the host route to each pod address. One process for all of it.
 */
export function hostSetupScript(w: PodWiring): string {
  const lines = [
    `link add name ${w.hostVeth} mtu ${w.mtu} address ${hostVethMac} type veth ` +
      `peer name ${w.ifname} mtu ${w.mtu} address ${w.containerMac} netns ${w.netns}`,
    `link set dev ${w.hostVeth} up`,
    ...w.addresses.map((a) =>
      `route replace ${hostPrefix(a)} dev ${w.hostVeth} scope link proto ${podRouteProtocol}`),
  ];
  return `${lines.join("\n")}\n`;
}

/** `ip -batch` script for the pod's namespace: address, link up, gateway and default routes. */
export function containerSetupScript(w: PodWiring): string {
  const lines: string[] = [];
  for (const a of w.addresses) {
    lines.push(`addr add ${hostPrefix(a)} dev ${w.ifname}${a.family === 6 ? " nodad" : ""}`);
  }
  lines.push(`link set dev ${w.ifname} up`);
  if (w.addresses.some((a) => a.family === 4)) {
    lines.push(`route add ${podGatewayV4}/32 dev ${w.ifname} scope link`);
    lines.push(`route add default via ${podGatewayV4} dev ${w.ifname}`);
  }
  if (w.addresses.some((a) => a.family === 6)) {
    lines.push(`-6 route add default via ${podGatewayV6} dev ${w.ifname}`);
  }
  return `${lines.join("\n")}\n`;
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
