/**
 * The agent's read-only view of its routes, served as JSON at `/bgp/routes` on its health server
 * (loopback and the node's own addresses only) and read by `petrelctl bgp routes --local`: the
 * sessions, what the node advertises, what it learned and whether each route is in the kernel,
 * and the announcements it refused, with the reason. The contract between the agent (the
 * writer, bgp/agent/routes-view.ts) and petrelctl (the reader, which trusts nothing in it:
 * `parseRoutesView` checks every field and says which one is wrong). Pure.
 */
import { parseAddress, tryParseCidr } from "./cidr.ts";
import { InvalidInputError } from "./errors.ts";

/** Where the agent serves the view (beside /healthz, /readyz and /metrics). */
export const routesViewPath = "/bgp/routes";

/** Bumped on an incompatible change; a reader refuses another version with a message. */
export const routesViewVersion = 1;

export const sessionStates = ["Idle", "Connect", "Active", "OpenSent", "OpenConfirm", "Established"] as const;
export type ViewSessionState = (typeof sessionStates)[number];

/** One configured peer and its session, as gobgpd reports it when the view is made. */
export interface PeerRoutes {
  readonly address: string;
  readonly asn: number;
  /** NodeMesh, NodePeer or GlobalPeer (where the peer comes from). */
  readonly kind: string;
  /** The BGPPeer or Node it comes from. */
  readonly source: string;
  readonly state: ViewSessionState;
  /** Whole seconds since the session reached Established; absent unless it is Established. */
  readonly uptimeSeconds?: number;
  /**
   * Prefixes the peer sent and did not withdraw (gobgpd's adj-RIB-in, before the import policy),
   * of those the announcements route trust refused (in force), and prefixes sent to the peer.
   */
  readonly received: number;
  readonly refused: number;
  readonly advertised: number;
}

/** A path this node originates. */
export interface AdvertisedRoute {
  readonly prefix: string;
  readonly nextHop: string;
  /** block: one of the node's IPAMBlocks; service: a BGPConfiguration service CIDR. */
  readonly kind: "block" | "service";
  readonly communities?: readonly string[];
  readonly largeCommunities?: readonly string[];
}

/**
 * What became of a learned route: in the kernel via its next hop (`installed`); refused by route
 * trust (`refused`, with `reason`); not programmed yet or waiting for a retry (`pending`); or no
 * longer a best path but still in the kernel (`kept`: withdrawn while BGP settles, or the agent
 * cannot verify routes yet; removed once it may).
 */
export const learnedStates = ["installed", "refused", "pending", "kept"] as const;
export type LearnedState = (typeof learnedStates)[number];

export interface LearnedRoute {
  readonly prefix: string;
  /** The neighbour of the best path; absent for a kept route whose best path is gone. */
  readonly peer?: string;
  readonly nextHop: string;
  /** Kept through the peer's graceful restart and not refreshed yet. */
  readonly stale: boolean;
  readonly state: LearnedState;
  /** The gateway of the kernel's Petrel route for the prefix, when there is one. */
  readonly kernelGateway?: string;
  /** With state refused: why (a petrel_agent_routes_refused_total reason). */
  readonly reason?: string;
}

/** An announcement refused and still in force (not withdrawn). */
export interface RefusedRoute {
  /** The peer that sent it; absent when unknown. */
  readonly peer?: string;
  readonly prefix: string;
  readonly nextHop?: string;
  readonly reason: string;
  readonly detail: string;
  /** Announcements refused for this peer and prefix while in force. */
  readonly times: number;
  readonly firstSeen: string;
  readonly lastSeen: string;
}

export interface RoutesView {
  readonly version: typeof routesViewVersion;
  readonly node: string;
  /** RFC 3339: when the agent made the view. */
  readonly generatedAt: string;
  /** gobgpd is configured by the agent (sessions can be up). */
  readonly bgpConfigured: boolean;
  /** The agent cannot verify routes yet (the cluster is not listed): it keeps every route as it is. */
  readonly routesHeld: boolean;
  /** No route is removed for now (after a start or a gobgpd restart). */
  readonly settling: boolean;
  /** Why gobgpd's sessions could not be read (the peers then show as Idle). */
  readonly gobgpdError?: string;
  readonly peers: readonly PeerRoutes[];
  readonly advertised: readonly AdvertisedRoute[];
  readonly learned: readonly LearnedRoute[];
  readonly refused: readonly RefusedRoute[];
  /**
   * Refusals that fell out of the list in force since the agent started (it keeps the 1000 most
   * recent); they are still counted in refusedTotals.
   */
  readonly refusedDropped: number;
  /** Refusals counted since the agent started, by reason. */
  readonly refusedTotals: Readonly<Record<string, number>>;
}

// --- parsing (untrusted input) ---------------------------------------------------------------

type Obj = Readonly<Record<string, unknown>>;

function fail(where: string, what: string): never {
  throw new InvalidInputError(where, `${what}; is the agent older or newer than this petrelctl? (petrelctl --version and the node image's should match)`);
}

function obj(v: unknown, where: string): Obj {
  if (typeof v !== "object" || v === null || Array.isArray(v)) fail(where, `expected an object, got ${brief(v)}`);
  return v as Obj;
}

function brief(v: unknown): string {
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 60 ? `${s.slice(0, 60)}…` : s;
}

function text(o: Obj, k: string, where: string, max = 4096): string {
  const v = o[k];
  if (typeof v !== "string" || v.length > max) fail(`${where}.${k}`, `expected a string (at most ${max} characters), got ${brief(v)}`);
  return v;
}

function optText(o: Obj, k: string, where: string, max = 4096): string | undefined {
  return o[k] === undefined ? undefined : text(o, k, where, max);
}

function count(o: Obj, k: string, where: string): number {
  const v = o[k];
  if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 0) fail(`${where}.${k}`, `expected a whole number ≥ 0, got ${brief(v)}`);
  return v;
}

function flag(o: Obj, k: string, where: string): boolean {
  const v = o[k];
  if (typeof v !== "boolean") fail(`${where}.${k}`, `expected true or false, got ${brief(v)}`);
  return v;
}

function oneOf<T extends string>(o: Obj, k: string, values: readonly T[], where: string): T {
  const v = o[k];
  const found = values.find((x) => x === v);
  if (found === undefined) fail(`${where}.${k}`, `expected one of ${values.join(", ")}, got ${brief(v)}`);
  return found;
}

function array(o: Obj, k: string, where: string): readonly unknown[] {
  const v = o[k];
  if (!Array.isArray(v)) fail(`${where}.${k}`, `expected a list, got ${brief(v)}`);
  return v;
}

function address(o: Obj, k: string, where: string): string {
  const v = text(o, k, where, 64);
  try {
    parseAddress(v);
  } catch {
    fail(`${where}.${k}`, `"${v}" is not an IP address`);
  }
  return v;
}

function optAddress(o: Obj, k: string, where: string): string | undefined {
  return o[k] === undefined ? undefined : address(o, k, where);
}

function prefix(o: Obj, k: string, where: string): string {
  const v = text(o, k, where, 64);
  if (tryParseCidr(v, false) === undefined) fail(`${where}.${k}`, `"${v}" is not a CIDR`);
  return v;
}

function time(o: Obj, k: string, where: string): string {
  const v = text(o, k, where, 64);
  if (Number.isNaN(Date.parse(v))) fail(`${where}.${k}`, `"${v}" is not an RFC 3339 time`);
  return v;
}

function strings(o: Obj, k: string, where: string): readonly string[] | undefined {
  if (o[k] === undefined) return undefined;
  return array(o, k, where).map((x, i) => {
    if (typeof x !== "string" || x.length > 256) fail(`${where}.${k}[${i}]`, `expected a string, got ${brief(x)}`);
    return x;
  });
}

/** Drops undefined fields, so that a parsed view equals the served one field for field. */
function defined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

function parsePeer(v: unknown, where: string): PeerRoutes {
  const o = obj(v, where);
  const uptime = o.uptimeSeconds === undefined ? undefined : count(o, "uptimeSeconds", where);
  return defined({
    address: address(o, "address", where),
    asn: count(o, "asn", where),
    kind: text(o, "kind", where, 64),
    source: text(o, "source", where, 512),
    state: oneOf(o, "state", sessionStates, where),
    uptimeSeconds: uptime,
    received: count(o, "received", where),
    refused: count(o, "refused", where),
    advertised: count(o, "advertised", where),
  });
}

function parseAdvertised(v: unknown, where: string): AdvertisedRoute {
  const o = obj(v, where);
  return defined({
    prefix: prefix(o, "prefix", where),
    nextHop: address(o, "nextHop", where),
    kind: oneOf(o, "kind", ["block", "service"] as const, where),
    communities: strings(o, "communities", where),
    largeCommunities: strings(o, "largeCommunities", where),
  });
}

function parseLearned(v: unknown, where: string): LearnedRoute {
  const o = obj(v, where);
  const state = oneOf(o, "state", learnedStates, where);
  const reason = optText(o, "reason", where, 64);
  if (state === "refused" && reason === undefined) fail(`${where}.reason`, "a refused route needs its reason");
  return defined({
    prefix: prefix(o, "prefix", where),
    peer: optAddress(o, "peer", where),
    // A kept route's best path may be gone with its next hop: "" then.
    nextHop: o.nextHop === "" ? "" : address(o, "nextHop", where),
    stale: flag(o, "stale", where),
    state,
    kernelGateway: optAddress(o, "kernelGateway", where),
    reason,
  });
}

function parseRefused(v: unknown, where: string): RefusedRoute {
  const o = obj(v, where);
  return defined({
    peer: optAddress(o, "peer", where),
    prefix: prefix(o, "prefix", where),
    nextHop: optAddress(o, "nextHop", where),
    reason: text(o, "reason", where, 64),
    detail: text(o, "detail", where),
    times: count(o, "times", where),
    firstSeen: time(o, "firstSeen", where),
    lastSeen: time(o, "lastSeen", where),
  });
}

/** A view from an agent (or from petrelctl --local), checked field by field. `where` names the source. */
export function parseRoutesView(raw: unknown, where = "routes view"): RoutesView {
  const o = obj(raw, where);
  if (o.version !== routesViewVersion) fail(`${where}.version`, `this petrelctl reads version ${routesViewVersion}, got ${brief(o.version)}`);
  const totals = obj(o.refusedTotals, `${where}.refusedTotals`);
  const refusedTotals: Record<string, number> = {};
  for (const k of Object.keys(totals)) {
    if (k.length > 64) fail(`${where}.refusedTotals`, `a reason of ${k.length} characters`);
    refusedTotals[k] = count(totals, k, `${where}.refusedTotals`);
  }
  const gobgpdError = optText(o, "gobgpdError", where);
  return {
    version: routesViewVersion,
    node: text(o, "node", where, 253),
    generatedAt: time(o, "generatedAt", where),
    bgpConfigured: flag(o, "bgpConfigured", where),
    routesHeld: flag(o, "routesHeld", where),
    settling: flag(o, "settling", where),
    ...(gobgpdError === undefined ? {} : { gobgpdError }),
    peers: array(o, "peers", where).map((p, i) => parsePeer(p, `${where}.peers[${i}]`)),
    advertised: array(o, "advertised", where).map((p, i) => parseAdvertised(p, `${where}.advertised[${i}]`)),
    learned: array(o, "learned", where).map((p, i) => parseLearned(p, `${where}.learned[${i}]`)),
    refused: array(o, "refused", where).map((p, i) => parseRefused(p, `${where}.refused[${i}]`)),
    refusedDropped: count(o, "refusedDropped", where),
    refusedTotals,
  };
}
