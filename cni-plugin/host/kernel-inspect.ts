import { closeSync } from "node:fs";
import { familyBits, formatAddress, parseAddress, sameAddress, type IpAddress } from "../../common/cidr.ts";
import { podRouteProtocol } from "../../common/route-protocols.ts";
import { decodeAddress, dumpAddressesRequest, getAddressRequest } from "../netlink/address.ts";
import { Errno } from "../netlink/errno.ts";
import { decodeRoute, dumpRoutesRequest, getRouteRequest, type Route } from "../netlink/route.ts";
import { RtScope, iffUp, rtTableMain } from "../netlink/rtnl.ts";
import { hostPrefix, hostSysctls, hostVethMac, nodeForwardingSysctls, podGatewayV4, podGatewayV6, type PodWiring } from "../pod-wiring.ts";
import { getLink } from "./get-link.ts";
import type { RtnlSocket } from "./netlink-socket.ts";
import { openNetns, socketInNetns } from "./netns.ts";
import { readSysctl } from "./sysctl.ts";

const gatewayV4 = parseAddress(podGatewayV4);
const gatewayV6 = parseAddress(podGatewayV6);
const scopeName = (s: number): string => (s === RtScope.link ? "link" : s === RtScope.host ? "host" : s === RtScope.universe ? "global" : String(s));

function describe(r: Route): string {
  const dst = r.dst === undefined ? "default" : `${formatAddress(r.dst)}/${r.dstLength}`;
  return `${dst}${r.gateway === undefined ? "" : ` via ${formatAddress(r.gateway)}`} oif ${r.oif ?? "-"} scope ${scopeName(r.scope)} proto ${r.protocol}`;
}

/** The host side: the veth, its sysctls, the IPv6 gateway address, one route per pod address. */
function inspectHost(host: RtnlSocket, w: PodWiring, hostIndex: number): string[] {
  const problems: string[] = [];
  for (const [path, value] of [...hostSysctls(w), ...nodeForwardingSysctls(w)]) {
    const actual = readSysctl(path);
    if (actual !== value) problems.push(`${path} is "${actual ?? "missing"}", expected "${value}"`);
  }
  if (w.addresses.some((a) => a.family === 6)) {
    const have = host.get((seq) => getAddressRequest(seq, hostIndex, gatewayV6), `address ${podGatewayV6} on ${w.hostVeth}`, [Errno.EADDRNOTAVAIL]);
    if (have === undefined) problems.push(`host veth ${w.hostVeth} lacks the pods' IPv6 gateway ${podGatewayV6}`);
  }
  for (const a of w.addresses) {
    const m = host.get((seq) => getRouteRequest(seq, a), `route to ${formatAddress(a)}`, [Errno.ENETUNREACH]);
    const r = m === undefined ? undefined : decodeRoute(m.payload);
    const want = `host route ${hostPrefix(a)} dev ${w.hostVeth}`;
    if (r === undefined || r.dst === undefined || !sameAddress(r.dst, a) || r.dstLength !== familyBits(a.family)) {
      problems.push(`${want} is missing${r === undefined ? "" : ` (the kernel would use ${describe(r)})`}`);
      continue;
    }
    // IPv6 routes have no scope: the kernel reports every one as global.
    const scopeOk = a.family === 6 || r.scope === RtScope.link;
    if (r.oif !== hostIndex || !scopeOk || r.protocol !== podRouteProtocol || r.table !== rtTableMain) {
      problems.push(`${want} scope link proto ${podRouteProtocol} is ${describe(r)} in table ${r.table}`);
    }
  }
  return problems;
}

function hasRoute(routes: Route[], oif: number, dst: IpAddress | undefined, gateway: IpAddress | undefined, scope: number): boolean {
  return routes.some((r) => r.oif === oif && r.scope === scope &&
    (dst === undefined ? r.dstLength === 0 : r.dst !== undefined && sameAddress(r.dst, dst) && r.dstLength === familyBits(dst.family)) &&
    (gateway === undefined ? r.gateway === undefined : r.gateway !== undefined && sameAddress(r.gateway, gateway)));
}

/** The pod side, through a socket made in the pod's namespace: link, addresses, routes. */
function inspectInside(pod: RtnlSocket, w: PodWiring, hostIndex: number, hostPeer: number | undefined): string[] {
  const link = getLink(pod, w.ifname, ` in ${w.netns}`);
  if (link === undefined) return [`interface ${w.ifname} is missing in ${w.netns}`];
  const problems: string[] = [];
  if (link.mac !== w.containerMac) problems.push(`${w.ifname} MAC is ${link.mac}, expected ${w.containerMac}`);
  if (link.mtu !== w.mtu) problems.push(`${w.ifname} MTU is ${link.mtu}, expected ${w.mtu}`);
  if ((link.flags & iffUp) === 0) problems.push(`${w.ifname} is down`);
  if (link.peerIndex !== hostIndex || hostPeer !== link.index) problems.push(`${w.ifname} is not the peer of host veth ${w.hostVeth}`);
  const have = pod.dump((seq) => dumpAddressesRequest(seq), `addresses in ${w.netns}`)
    .map((m) => decodeAddress(m.payload)).filter((a) => a.index === link.index && a.address !== undefined)
    .map((a) => `${formatAddress(a.address as IpAddress)}/${a.prefixLength}`);
  for (const a of w.addresses) if (!have.includes(hostPrefix(a))) problems.push(`${w.ifname} lacks address ${hostPrefix(a)}`);
  const routes = (family: 4 | 6): Route[] => pod.dump((seq) => dumpRoutesRequest(seq, family), `routes in ${w.netns}`)
    .map((m) => decodeRoute(m.payload)).filter((r) => r.table === rtTableMain);
  if (w.addresses.some((a) => a.family === 4)) {
    const v4 = routes(4);
    if (!hasRoute(v4, link.index, gatewayV4, undefined, RtScope.link)) problems.push(`route to ${podGatewayV4} in the pod is missing`);
    if (!hasRoute(v4, link.index, undefined, gatewayV4, RtScope.universe)) problems.push(`default route via ${podGatewayV4} in the pod is missing`);
  }
  if (w.addresses.some((a) => a.family === 6) && !hasRoute(routes(6), link.index, undefined, gatewayV6, RtScope.universe)) {
    problems.push(`default route via ${podGatewayV6} in the pod is missing`);
  }
  return problems;
}

/** CHECK: everything ADD made, compared through netlink and /proc/sys; one line per difference. */
export function inspectPod(host: RtnlSocket, w: PodWiring): string[] {
  const hostLink = getLink(host, w.hostVeth, "");
  if (hostLink === undefined) return [`host veth ${w.hostVeth} is missing`];
  const problems: string[] = [];
  if (hostLink.kind !== "veth") problems.push(`host interface ${w.hostVeth} is a ${hostLink.kind ?? "device of unknown kind"}, not a veth`);
  if (hostLink.mac !== hostVethMac) problems.push(`host veth MAC is ${hostLink.mac}, expected ${hostVethMac}`);
  if (hostLink.mtu !== w.mtu) problems.push(`host veth MTU is ${hostLink.mtu}, expected ${w.mtu}`);
  if ((hostLink.flags & iffUp) === 0) problems.push(`host veth ${w.hostVeth} is down`);
  problems.push(...inspectHost(host, w, hostLink.index));
  const podNetns = openNetns(w.netns);
  let pod: RtnlSocket | undefined;
  try {
    pod = socketInNetns(podNetns);
    problems.push(...inspectInside(pod, w, hostLink.index, hostLink.peerIndex));
  } finally {
    pod?.close();
    closeSync(podNetns);
  }
  return problems;
}
