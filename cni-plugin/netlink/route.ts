/** RTM_*ROUTE requests and replies: host routes to pods, the pod's gateway and default routes. */
import type { IpAddress, IpFamily } from "../../common/cidr.ts";
import { RtProto, RtScope, Rta, Rtm, addressBytes, addressFamily, bytesAddress, rtTableMain, rtmFlagFibMatch, rtnUnicast } from "./rtnl.ts";
import { NlmFlag, attr, attrU32, message, parseAttrs, readU32 } from "./wire.ts";

const rtmsgLength = 12;

export interface RouteSpec {
  family: IpFamily;
  /** Undefined for a default route. */
  dst: IpAddress | undefined;
  dstLength: number;
  gateway?: IpAddress;
  oif: number;
  scope: number;
  protocol: number;
}

function rtmsg(family: IpFamily, dstLength: number, protocol: number, scope: number, type: number, flags = 0, table = rtTableMain): Uint8Array {
  const b = new Uint8Array(rtmsgLength);
  const v = new DataView(b.buffer);
  v.setUint8(0, addressFamily(family));
  v.setUint8(1, dstLength);
  v.setUint8(4, table);
  v.setUint8(5, protocol);
  v.setUint8(6, scope);
  v.setUint8(7, type);
  v.setUint32(8, flags, true);
  return b;
}

const opFlags = {
  add: NlmFlag.request | NlmFlag.ack | NlmFlag.create | NlmFlag.excl,
  replace: NlmFlag.request | NlmFlag.ack | NlmFlag.create | NlmFlag.replace,
} as const;

/** `ip route add|replace DST dev OIF [via GW] scope S proto P` in the main table. */
export function routeRequest(seq: number, op: keyof typeof opFlags, r: RouteSpec): Uint8Array {
  const attrs: Uint8Array[] = [];
  if (r.dst !== undefined) attrs.push(attr(Rta.dst, addressBytes(r.dst)));
  if (r.gateway !== undefined) attrs.push(attr(Rta.gateway, addressBytes(r.gateway)));
  attrs.push(attrU32(Rta.oif, r.oif));
  return message(Rtm.newRoute, opFlags[op], seq, rtmsg(r.family, r.dstLength, r.protocol, r.scope, rtnUnicast), ...attrs);
}

/** `ip route get fibmatch ADDRESS`: the routing table entry that the kernel would use. */
export function getRouteRequest(seq: number, dst: IpAddress): Uint8Array {
  const bits = dst.family === 4 ? 32 : 128;
  return message(Rtm.getRoute, NlmFlag.request, seq, rtmsg(dst.family, bits, 0, RtScope.universe, 0, rtmFlagFibMatch, 0),
    attr(Rta.dst, addressBytes(dst)));
}

/** `ip route show table all` for one family (the pod's namespace holds a handful). */
export function dumpRoutesRequest(seq: number, family: IpFamily): Uint8Array {
  return message(Rtm.getRoute, NlmFlag.request | NlmFlag.dump, seq, rtmsg(family, 0, 0, RtScope.universe, 0));
}

export interface Route {
  family: IpFamily;
  dst: IpAddress | undefined;
  dstLength: number;
  table: number;
  protocol: number;
  scope: number;
  type: number;
  gateway: IpAddress | undefined;
  oif: number | undefined;
}

export function decodeRoute(payload: Uint8Array): Route {
  const v = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  const attrs = parseAttrs(payload, rtmsgLength);
  const dst = attrs.get(Rta.dst);
  const gateway = attrs.get(Rta.gateway);
  return {
    family: v.getUint8(0) === addressFamily(4) ? 4 : 6,
    dstLength: v.getUint8(1),
    table: readU32(attrs.get(Rta.table)) ?? v.getUint8(4),
    protocol: v.getUint8(5),
    scope: v.getUint8(6),
    type: v.getUint8(7),
    dst: dst === undefined ? undefined : bytesAddress(dst),
    gateway: gateway === undefined ? undefined : bytesAddress(gateway),
    oif: readU32(attrs.get(Rta.oif)),
  };
}

export { RtProto, RtScope };
