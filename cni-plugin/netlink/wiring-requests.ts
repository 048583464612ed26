/**
 * What ADD asks of the kernel, as netlink requests: pure, so the bytes are reviewed in golden
 * tests (`wiring-requests.test.ts`, checked against what iproute2 sends for the same wiring).
 * Each request carries the object it concerns, which names the error if the kernel refuses it.
 */
import { familyBits, formatAddress, parseAddress, type IpAddress } from "../../common/cidr.ts";
import { podRouteProtocol } from "../../common/route-protocols.ts";
import { hostPrefix, hostVethMac, podGatewayV4, podGatewayV6, retiredVethGroup, type PodWiring } from "../pod-wiring.ts";
import { retiredVethName } from "../veth-name.ts";
import { addAddressRequest } from "./address.ts";
import { createVethRequest, setLinkRequest, setLinkUpRequest } from "./link.ts";
import { RtProto, RtScope, routeRequest } from "./route.ts";

export interface Request {
  /** The object, for error messages: `veth ptl…`, `route 198.18.0.7/32 dev ptl…`. */
  what: string;
  build: (seq: number) => Uint8Array;
}

const gatewayV4 = parseAddress(podGatewayV4);
const gatewayV6 = parseAddress(podGatewayV6);

/** The veth pair: host end up at once, pod end created down inside the pod's namespace. */
export function createPair(w: PodWiring, podNetnsFd: number): Request {
  return {
    what: `veth ${w.hostVeth}`,
    build: (seq) => createVethRequest(seq, {
      name: w.hostVeth, mtu: w.mtu, mac: hostVethMac, up: true,
      peer: { name: w.ifname, mtu: w.mtu, mac: w.containerMac, up: false, netnsFd: podNetnsFd },
    }),
  };
}

/**
 * Host side, after the sysctls: for IPv6 the pods' gateway address itself (fe80::ecee:eeff:feee:eeee,
 * added explicitly and without DAD, so it is usable at once and does not depend on the host's
 * addr_gen_mode), then a /32 (/128) route per pod address, scope link, Petrel's pod protocol.
 */
export function hostRequests(w: PodWiring, hostIndex: number): Request[] {
  const out: Request[] = [];
  if (w.addresses.some((a) => a.family === 6)) {
    out.push({
      what: `address ${podGatewayV6}/64 on ${w.hostVeth}`,
      build: (seq) => addAddressRequest(seq, { index: hostIndex, address: gatewayV6, prefixLength: 64, nodad: true, scope: RtScope.link }),
    });
  }
  for (const a of w.addresses) {
    out.push({
      what: `route ${hostPrefix(a)} dev ${w.hostVeth}`,
      build: (seq) => routeRequest(seq, "replace", {
        family: a.family, dst: a, dstLength: familyBits(a.family), oif: hostIndex, scope: RtScope.link, protocol: podRouteProtocol,
      }),
    });
  }
  return out;
}

function podAddress(w: PodWiring, podIndex: number, a: IpAddress): Request {
  return {
    what: `address ${hostPrefix(a)} on ${w.ifname} in ${w.netns}`,
    build: (seq) => addAddressRequest(seq, { index: podIndex, address: a, prefixLength: familyBits(a.family), nodad: a.family === 6 }),
  };
}

/** Pod side: addresses (IPv6 without DAD), link up, then the gateway and default routes. */
export function podRequests(w: PodWiring, podIndex: number): Request[] {
  const out = w.addresses.map((a) => podAddress(w, podIndex, a));
  out.push({ what: `link ${w.ifname} in ${w.netns}`, build: (seq) => setLinkUpRequest(seq, podIndex, true) });
  if (w.addresses.some((a) => a.family === 4)) {
    out.push({
      what: `route ${podGatewayV4}/32 dev ${w.ifname} in ${w.netns}`,
      build: (seq) => routeRequest(seq, "add", {
        family: 4, dst: gatewayV4, dstLength: 32, oif: podIndex, scope: RtScope.link, protocol: RtProto.boot,
      }),
    });
    out.push({
      what: `default route via ${podGatewayV4} dev ${w.ifname} in ${w.netns}`,
      build: (seq) => routeRequest(seq, "add", {
        family: 4, dst: undefined, dstLength: 0, gateway: gatewayV4, oif: podIndex, scope: RtScope.universe, protocol: RtProto.boot,
      }),
    });
  }
  if (w.addresses.some((a) => a.family === 6)) {
    out.push({
      what: `default route via ${formatAddress(gatewayV6)} dev ${w.ifname} in ${w.netns}`,
      build: (seq) => routeRequest(seq, "add", {
        family: 6, dst: undefined, dstLength: 0, gateway: gatewayV6, oif: podIndex, scope: RtScope.universe, protocol: RtProto.boot,
      }),
    });
  }
  return out;
}

/**
 * DEL's requests for the host end (docs/cni-plugin.md, "DEL"): down — which stops all traffic to
 * the pod and makes the kernel drop every route through it — then the retired name and the
 * retired link group, in which a later DEL destroys every retired pair with one request. The
 * kernel renames only a device that is down, so these are two requests.
 */
export function retireRequests(hostVeth: string, hostIndex: number): Request[] {
  const retired = retiredVethName(hostVeth);
  return [
    { what: `veth ${hostVeth}`, build: (seq) => setLinkRequest(seq, hostIndex, { up: false }) },
    { what: `veth ${hostVeth}`, build: (seq) => setLinkRequest(seq, hostIndex, { name: retired, group: retiredVethGroup }) },
  ];
}

/**
 * The pod end of a retired pair, on a socket in the pod's namespace: down and renamed to the
 * retired name too, so the namespace can get a new interface of the old name at once.
 */
export function retirePodEndRequests(podEnd: string, podIndex: number, retired: string, netns: string): Request[] {
  const what = `interface ${podEnd} in ${netns}`;
  return [
    { what, build: (seq) => setLinkRequest(seq, podIndex, { up: false }) },
    { what, build: (seq) => setLinkRequest(seq, podIndex, { name: retired }) },
  ];
}
