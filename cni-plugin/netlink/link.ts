/**
 * RTM_*LINK requests and replies: the veth pair (its peer created directly in the pod's
 * namespace through IFLA_NET_NS_FD), link up, lookup by name, delete.
 */
import { AddressFamily, Ifla, IflaInfo, Rtm, formatMac, iffUp, macBytes, rtextFilter, vethInfoPeer } from "./rtnl.ts";
import { NlmFlag, attr, attrNested, attrString, attrU32, message, parseAttrs, readI32, readString, readU32 } from "./wire.ts";

const ifinfomsgLength = 16;

function ifinfomsg(index: number, flags = 0, change = 0): Uint8Array {
  const b = new Uint8Array(ifinfomsgLength);
  const v = new DataView(b.buffer);
  v.setUint8(0, AddressFamily.unspec);
  v.setInt32(4, index, true);
  v.setUint32(8, flags, true);
  v.setUint32(12, change, true);
  return b;
}

export interface VethEnd {
  name: string;
  mtu: number;
  mac: string;
  up: boolean;
}

export interface VethPairSpec extends VethEnd {
  peer: VethEnd & { netnsFd: number };
}

// Attribute order as iproute2 sends them, so the golden tests can compare bytes with its requests.
function endAttrs(e: VethEnd): Uint8Array[] {
  return [attrU32(Ifla.mtu, e.mtu), attr(Ifla.address, macBytes(e.mac))];
}

/**
 * `ip link add name A mtu M address X [up] type veth peer name B mtu M address Y netns FD`:
 * one request makes both ends; the peer appears only inside the pod's namespace, so nothing
 * has to move a device between namespaces (which would cost an RCU grace period).
 */
export function createVethRequest(seq: number, v: VethPairSpec): Uint8Array {
  const peer = attrNested(vethInfoPeer,
    ifinfomsg(0, v.peer.up ? iffUp : 0, v.peer.up ? iffUp : 0),
    ...endAttrs(v.peer),
    attrU32(Ifla.netnsFd, v.peer.netnsFd),
    attrString(Ifla.ifname, v.peer.name));
  // IFLA_INFO_KIND without its NUL, as iproute2 sends it (the kernel accepts either).
  const kind = attr(IflaInfo.kind, new TextEncoder().encode("veth"));
  const linkinfo = attrNested(Ifla.linkinfo, kind, attrNested(IflaInfo.data, peer));
  return message(Rtm.newLink, NlmFlag.request | NlmFlag.ack | NlmFlag.create | NlmFlag.excl, seq,
    ifinfomsg(0, v.up ? iffUp : 0, v.up ? iffUp : 0), ...endAttrs(v), attrString(Ifla.ifname, v.name), linkinfo);
}

/** `ip link set dev INDEX up|down`. */
export function setLinkUpRequest(seq: number, index: number, up: boolean): Uint8Array {
  return message(Rtm.newLink, NlmFlag.request | NlmFlag.ack, seq, ifinfomsg(index, up ? iffUp : 0, iffUp));
}

export interface LinkChange {
  name?: string;
  group?: number;
  up?: boolean;
}

/**
 * `ip link set dev INDEX [name N] [group G] [up|down]`. The kernel renames before it changes
 * flags, and renames only devices that are down: take a device down in one request and rename it
 * in the next. (IFLA_TARGET_NETNSID does not address a device in another namespace here: on a
 * change request the kernel takes it as where to move the device, measured.)
 */
export function setLinkRequest(seq: number, index: number, c: LinkChange): Uint8Array {
  const attrs: Uint8Array[] = [];
  if (c.group !== undefined) attrs.push(attrU32(Ifla.group, c.group));
  if (c.name !== undefined) attrs.push(attrString(Ifla.ifname, c.name));
  const change = c.up === undefined ? 0 : iffUp;
  return message(Rtm.newLink, NlmFlag.request | NlmFlag.ack, seq, ifinfomsg(index, c.up === true ? iffUp : 0, change), ...attrs);
}

/** `ip link del group G`: every link of the group, in one batch (one RCU grace period for all). */
export function deleteGroupRequest(seq: number, group: number): Uint8Array {
  return message(Rtm.delLink, NlmFlag.request | NlmFlag.ack, seq, ifinfomsg(0), attrU32(Ifla.group, group));
}

/** `ip link show dev NAME`, without statistics (the lookup iproute2 makes before `link del`). */
export function getLinkRequest(seq: number, name: string): Uint8Array {
  return message(Rtm.getLink, NlmFlag.request, seq, ifinfomsg(0), attrU32(Ifla.extMask, rtextFilter), attrString(Ifla.ifname, name));
}

/** `ip link show dev INDEX` (from the socket's namespace), without statistics. */
export function getLinkByIndexRequest(seq: number, index: number): Uint8Array {
  return message(Rtm.getLink, NlmFlag.request, seq, ifinfomsg(index), attrU32(Ifla.extMask, rtextFilter));
}

/** `ip link show`: every link of the socket's namespace. */
export function dumpLinksRequest(seq: number): Uint8Array {
  return message(Rtm.getLink, NlmFlag.request | NlmFlag.dump, seq, ifinfomsg(0), attrU32(Ifla.extMask, rtextFilter));
}

/** `ip link del dev NAME|INDEX` (and so its veth peer, wherever it is, and the routes through it). */
export function deleteLinkRequest(seq: number, link: string | number): Uint8Array {
  return typeof link === "number"
    ? message(Rtm.delLink, NlmFlag.request | NlmFlag.ack, seq, ifinfomsg(link))
    : message(Rtm.delLink, NlmFlag.request | NlmFlag.ack, seq, ifinfomsg(0), attrString(Ifla.ifname, link));
}

export interface Link {
  index: number;
  name: string;
  flags: number;
  mtu: number | undefined;
  mac: string | undefined;
  kind: string | undefined;
  /** IFLA_LINK: for a veth, the peer's ifindex (in the peer's namespace). */
  peerIndex: number | undefined;
  /** IFLA_LINK_NETNSID: set when the peer lives in another namespace. */
  peerNetnsId: number | undefined;
  group: number | undefined;
}

/** Decodes the payload of an RTM_NEWLINK reply. */
export function decodeLink(payload: Uint8Array): Link {
  const v = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  const attrs = parseAttrs(payload, ifinfomsgLength);
  const linkinfo = attrs.get(Ifla.linkinfo);
  const address = attrs.get(Ifla.address);
  return {
    index: v.getInt32(4, true),
    flags: v.getUint32(8, true),
    name: readString(attrs.get(Ifla.ifname)) ?? "",
    mtu: readU32(attrs.get(Ifla.mtu)),
    mac: address === undefined ? undefined : formatMac(address),
    kind: linkinfo === undefined ? undefined : readString(parseAttrs(linkinfo).get(IflaInfo.kind)),
    peerIndex: readU32(attrs.get(Ifla.link)),
    peerNetnsId: readI32(attrs.get(Ifla.linkNetnsId)),
    group: readU32(attrs.get(Ifla.group)),
  };
}
