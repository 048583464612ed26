/**
 * Packing and unpacking of the `google.protobuf.Any` values in gobgpd's Path messages: the NLRI
 * (`IPAddressPrefix`) and the path attributes (`OriginAttribute`, `NextHopAttribute`,
 * `MpReachNLRIAttribute`, communities, ...).
 *
 * The client loads the protos with proto-loader's `json: true`, under which protobufjs encodes an
 * object carrying an `@type` key as an Any of that type and decodes an Any back into such an
 * object. So packing here means "build the right `@type` object"; the bytes are protobufjs's job.
 */
import { formatCidr, type Cidr } from "../../common/cidr.ts";
import { formatCommunity, formatLargeCommunity } from "./communities.ts";
import { apiFamily } from "./family.ts";
import { asObject, list, num, str } from "./narrow.ts";
import type { LargeCommunity } from "./communities.ts";
import type { Origin } from "./types.ts";

const typeUrlPrefix = "type.googleapis.com/apipb.";

export interface AnyMessage {
  "@type": string;
  [field: string]: unknown;
}

export function packAny(typeName: string, body: Record<string, unknown>): AnyMessage {
  return { ...body, "@type": typeUrlPrefix + typeName };
}

/** The message name of an unpacked Any (`OriginAttribute`), or undefined when it is not one. */
export function anyTypeName(value: unknown): string | undefined {
  const url = asObject(value)?.["@type"];
  if (typeof url !== "string") return undefined;
  const name = url.slice(url.lastIndexOf("/") + 1);
  return name.startsWith("apipb.") ? name.slice("apipb.".length) : name;
}

export function packPrefix(cidr: Cidr): AnyMessage {
  const [address] = formatCidr(cidr).split("/");
  return packAny("IPAddressPrefix", { prefix: address, prefixLen: cidr.prefixLength });
}

/** `IPAddressPrefix` → CIDR text, or undefined for any other NLRI type. */
export function unpackPrefix(value: unknown): string | undefined {
  if (anyTypeName(value) !== "IPAddressPrefix") return undefined;
  const address = str(value, "prefix");
  return address === "" ? undefined : `${address}/${num(value, "prefixLen")}`;
}

const originCodes: Record<Origin, number> = { igp: 0, egp: 1, incomplete: 2 };
const originNames: readonly Origin[] = ["igp", "egp", "incomplete"];

export interface AttributesInput {
  prefix: Cidr;
  nextHop: string;
  origin: Origin;
  communities: number[];
  largeCommunities: LargeCommunity[];
  localPref?: number;
  med?: number;
}

/**
 * The attributes of a locally originated path. IPv4 carries its next hop in NEXT_HOP; IPv6 has
 * no such attribute and carries next hop and NLRI in MP_REACH_NLRI (RFC 4760).
 */
export function packPathAttributes(input: AttributesInput): AnyMessage[] {
  const attrs = [packAny("OriginAttribute", { origin: originCodes[input.origin] })];
  if (input.prefix.family === 4) {
    attrs.push(packAny("NextHopAttribute", { nextHop: input.nextHop }));
  } else {
    attrs.push(packAny("MpReachNLRIAttribute", {
      family: apiFamily("ipv6-unicast"),
      nextHops: [input.nextHop],
      nlris: [packPrefix(input.prefix)],
    }));
  }
  if (input.localPref !== undefined) attrs.push(packAny("LocalPrefAttribute", { localPref: input.localPref }));
  if (input.med !== undefined) attrs.push(packAny("MultiExitDiscAttribute", { med: input.med }));
  if (input.communities.length > 0) attrs.push(packAny("CommunitiesAttribute", { communities: input.communities }));
  if (input.largeCommunities.length > 0) {
    attrs.push(packAny("LargeCommunitiesAttribute", { communities: input.largeCommunities }));
  }
  return attrs;
}

/** What a withdrawal by prefix needs: gobgpd builds a broken MP_REACH without some next hop. */
export function packWithdrawAttributes(prefix: Cidr): AnyMessage[] {
  return prefix.family === 4
    ? [packAny("NextHopAttribute", { nextHop: "0.0.0.0" })]
    : [packAny("MpReachNLRIAttribute", { family: apiFamily("ipv6-unicast"), nextHops: ["::"], nlris: [packPrefix(prefix)] })];
}

export interface DecodedAttributes {
  origin: Origin | undefined;
  nextHop: string;
  communities: string[];
  largeCommunities: string[];
  localPref: number | undefined;
  med: number | undefined;
  asPath: number[];
  /** Prefixes carried in MP_REACH_NLRI, for paths whose top-level NLRI is missing. */
  mpReachPrefixes: string[];
}

export function unpackPathAttributes(pattrs: readonly unknown[]): DecodedAttributes {
  const out: DecodedAttributes = {
    origin: undefined, nextHop: "", communities: [], largeCommunities: [], localPref: undefined,
    med: undefined, asPath: [], mpReachPrefixes: [],
  };
  for (const attr of pattrs) {
    switch (anyTypeName(attr)) {
      case "OriginAttribute":
        out.origin = originNames[num(attr, "origin")];
        break;
      case "NextHopAttribute":
        out.nextHop = str(attr, "nextHop");
        break;
      case "MpReachNLRIAttribute": {
        // The first next hop is the global one; a second would be the IPv6 link-local address.
        const first = list(attr, "nextHops")[0];
        if (typeof first === "string") out.nextHop = first;
        out.mpReachPrefixes = list(attr, "nlris").map(unpackPrefix).filter((p): p is string => p !== undefined);
        break;
      }
      case "CommunitiesAttribute":
        out.communities = list(attr, "communities").filter((c): c is number => typeof c === "number").map(formatCommunity);
        break;
      case "LargeCommunitiesAttribute":
        out.largeCommunities = list(attr, "communities").map((c) => formatLargeCommunity({
          globalAdmin: num(c, "globalAdmin"), localData1: num(c, "localData1"), localData2: num(c, "localData2"),
        }));
        break;
      case "LocalPrefAttribute":
        out.localPref = num(attr, "localPref");
        break;
      case "MultiExitDiscAttribute":
        out.med = num(attr, "med");
        break;
      case "AsPathAttribute":
        out.asPath = list(attr, "segments").flatMap((seg) => list(seg, "numbers").filter((n): n is number => typeof n === "number"));
        break;
      default:
        // Attributes Petrel does not use (aggregator, originator ID, cluster list, ...).
        break;
    }
  }
  return out;
}
