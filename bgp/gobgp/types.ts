/**
 * The typed face of the GoBGP client: what callers pass in and get back. Nothing here mirrors the
 * proto messages one to one; the codecs beside this file translate, so callers never see
 * `google.protobuf.Any`, AFI/SAFI numbers or gobgpd's enum spellings.
 */

export type AddressFamily = "ipv4-unicast" | "ipv6-unicast";

export type SessionState = "Unknown" | "Idle" | "Connect" | "Active" | "OpenSent" | "OpenConfirm" | "Established";

export type PeerType = "iBGP" | "eBGP";

export interface GlobalConfig {
  asn: number;
  routerId: string;
  /** TCP port gobgpd listens on for BGP; -1 means "do not listen" (outbound sessions only). */
  listenPort: number;
  /** Addresses to listen on; gobgpd listens on all (0.0.0.0 and ::) when empty. */
  listenAddresses?: string[];
}

export interface PeerTimers {
  /** Seconds; gobgpd's default is 90. */
  holdTime?: number;
  /** Seconds; gobgpd's default is a third of the hold time. */
  keepaliveInterval?: number;
  /**
   * Seconds between connection attempts (gobgpd 3.10 waits a random time between this and twice
   * this, at least 5 s; the first attempt comes 5-10 s after the peer is added).
   */
  connectRetry?: number;
}

export interface PeerConfig {
  /** The neighbour's IP address (no host names: gobgpd would resolve them through DNS). */
  address: string;
  /** The neighbour's AS number. */
  asn: number;
  /** Our AS as seen by this peer; the global AS when unset. */
  localAsn?: number;
  description?: string;
  /** TCP MD5 signature (RFC 2385) shared secret. */
  password?: string;
  /** eBGP multihop TTL; unset means directly connected (TTL 1) for eBGP. */
  ebgpMultihopTtl?: number;
  timers?: PeerTimers;
  /**
   * Graceful restart (RFC 4724). `notificationEnabled` (RFC 8538): a peer that stops with a Cease
   * NOTIFICATION (gobgpd does on SIGTERM) is treated as restarting too, so its routes are kept.
   */
  gracefulRestart?: { enabled: boolean; restartTime?: number; helperOnly?: boolean; notificationEnabled?: boolean };
  routeReflector?: { client: boolean; clusterId?: string };
  /** Families to negotiate; gobgpd picks the neighbour address's unicast family when unset. */
  families?: AddressFamily[];
  /** Wait for the neighbour to connect; never open the TCP connection ourselves. */
  passive?: boolean;
  /** Source address of our TCP connection to the neighbour. */
  localAddress?: string;
  /** The neighbour's BGP port when it is not 179. */
  remotePort?: number;
}

export interface MessageCounters {
  total: number;
  update: number;
  open: number;
  keepalive: number;
  notification: number;
  refresh: number;
  discarded: number;
}

export interface FamilyCounters {
  family: AddressFamily;
  received: number;
  accepted: number;
  advertised: number;
}

export interface PeerStatus {
  address: string;
  asn: number;
  localAsn: number;
  type: PeerType;
  description: string;
  state: SessionState;
  adminDown: boolean;
  /** When the session reached Established; undefined unless it is Established now. */
  since: Date | undefined;
  /** The neighbour's BGP identifier once an OPEN was received. */
  routerId: string | undefined;
  /** Negotiated hold time in seconds (0 before Established). */
  negotiatedHoldTime: number;
  /** Sums over `families`. */
  prefixes: { received: number; accepted: number; advertised: number };
  families: FamilyCounters[];
  messages: { received: MessageCounters; sent: MessageCounters };
}

export type Origin = "igp" | "egp" | "incomplete";

export interface PathInput {
  /** CIDR, e.g. `198.18.0.0/26` or `2001:db8:1::/64`. */
  prefix: string;
  nextHop: string;
  /** Derived from the prefix when unset; must agree with it when set. */
  family?: AddressFamily;
  /** `asn:value` (e.g. `64512:100`) or a well-known name such as `no-export`. */
  communities?: string[];
  /** `global:local1:local2` (RFC 8092). */
  largeCommunities?: string[];
  origin?: Origin;
  localPref?: number;
  med?: number;
}

export interface BgpPath {
  family: AddressFamily;
  prefix: string;
  /** Empty for a withdrawal, which carries no attributes. */
  nextHop: string;
  /**
   * Best path of its destination. In `watchBestPaths` events gobgpd leaves its own flag unset,
   * so there the client reports every non-withdrawn path as best (that is what the event means).
   */
  best: boolean;
  withdrawal: boolean;
  /** When gobgpd learned or originated the path (gobgp calls this `age`; it is a timestamp). */
  age: Date | undefined;
  /** AS of the peer the path came from; undefined for locally originated paths. */
  sourceAsn: number | undefined;
  /** BGP identifier of the peer the path came from; undefined for local paths. */
  sourceId: string | undefined;
  /** Address of the peer the path came from; undefined for local paths. */
  neighborIp: string | undefined;
  communities: string[];
  largeCommunities: string[];
  origin: Origin | undefined;
  localPref: number | undefined;
  med: number | undefined;
  /** AS numbers of the AS_PATH in order (AS_SET members included). */
  asPath: number[];
  /** Rejected by an import policy (only reported for `adj-in` with `includeFiltered`). */
  filtered: boolean;
  stale: boolean;
}

export type RibTable = "global" | "adj-in" | "adj-out";

export interface ListPathsOptions {
  family: AddressFamily;
  table: RibTable;
  /** Neighbour address; required for adj-in and adj-out. */
  peer?: string;
  /** Only destinations equal to these CIDRs. */
  prefixes?: string[];
  /** For adj-in: include paths an import policy rejected, flagged `filtered`. */
  includeFiltered?: boolean;
}

export interface PrefixMatch {
  prefix: string;
  /** Shortest mask length that matches; the prefix's own length when unset. */
  maskLengthMin?: number;
  /** Longest mask length that matches; the prefix's own length when unset. */
  maskLengthMax?: number;
}

export type DefinedSet =
  | { type: "prefix"; name: string; prefixes: PrefixMatch[] }
  /** Neighbours as addresses or CIDRs. */
  | { type: "neighbor"; name: string; neighbors: string[] };

export type DefinedSetType = DefinedSet["type"];

/** `any`: the route matches one of the set's entries; `invert`: it matches none. */
export type MatchKind = "any" | "invert";

export type RouteAction = "accept" | "reject";

export type RouteType = "internal" | "external" | "local";

export interface PolicyStatement {
  /** Statement names are global in gobgpd; `<policy>-<index>` when unset. */
  name?: string;
  conditions?: {
    prefixSet?: { name: string; match?: MatchKind };
    neighborSet?: { name: string; match?: MatchKind };
    /** The route's next hop is one of these addresses (or inside one of these CIDRs). */
    nextHopInList?: string[];
    /** local: originated by this speaker (AddPath); internal/external: learned over iBGP/eBGP. */
    routeType?: RouteType;
  };
  /** What to do with a route that meets every condition; unset: fall through to the next. */
  action?: RouteAction;
  /** Modifications applied to a matching route. */
  setLocalPref?: number;
  addCommunities?: string[];
}

export interface Policy {
  name: string;
  statements: PolicyStatement[];
}

export type PolicyDirection = "import" | "export";

export interface PolicyAssignment {
  direction: PolicyDirection;
  /** Policy names, evaluated in order. */
  policies: string[];
  /** For routes no statement accepted or rejected. */
  defaultAction: RouteAction;
}

/** What `watchBestPaths` reports. */
export type BestPathEvent =
  /** Best paths that changed; withdrawals have `withdrawal: true`. */
  | { type: "paths"; paths: BgpPath[] }
  /** The stream broke (gobgpd stopped or restarted); the watcher is retrying. */
  | { type: "disconnected"; error: Error }
  /**
   * The stream is back after a break: events in between are lost and a restarted gobgpd has
   * forgotten its configuration, so the caller should reconfigure and resync in full.
   */
  | { type: "reconnected" };

export interface WatchHandle {
  /** Stops watching; no events are delivered after it returns. */
  stop(): void;
}

/**
 * A route as the agent needs it, decoded cheaply (no attribute it does not read) from WatchEvent
 * and ListPath answers. `prefix` is canonical CIDR text, so it serves as a map key as it is.
 */
export interface RouteUpdate {
  family: AddressFamily;
  prefix: string;
  /** Empty for a withdrawal without attributes. */
  nextHop: string;
  /** The neighbour it came from; undefined for a path this speaker originated. */
  peer: string | undefined;
  withdrawal: boolean;
  /** Kept through a peer's graceful restart (RFC 4724) and not yet refreshed. */
  stale: boolean;
  /** ListPath only: gobgpd's best path of its destination (WatchEvent BEST sends only best paths). */
  best: boolean;
}

export type PeerEventKind = "init" | "end-of-init" | "state";

/** What `watchRoutes` and `watchReceived` report. */
export type RouteWatchEvent =
  | { type: "routes"; routes: RouteUpdate[] }
  /** watchReceived only: a session changed state. */
  | { type: "peer"; peer: string; state: SessionState; kind: PeerEventKind }
  | { type: "disconnected"; error: Error }
  | { type: "reconnected" };

/** Decoded WatchEvent answers, for the lean watches (implemented beside the gRPC transport). */
export type WatchMessage =
  | { kind: "routes"; routes: RouteUpdate[] }
  | { kind: "peer"; peer: string; state: SessionState; event: PeerEventKind }
  | { kind: "none" };
