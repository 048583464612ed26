/**
 * Paths between the client's types and gobgpd's `Path` message: validation of what callers
 * add, and decoding of what ListPath and WatchEvent return.
 */
import { formatAddress, formatCidr, parseAddress, parseCidr, tryParseCidr, type Cidr } from "../../common/cidr.ts";
import { InvalidInputError } from "../../common/errors.ts";
import { packPathAttributes, packPrefix, packWithdrawAttributes, unpackPathAttributes, unpackPrefix } from "./attributes.ts";
import { parseCommunity, parseLargeCommunity } from "./communities.ts";
import { apiFamily, familyFromApi, familyOfIpVersion, parseFamily } from "./family.ts";
import { bool, field, list, num, str, timestamp } from "./narrow.ts";
import type { AddressFamily, BgpPath, Origin, PathInput } from "./types.ts";

const maxUint32 = 0xffffffff;

function uint32(value: number | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  if (!Number.isInteger(value) || value < 0 || value > maxUint32) {
    throw new InvalidInputError(name, `${value} is not an integer between 0 and ${maxUint32}`);
  }
  return value;
}

/** Parses a prefix and checks it against the family the caller named, if any. */
export function parsePrefix(prefix: string, family: AddressFamily | undefined, name: string): { cidr: Cidr; family: AddressFamily } {
  const cidr = parseCidr(prefix, name);
  const own = familyOfIpVersion(cidr.family);
  if (family !== undefined && parseFamily(family, "family") !== own) {
    throw new InvalidInputError(name, `"${prefix}" is an ${own} prefix, not ${family}`);
  }
  return { cidr, family: own };
}

const origins: readonly Origin[] = ["igp", "egp", "incomplete"];

/** The `Path` of an AddPath request. Throws InvalidInputError naming the bad field. */
export function encodePath(input: PathInput): { path: Record<string, unknown>; family: AddressFamily } {
  const { cidr, family } = parsePrefix(input.prefix, input.family, "prefix");
  const nextHop = parseAddress(input.nextHop, "nextHop");
  if (nextHop.family !== cidr.family) {
    throw new InvalidInputError("nextHop", `${input.nextHop} is not an IPv${cidr.family} address like the prefix ${input.prefix}`);
  }
  const origin = input.origin ?? "igp";
  if (!origins.includes(origin)) throw new InvalidInputError("origin", `"${origin}" is not one of ${origins.join(", ")}`);
  const pattrs = packPathAttributes({
    prefix: cidr,
    nextHop: formatAddress(nextHop),
    origin,
    communities: (input.communities ?? []).map((c, i) => parseCommunity(c, `communities[${i}]`)),
    largeCommunities: (input.largeCommunities ?? []).map((c, i) => parseLargeCommunity(c, `largeCommunities[${i}]`)),
    localPref: uint32(input.localPref, "localPref"),
    med: uint32(input.med, "med"),
  });
  return { path: { family: apiFamily(family), nlri: packPrefix(cidr), pattrs }, family };
}

/** The `Path` of a DeletePath request that withdraws our own path for a prefix. */
export function encodeWithdrawal(prefix: string, family?: AddressFamily): Record<string, unknown> {
  const parsed = parsePrefix(prefix, family, "prefix");
  return { family: apiFamily(parsed.family), nlri: packPrefix(parsed.cidr), pattrs: packWithdrawAttributes(parsed.cidr) };
}

/** gobgpd prints a nil net.IP as "<nil>" for locally originated paths. */
function peerText(value: string): string | undefined {
  return value === "" || value === "<nil>" ? undefined : value;
}

/**
 * Decodes one `Path`. `destination` is the Destination.prefix it was listed under, used when the
 * NLRI is missing. Returns undefined for families the client does not handle.
 * `impliedBest`: WatchEvent's best-path events leave `best` unset; every path in them is best.
 */
export function decodePath(path: unknown, destination = "", impliedBest = false): BgpPath | undefined {
  const family = familyFromApi(field(path, "family"));
  if (family === undefined) return undefined;
  const attrs = unpackPathAttributes(list(path, "pattrs"));
  const withdrawal = bool(path, "isWithdraw");
  const prefix = unpackPrefix(field(path, "nlri")) ?? (destination || attrs.mpReachPrefixes[0]);
  if (prefix === undefined || prefix === "") return undefined;
  const sourceAsn = num(path, "sourceAsn");
  return {
    family,
    prefix: normalizePrefix(prefix),
    nextHop: attrs.nextHop,
    best: impliedBest ? !withdrawal : bool(path, "best"),
    withdrawal,
    age: timestamp(path, "age"),
    sourceAsn: sourceAsn === 0 ? undefined : sourceAsn,
    sourceId: peerText(str(path, "sourceId")),
    neighborIp: peerText(str(path, "neighborIp")),
    communities: attrs.communities,
    largeCommunities: attrs.largeCommunities,
    origin: attrs.origin,
    localPref: attrs.localPref,
    med: attrs.med,
    asPath: attrs.asPath,
    filtered: bool(path, "filtered"),
    stale: bool(path, "stale"),
  };
}

/** Canonical text (`2001:db8:1::/64`, not `2001:0db8:1:0::/64`), so callers can compare strings. */
function normalizePrefix(prefix: string): string {
  const cidr = tryParseCidr(prefix, false);
  return cidr === undefined ? prefix : formatCidr(cidr);
}

export function uuidFromBytes(raw: Uint8Array): string {
  if (raw.length !== 16) throw new InvalidInputError("uuid", `gobgpd returned a ${raw.length}-byte UUID, expected 16`);
  const hex = Buffer.from(raw).toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export function uuidToBytes(uuid: string): Buffer {
  const hex = uuid.replaceAll("-", "");
  if (!/^[0-9a-fA-F]{32}$/.test(hex)) {
    throw new InvalidInputError("uuid", `"${uuid}" is not a UUID as returned by addPath`);
  }
  return Buffer.from(hex, "hex");
}
