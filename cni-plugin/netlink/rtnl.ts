/**
 * rtnetlink numbers the plugin uses (linux/rtnetlink.h, if_link.h, if_addr.h, if.h) and the
 * small conversions between Petrel's types and the kernel's byte layouts.
 */
import type { IpAddress, IpFamily } from "../../common/cidr.ts";

export const Rtm = {
  newLink: 16, delLink: 17, getLink: 18,
  newAddr: 20, delAddr: 21, getAddr: 22,
  newRoute: 24, delRoute: 25, getRoute: 26,
} as const;

export const AddressFamily = { unspec: 0, inet: 2, inet6: 10 } as const;

export function addressFamily(family: IpFamily): number {
  return family === 4 ? AddressFamily.inet : AddressFamily.inet6;
}

export const Ifla = {
  address: 1, ifname: 3, mtu: 4, link: 5, operstate: 16, linkinfo: 18, group: 27, netnsFd: 28, extMask: 29, linkNetnsId: 37,
} as const;
export const IflaInfo = { kind: 1, data: 2 } as const;
export const vethInfoPeer = 1;
/** IFLA_EXT_MASK value, as iproute2 asks: RTEXT_FILTER_VF | RTEXT_FILTER_SKIP_STATS. */
export const rtextFilter = 1 | (1 << 3);

export const iffUp = 0x1;
export const iffLowerUp = 0x10000;

export const Ifa = { address: 1, local: 2, flags: 8 } as const;
export const ifaFlagNodad = 0x02;
export const ifaFlagPermanent = 0x80;

export const Rta = { dst: 1, oif: 4, gateway: 5, priority: 6, table: 15 } as const;
export const rtTableMain = 254;
export const RtScope = { universe: 0, link: 253, host: 254 } as const;
export const RtProto = { kernel: 2, boot: 3 } as const;
export const rtnUnicast = 1;
/** rtm_flags: answer RTM_GETROUTE with the FIB entry that matched (RTM_F_FIB_MATCH | RTM_F_LOOKUP_TABLE). */
export const rtmFlagFibMatch = 0x2000 | 0x1000;

/** Network-order bytes of an address (4 or 16). */
export function addressBytes(a: IpAddress): Uint8Array {
  const length = a.family === 4 ? 4 : 16;
  const out = new Uint8Array(length);
  let v = a.value;
  for (let i = length - 1; i >= 0; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

export function bytesAddress(b: Uint8Array): IpAddress | undefined {
  if (b.length !== 4 && b.length !== 16) return undefined;
  let v = 0n;
  for (const x of b) v = (v << 8n) | BigInt(x);
  return { family: b.length === 4 ? 4 : 6, value: v };
}

export function macBytes(mac: string): Uint8Array {
  const parts = mac.split(":");
  if (parts.length !== 6 || parts.some((p) => !/^[0-9a-fA-F]{2}$/.test(p))) throw new Error(`"${mac}" is not a MAC address`);
  return Uint8Array.from(parts.map((p) => parseInt(p, 16)));
}

export function formatMac(b: Uint8Array): string {
  return [...b].map((x) => x.toString(16).padStart(2, "0")).join(":");
}
