/** RTM_*ADDR requests and replies: the pod's /32 (/128) and the host veth's IPv6 gateway address. */
import type { IpAddress } from "../../common/cidr.ts";
import { Ifa, RtScope, Rtm, addressBytes, addressFamily, bytesAddress, ifaFlagNodad } from "./rtnl.ts";
import { NlmFlag, attr, message, parseAttrs, readU32 } from "./wire.ts";

const ifaddrmsgLength = 8;

export interface AddressSpec {
  index: number;
  address: IpAddress;
  prefixLength: number;
  /** IPv6: valid at once, without duplicate address detection (`nodad`). */
  nodad: boolean;
  /** Default: universe, as iproute2 picks for a global address. */
  scope?: number;
}

/** `ip addr add ADDRESS/LEN dev INDEX [scope S] [nodad]`. */
export function addAddressRequest(seq: number, a: AddressSpec): Uint8Array {
  const fixed = new Uint8Array(ifaddrmsgLength);
  const v = new DataView(fixed.buffer);
  const flags = a.nodad ? ifaFlagNodad : 0;
  v.setUint8(0, addressFamily(a.address.family));
  v.setUint8(1, a.prefixLength);
  v.setUint8(2, flags);
  v.setUint8(3, a.scope ?? RtScope.universe);
  v.setUint32(4, a.index, true);
  const bytes = addressBytes(a.address);
  // The flags fit ifa_flags: no IFA_FLAGS attribute, as iproute2 does.
  return message(Rtm.newAddr, NlmFlag.request | NlmFlag.ack | NlmFlag.create | NlmFlag.excl, seq, fixed,
    attr(Ifa.local, bytes), attr(Ifa.address, bytes));
}

/** `ip -6 addr show dev INDEX to ADDRESS` (IPv6 answers a lookup of one address; IPv4 only dumps). */
export function getAddressRequest(seq: number, index: number, address: IpAddress): Uint8Array {
  const fixed = new Uint8Array(ifaddrmsgLength);
  const v = new DataView(fixed.buffer);
  v.setUint8(0, addressFamily(address.family));
  v.setUint32(4, index, true);
  return message(Rtm.getAddr, NlmFlag.request, seq, fixed, attr(Ifa.address, addressBytes(address)));
}

/** `ip addr show`: every address of the namespace (the pod's has two interfaces). */
export function dumpAddressesRequest(seq: number): Uint8Array {
  return message(Rtm.getAddr, NlmFlag.request | NlmFlag.dump, seq, new Uint8Array(ifaddrmsgLength));
}

export interface Address {
  index: number;
  address: IpAddress | undefined;
  prefixLength: number;
  scope: number;
  /** IFA_FLAGS when present (the 32-bit form), else the 8-bit ifa_flags. */
  flags: number;
}

export function decodeAddress(payload: Uint8Array): Address {
  const v = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  const attrs = parseAttrs(payload, ifaddrmsgLength);
  const raw = attrs.get(Ifa.local) ?? attrs.get(Ifa.address);
  return {
    prefixLength: v.getUint8(1),
    flags: readU32(attrs.get(Ifa.flags)) ?? v.getUint8(2),
    scope: v.getUint8(3),
    index: v.getUint32(4, true),
    address: raw === undefined ? undefined : bytesAddress(raw),
  };
}
