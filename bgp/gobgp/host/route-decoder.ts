/**
 * The lean decoder of WatchEvent and ListPath answers (RouteDecoder): protobufjs decodes the
 * message without converting it to a plain object, and of each path's Any fields only the NLRI
 * and the next-hop attributes are unpacked; every other attribute is skipped undecoded.
 *
 * Measured on this machine (10,000 paths, one WatchEvent answer): proto-loader's general decoder
 * (`json: true`, every Any unpacked, defaults filled in) 170-400 ms; this one 14-50 ms.
 * The .proto files are gobgpd's own (gobgp-proto.ts): never a copy.
 */
import { join } from "node:path";
import protobuf from "protobufjs";
import { formatCidr, tryParseCidr } from "../../../common/cidr.ts";
import { PetrelError, errorMessage } from "../../../common/errors.ts";
import { sessionStateFromApi } from "../peer-codec.ts";
import type { RouteDecoder } from "../transport.ts";
import type { AddressFamily, PeerEventKind, RouteUpdate, WatchMessage } from "../types.ts";

const typeUrl = "type.googleapis.com/apipb.";
const prefixUrl = `${typeUrl}IPAddressPrefix`;
const nextHopUrl = `${typeUrl}NextHopAttribute`;
const mpReachUrl = `${typeUrl}MpReachNLRIAttribute`;

/** The fields of the decoded protobufjs messages that are read (protobufjs camel-cases apipb's names; Any keeps type_url). */
interface AnyMsg { type_url?: string; value?: Uint8Array }
interface PathMsg {
  nlri?: AnyMsg | null;
  pattrs?: AnyMsg[];
  best?: boolean;
  isWithdraw?: boolean;
  family?: { afi?: number; safi?: number } | null;
  stale?: boolean;
  neighborIp?: string;
}
interface WatchMsg {
  table?: { paths?: PathMsg[] } | null;
  peer?: { type?: number; peer?: { state?: { neighborAddress?: string; sessionState?: number } | null; conf?: { neighborAddress?: string } | null } | null } | null;
}
interface ListPathMsg { destination?: { prefix?: string; paths?: PathMsg[] } | null }

const peerEvents: Record<number, PeerEventKind | undefined> = { 1: "init", 2: "end-of-init", 3: "state" };

function familyOf(f: PathMsg["family"]): AddressFamily | undefined {
  if (f?.safi !== 1) return undefined;
  return f.afi === 1 ? "ipv4-unicast" : f.afi === 2 ? "ipv6-unicast" : undefined;
}

export function loadRouteDecoder(protoDir: string): RouteDecoder {
  const root = new protobuf.Root();
  // gobgp.proto imports "google/protobuf/…" (protobufjs has those built in) and its siblings.
  root.resolvePath = (origin, target) => (target.startsWith("google/protobuf/") ? target : join(protoDir, target.slice(target.lastIndexOf("/") + 1)));
  try {
    root.loadSync(["gobgp.proto", "attribute.proto", "capability.proto"].map((f) => join(protoDir, f)), { keepCase: false });
    root.resolveAll();
  } catch (err) {
    throw new PetrelError("permanent", `cannot load gobgpd's .proto files from ${protoDir} for the route decoder: ${errorMessage(err)}`, { cause: err });
  }
  const type = (name: string) => root.lookupType(`apipb.${name}`);
  const watchResponse = type("WatchEventResponse");
  const listPathResponse = type("ListPathResponse");
  const ipPrefix = type("IPAddressPrefix");
  const nextHop = type("NextHopAttribute");
  const mpReach = type("MpReachNLRIAttribute");

  const prefixText = (any: AnyMsg | null | undefined, family: AddressFamily): string | undefined => {
    if (any?.type_url !== prefixUrl || any.value === undefined) return undefined;
    const p = ipPrefix.decode(any.value) as unknown as { prefix?: string; prefixLen?: number };
    if (p.prefix === undefined || p.prefix === "") return undefined;
    const text = `${p.prefix}/${p.prefixLen ?? 0}`;
    // gobgpd prints IPv4 the canonical way already; IPv6 text is normalised (rare, and cheap enough).
    if (family === "ipv4-unicast") return text;
    return normalise(text);
  };

  const route = (p: PathMsg, destination: string | undefined): RouteUpdate | undefined => {
    const family = familyOf(p.family);
    if (family === undefined) return undefined;
    let hop = "";
    let mpPrefix: string | undefined;
    for (const a of p.pattrs ?? []) {
      if (a.value === undefined) continue;
      if (a.type_url === nextHopUrl) {
        hop = (nextHop.decode(a.value) as unknown as { nextHop?: string }).nextHop ?? "";
      } else if (a.type_url === mpReachUrl) {
        const m = mpReach.decode(a.value) as unknown as { nextHops?: string[]; nlris?: AnyMsg[] };
        // The first next hop is the global one; a second would be the IPv6 link-local address.
        hop = m.nextHops?.[0] ?? hop;
        mpPrefix = prefixText(m.nlris?.[0], family);
      }
    }
    const prefix = prefixText(p.nlri, family) ?? destination ?? mpPrefix;
    if (prefix === undefined) return undefined;
    const neighbor = p.neighborIp ?? "";
    return {
      family,
      prefix,
      nextHop: hop,
      peer: neighbor === "" || neighbor === "<nil>" ? undefined : neighbor,
      withdrawal: p.isWithdraw === true,
      stale: p.stale === true,
      best: p.best === true,
    };
  };

  return {
    watchEvent(message: Uint8Array): WatchMessage {
      const m = watchResponse.decode(message) as unknown as WatchMsg;
      if (m.table !== undefined && m.table !== null) {
        const routes: RouteUpdate[] = [];
        for (const p of m.table.paths ?? []) {
          const r = route(p, undefined);
          if (r !== undefined) routes.push(r);
        }
        return { kind: "routes", routes };
      }
      const peer = m.peer;
      const event = peerEvents[peer?.type ?? 0];
      const address = peer?.peer?.state?.neighborAddress || peer?.peer?.conf?.neighborAddress || "";
      if (event !== undefined && address !== "") {
        return { kind: "peer", peer: address, state: sessionStateFromApi(peer?.peer?.state?.sessionState ?? 0), event };
      }
      return { kind: "none" };
    },
    listPath(message: Uint8Array): RouteUpdate[] {
      const m = listPathResponse.decode(message) as unknown as ListPathMsg;
      const d = m.destination;
      const out: RouteUpdate[] = [];
      let destination: string | undefined;
      for (const p of d?.paths ?? []) {
        if (destination === undefined && d?.prefix !== undefined && d.prefix !== "") {
          const family = familyOf(p.family);
          destination = family === "ipv4-unicast" ? d.prefix : normalise(d.prefix);
        }
        const r = route(p, destination);
        if (r !== undefined) out.push(r);
      }
      return out;
    },
  };
}

function normalise(prefix: string): string | undefined {
  const cidr = tryParseCidr(prefix, false);
  return cidr === undefined ? undefined : formatCidr(cidr);
}
