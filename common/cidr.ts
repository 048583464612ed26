/**
 * Family-agnostic IP and CIDR math. Parsing and formatting come from `ipaddr.js` (small, well
 * kept, fast to load: this module is on the CNI ADD path); arithmetic is done on BigInt so that
 * IPv4 and IPv6 share every function.
 */
import ipaddr from "ipaddr.js";
import { InvalidInputError } from "./errors.ts";

export type IpFamily = 4 | 6;

export interface IpAddress {
  readonly family: IpFamily;
  readonly value: bigint;
}

export interface Cidr {
  readonly family: IpFamily;
  /** The network address (host bits are zero). */
  readonly network: bigint;
  readonly prefixLength: number;
}

export function familyBits(family: IpFamily): 32 | 128 {
  return family === 4 ? 32 : 128;
}

function bytesToBigInt(bytes: readonly number[]): bigint {
  let v = 0n;
  for (const b of bytes) v = (v << 8n) | BigInt(b);
  return v;
}

function bigIntToBytes(value: bigint, length: number): number[] {
  const out = new Array<number>(length);
  let v = value;
  for (let i = length - 1; i >= 0; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

/** Parses a plain address (no prefix). IPv4 must be four decimal parts: `10.1` is rejected. */
export function parseAddress(text: string, field = "address"): IpAddress {
  if (typeof text !== "string" || text.length === 0) {
    throw new InvalidInputError(field, `expected an IP address string, got ${JSON.stringify(text)}`);
  }
  if (ipaddr.IPv4.isValidFourPartDecimal(text)) {
    return { family: 4, value: bytesToBigInt(ipaddr.IPv4.parse(text).toByteArray()) };
  }
  if (text.includes(":") && ipaddr.IPv6.isValid(text) && !text.includes("%")) {
    return { family: 6, value: bytesToBigInt(ipaddr.IPv6.parse(text).toByteArray()) };
  }
  throw new InvalidInputError(field, `"${text}" is not an IPv4 or IPv6 address`);
}

export function formatAddress(addr: IpAddress): string {
  const bytes = bigIntToBytes(addr.value, familyBits(addr.family) / 8);
  return ipaddr.fromByteArray(bytes).toString();
}

function hostMask(family: IpFamily, prefixLength: number): bigint {
  return (1n << BigInt(familyBits(family) - prefixLength)) - 1n;
}

/**
 * Parses `a.b.c.d/n` or `x::/n`. With `strict` (the default) host bits must be zero, because a
 * block or pool written as `198.18.0.5/26` is almost always a typo for something else.
 */
export function parseCidr(text: string, field = "cidr", strict = true): Cidr {
  if (typeof text !== "string") {
    throw new InvalidInputError(field, `expected a CIDR string such as "198.18.0.0/26", got ${JSON.stringify(text)}`);
  }
  const slash = text.indexOf("/");
  if (slash < 0) {
    throw new InvalidInputError(field, `"${text}" has no prefix length; write it as a CIDR such as "198.18.0.0/26"`);
  }
  const addr = parseAddress(text.slice(0, slash), field);
  const prefixText = text.slice(slash + 1);
  const bits = familyBits(addr.family);
  const prefixLength = /^\d{1,3}$/.test(prefixText) ? Number(prefixText) : NaN;
  if (!(prefixLength >= 0 && prefixLength <= bits)) {
    throw new InvalidInputError(field, `"${text}" has prefix length "${prefixText}"; IPv${addr.family} allows 0 to ${bits}`);
  }
  const network = addr.value & ~hostMask(addr.family, prefixLength);
  if (strict && network !== addr.value) {
    const fixed = formatCidr({ family: addr.family, network, prefixLength });
    throw new InvalidInputError(field, `"${text}" has host bits set; did you mean "${fixed}"?`);
  }
  return { family: addr.family, network, prefixLength };
}

/**
 * parseCidr that answers undefined where it would throw: for CIDRs read from objects that are
 * reported, not used, when they are not CIDRs (the CRD schema validates them; this is the backstop).
 */
export function tryParseCidr(text: string, strict = true): Cidr | undefined {
  try {
    return parseCidr(text, "cidr", strict);
  } catch {
    return undefined;
  }
}

export function formatCidr(cidr: Cidr): string {
  return `${formatAddress({ family: cidr.family, value: cidr.network })}/${cidr.prefixLength}`;
}

export function cidrSize(cidr: Cidr): bigint {
  return 1n << BigInt(familyBits(cidr.family) - cidr.prefixLength);
}

export function lastAddress(cidr: Cidr): IpAddress {
  return { family: cidr.family, value: cidr.network | hostMask(cidr.family, cidr.prefixLength) };
}

/** The address `offset` places after the network address; throws if it falls outside. */
export function addressAt(cidr: Cidr, offset: bigint): IpAddress {
  if (offset < 0n || offset >= cidrSize(cidr)) {
    throw new RangeError(`offset ${offset} is outside ${formatCidr(cidr)}`);
  }
  return { family: cidr.family, value: cidr.network + offset };
}

export function containsAddress(cidr: Cidr, addr: IpAddress): boolean {
  return addr.family === cidr.family &&
    (addr.value & ~hostMask(cidr.family, cidr.prefixLength)) === cidr.network;
}

/** True when `inner` lies entirely inside `outer` (equal counts as inside). */
export function containsCidr(outer: Cidr, inner: Cidr): boolean {
  return inner.prefixLength >= outer.prefixLength &&
    containsAddress(outer, { family: inner.family, value: inner.network });
}

export function cidrsOverlap(a: Cidr, b: Cidr): boolean {
  return containsCidr(a, b) || containsCidr(b, a);
}

export function sameAddress(a: IpAddress, b: IpAddress): boolean {
  return a.family === b.family && a.value === b.value;
}
