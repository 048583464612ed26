/** Peers between the client's types and gobgpd's `Peer` message. */
import { formatAddress, parseAddress } from "../../common/cidr.ts";
import { InvalidInputError } from "../../common/errors.ts";
import { anyTypeName } from "./attributes.ts";
import { apiFamily, familyFromApi, parseFamily } from "./family.ts";
import { bool, field, list, num, str, timestamp } from "./narrow.ts";
import type { FamilyCounters, MessageCounters, PeerConfig, PeerStatus, PeerType, SessionState } from "./types.ts";

function integer(value: number | undefined, name: string, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new InvalidInputError(name, `${value} is not an integer between ${min} and ${max}`);
  }
  return value;
}

export function checkAsn(value: number, name: string): number {
  return integer(value, name, 1, 0xffffffff) as number;
}

/** An IP address in canonical text; gobgpd resolves anything else through DNS, so reject it here. */
export function checkAddress(value: string, name: string): string {
  return formatAddress(parseAddress(value, name));
}

/** The `Peer` of an AddPeer or UpdatePeer request. Throws InvalidInputError naming the bad field. */
export function encodePeer(config: PeerConfig): Record<string, unknown> {
  const address = checkAddress(config.address, "address");
  if (config.password !== undefined && (config.password.length === 0 || Buffer.byteLength(config.password) > 80)) {
    // Linux's TCP_MD5SIG key is at most 80 bytes; an empty one would silently mean "no MD5".
    throw new InvalidInputError("password", "must be 1 to 80 bytes");
  }
  const peer: Record<string, unknown> = {
    conf: {
      neighborAddress: address,
      peerAsn: checkAsn(config.asn, "asn"),
      localAsn: config.localAsn === undefined ? 0 : checkAsn(config.localAsn, "localAsn"),
      description: config.description ?? "",
      authPassword: config.password ?? "",
    },
  };
  const ttl = integer(config.ebgpMultihopTtl, "ebgpMultihopTtl", 1, 255);
  if (ttl !== undefined) peer["ebgpMultihop"] = { enabled: true, multihopTtl: ttl };
  const t = config.timers;
  if (t !== undefined) {
    const holdTime = integer(t.holdTime, "timers.holdTime", 0, 65535);
    if (holdTime !== undefined && holdTime !== 0 && holdTime < 3) {
      throw new InvalidInputError("timers.holdTime", "must be 0 or at least 3 seconds (RFC 4271)");
    }
    peer["timers"] = {
      config: {
        holdTime: holdTime ?? 0,
        keepaliveInterval: integer(t.keepaliveInterval, "timers.keepaliveInterval", 0, 65535) ?? 0,
        connectRetry: integer(t.connectRetry, "timers.connectRetry", 0, 65535) ?? 0,
      },
    };
  }
  const gr = config.gracefulRestart;
  if (gr !== undefined) {
    peer["gracefulRestart"] = {
      enabled: gr.enabled,
      restartTime: integer(gr.restartTime, "gracefulRestart.restartTime", 0, 4095) ?? 0,
      helperOnly: gr.helperOnly ?? false,
      notificationEnabled: gr.notificationEnabled ?? false,
    };
  }
  const rr = config.routeReflector;
  if (rr !== undefined) {
    let clusterId = "";
    if (rr.clusterId !== undefined) {
      const id = parseAddress(rr.clusterId, "routeReflector.clusterId");
      if (id.family !== 4) throw new InvalidInputError("routeReflector.clusterId", "must be written as an IPv4 address");
      clusterId = formatAddress(id);
    }
    peer["routeReflector"] = { routeReflectorClient: rr.client, routeReflectorClusterId: clusterId };
  }
  if (config.families !== undefined) {
    if (config.families.length === 0) throw new InvalidInputError("families", "name at least one family, or leave it unset");
    // Graceful restart is negotiated per family: without the per-family flag gobgpd sends the
    // capability with no families, which peers read as "restarting loses every route".
    const grFamily = gr?.enabled === true ? { config: { enabled: true } } : undefined;
    peer["afiSafis"] = config.families.map((f, i) => ({
      config: { family: apiFamily(parseFamily(f, `families[${i}]`)), enabled: true },
      ...(grFamily === undefined ? {} : { mpGracefulRestart: grFamily }),
    }));
  }
  if (config.passive !== undefined || config.localAddress !== undefined || config.remotePort !== undefined) {
    peer["transport"] = {
      passiveMode: config.passive ?? false,
      localAddress: config.localAddress === undefined ? "" : checkAddress(config.localAddress, "localAddress"),
      remotePort: integer(config.remotePort, "remotePort", 1, 65535) ?? 0,
    };
  }
  return peer;
}

const sessionStates: Readonly<Record<string, SessionState>> = {
  UNKNOWN: "Unknown", IDLE: "Idle", CONNECT: "Connect", ACTIVE: "Active",
  OPENSENT: "OpenSent", OPENCONFIRM: "OpenConfirm", ESTABLISHED: "Established",
};

export function sessionStateFromApi(value: unknown): SessionState {
  if (typeof value === "number") return Object.values(sessionStates)[value] ?? "Unknown";
  return typeof value === "string" ? (sessionStates[value] ?? "Unknown") : "Unknown";
}

function messageCounters(value: unknown): MessageCounters {
  return {
    total: num(value, "total"), update: num(value, "update"), open: num(value, "open"),
    keepalive: num(value, "keepalive"), notification: num(value, "notification"),
    refresh: num(value, "refresh"), discarded: num(value, "discarded"),
  };
}

/** One ListPeer answer. */
export function decodePeer(peer: unknown): PeerStatus {
  const conf = field(peer, "conf");
  const state = field(peer, "state");
  const asn = num(conf, "peerAsn") || num(state, "peerAsn");
  const localAsn = num(conf, "localAsn") || num(state, "localAsn");
  const apiType: PeerType = state?.["type"] === "EXTERNAL" || state?.["type"] === 1 ? "eBGP" : "iBGP";
  const sessionState = sessionStateFromApi(state?.["sessionState"]);
  // With graceful restart negotiated, gobgpd 3.10 counts the End-of-RIB marker it would send as
  // one more advertised path per family (getBestFromLocal appends it); take it back out.
  const endOfRib = bool(field(peer, "gracefulRestart"), "enabled") &&
    list(state, "remoteCap").some((cap) => anyTypeName(cap) === "GracefulRestartCapability") ? 1 : 0;
  const families: FamilyCounters[] = [];
  for (const afiSafi of list(peer, "afiSafis")) {
    const st = field(afiSafi, "state");
    const family = familyFromApi(field(st, "family")) ?? familyFromApi(field(field(afiSafi, "config"), "family"));
    if (family === undefined) continue;
    const advertised = Math.max(0, num(st, "advertised") - endOfRib);
    families.push({ family, received: num(st, "received"), accepted: num(st, "accepted"), advertised });
  }
  const routerId = str(state, "routerId");
  const messages = field(state, "messages");
  return {
    address: str(conf, "neighborAddress") || str(state, "neighborAddress"),
    asn,
    localAsn,
    // gobgpd derives the type from the two AS numbers; recompute it when both are known.
    type: asn !== 0 && localAsn !== 0 ? (asn === localAsn ? "iBGP" : "eBGP") : apiType,
    description: str(conf, "description"),
    state: sessionState,
    adminDown: bool(conf, "adminDown") || state?.["adminState"] === "DOWN",
    since: sessionState === "Established" ? timestamp(field(field(peer, "timers"), "state"), "uptime") : undefined,
    routerId: routerId === "" || routerId === "<nil>" ? undefined : routerId,
    negotiatedHoldTime: num(field(field(peer, "timers"), "state"), "negotiatedHoldTime"),
    prefixes: {
      received: families.reduce((n, f) => n + f.received, 0),
      accepted: families.reduce((n, f) => n + f.accepted, 0),
      advertised: families.reduce((n, f) => n + f.advertised, 0),
    },
    families,
    messages: { received: messageCounters(field(messages, "received")), sent: messageCounters(field(messages, "sent")) },
  };
}
