/**
 * A typed client for gobgpd's v3 gRPC API (GobgpApi): global BGP, peers, paths, best-path
 * watching and routing policy on the global RIB. It knows nothing of Kubernetes; the agent
 * turns its resources into these calls. Build one with `host/connect-gobgp.ts`.
 */
import { formatAddress, formatCidr, parseAddress } from "../../common/cidr.ts";
import { InvalidInputError } from "../../common/errors.ts";
import { watchBestPaths, type BackoffOptions } from "./best-path-watch.ts";
import { apiFamily, parseFamily } from "./family.ts";
import { fromGrpcError, GobgpError, grpcStatus } from "./grpc-error.ts";
import * as lean from "./lean-calls.ts";
import { bytes, field, list, num, str } from "./narrow.ts";
import { decodePath, encodePath, encodeWithdrawal, parsePrefix, uuidFromBytes, uuidToBytes } from "./path-codec.ts";
import { checkAddress, checkAsn, decodePeer, encodePeer } from "./peer-codec.ts";
import {
  apiDefinedType, apiDirection, checkName, decodeAssignment, decodeDefinedSet, decodePolicy, encodeAssignment,
  encodeDefinedSet, encodePolicy, globalRibName,
} from "./policy-codec.ts";
import type { GobgpTransport, ListMethod, RouteDecoder, UnaryMethod } from "./transport.ts";
import type {
  AddressFamily, BestPathEvent, BgpPath, DefinedSet, DefinedSetType, GlobalConfig, ListPathsOptions, PathInput,
  PeerConfig, PeerStatus, Policy, PolicyAssignment, PolicyDirection, PolicyStatement, RouteUpdate, RouteWatchEvent, WatchHandle,
} from "./types.ts";

const tableTypes = { "global": "GLOBAL", "adj-in": "ADJ_IN", "adj-out": "ADJ_OUT" } as const;

export class GobgpClient {
  private readonly transport: GobgpTransport;
  private readonly decoder: RouteDecoder | undefined;
  private readonly watches = new Set<WatchHandle>();

  /** `decoder`: for the lean calls (watchRoutes, watchReceived, listRoutes); connectGobgp gives one. */
  constructor(transport: GobgpTransport, decoder?: RouteDecoder) {
    this.transport = transport;
    this.decoder = decoder;
  }

  private lean(what: string): RouteDecoder {
    if (this.decoder === undefined) throw new InvalidInputError("decoder", `${what} needs a RouteDecoder: build the client with connectGobgp`);
    return this.decoder;
  }

  get target(): string {
    return this.transport.target;
  }

  private async unary(method: UnaryMethod, request: Record<string, unknown>, field?: string): Promise<unknown> {
    try {
      return await this.transport.unary(method, request);
    } catch (err) {
      throw fromGrpcError(err, method, this.transport.target, field);
    }
  }

  private async list(method: ListMethod, request: Record<string, unknown>, field?: string): Promise<unknown[]> {
    try {
      return await this.transport.list(method, request);
    } catch (err) {
      throw fromGrpcError(err, method, this.transport.target, field);
    }
  }

  // --- global -------------------------------------------------------------------------------

  /**
   * Starts BGP. gobgpd would silently rebuild (empty) its RIB on a second StartBgp, so this
   * returns without a call when BGP already runs with the same settings and refuses otherwise.
   * Policies must be set after this: StartBgp resets gobgpd's routing policy.
   */
  async startBgp(config: GlobalConfig): Promise<void> {
    const asn = checkAsn(config.asn, "asn");
    const routerId = parseAddress(config.routerId, "routerId");
    if (routerId.family !== 4) throw new InvalidInputError("routerId", `${config.routerId} is not an IPv4 address (BGP identifiers are 32 bits)`);
    if (!Number.isInteger(config.listenPort) || config.listenPort < -1 || config.listenPort > 65535) {
      throw new InvalidInputError("listenPort", `${config.listenPort} is not a port (or -1 for "do not listen")`);
    }
    const listenAddresses = (config.listenAddresses ?? []).map((a, i) => checkAddress(a, `listenAddresses[${i}]`));
    const running = await this.getBgp();
    if (running !== undefined) {
      if (running.asn === asn && running.routerId === formatAddress(routerId) && running.listenPort === config.listenPort) return;
      throw new GobgpError("StartBgp", grpcStatus.FAILED_PRECONDITION,
        `BGP already runs as AS ${running.asn}, router ID ${running.routerId}, port ${running.listenPort}; call stopBgp first`,
        "exists", { field: "asn" });
    }
    await this.unary("StartBgp", {
      global: { asn, routerId: formatAddress(routerId), listenPort: config.listenPort, listenAddresses },
    });
  }

  /** Stops BGP: every session is closed and every path forgotten. Idempotent. */
  async stopBgp(): Promise<void> {
    await this.unary("StopBgp", {});
  }

  /** The running global configuration, or undefined when BGP is not started. */
  async getBgp(): Promise<GlobalConfig | undefined> {
    const global = field(await this.unary("GetBgp", {}), "global");
    const asn = num(global, "asn");
    if (asn === 0) return undefined;
    return {
      asn,
      routerId: str(global, "routerId"),
      listenPort: num(global, "listenPort"),
      listenAddresses: list(global, "listenAddresses").filter((a): a is string => typeof a === "string"),
    };
  }

  // --- peers --------------------------------------------------------------------------------

  async addPeer(config: PeerConfig): Promise<void> {
    await this.unary("AddPeer", { peer: encodePeer(config) }, "address");
  }

  /** Replaces a peer's whole configuration; the session resets when gobgpd needs it to. */
  async updatePeer(config: PeerConfig): Promise<void> {
    await this.unary("UpdatePeer", { peer: encodePeer(config), doSoftResetIn: true }, "address");
  }

  async deletePeer(address: string): Promise<void> {
    await this.unary("DeletePeer", { address: checkAddress(address, "address") }, "address");
  }

  /**
   * Resets a session: hard (closes and reopens the TCP session) or soft (re-sends and re-reads
   * routes through the current policies, e.g. after changing them).
   */
  async resetPeer(address: string, options: { soft?: "in" | "out" | "both" } = {}): Promise<void> {
    const directions = { in: "IN", out: "OUT", both: "BOTH" } as const;
    await this.unary("ResetPeer", {
      address: checkAddress(address, "address"),
      soft: options.soft !== undefined,
      direction: directions[options.soft ?? "both"],
    }, "address");
  }

  async listPeers(address?: string): Promise<PeerStatus[]> {
    const request = { address: address === undefined ? "" : checkAddress(address, "address"), enableAdvertised: true };
    return (await this.list("ListPeer", request)).map((r) => decodePeer(field(r, "peer")));
  }

  async getPeer(address: string): Promise<PeerStatus | undefined> {
    return (await this.listPeers(address))[0];
  }

  // --- paths --------------------------------------------------------------------------------

  /** Originates a path in the global RIB; returns gobgpd's UUID for `deletePath({ uuid })`. */
  async addPath(input: PathInput): Promise<string> {
    const { path } = encodePath(input);
    const response = await this.unary("AddPath", { tableType: "GLOBAL", path }, "prefix");
    return uuidFromBytes(bytes(response, "uuid"));
  }

  /** Withdraws a path we originated, by the UUID addPath returned or by its prefix. */
  async deletePath(which: { uuid: string } | { prefix: string; family?: AddressFamily }): Promise<void> {
    if ("uuid" in which) {
      await this.unary("DeletePath", { tableType: "GLOBAL", uuid: uuidToBytes(which.uuid) }, "uuid");
      return;
    }
    const path = encodeWithdrawal(which.prefix, which.family);
    await this.unary("DeletePath", { tableType: "GLOBAL", family: path["family"], path }, "prefix");
  }

  async listPaths(options: ListPathsOptions): Promise<BgpPath[]> {
    const family = parseFamily(options.family, "family");
    const tableType = tableTypes[options.table];
    if (tableType === undefined) throw new InvalidInputError("table", `"${String(options.table)}" is not "global", "adj-in" or "adj-out"`);
    let name = "";
    if (options.table !== "global") {
      if (options.peer === undefined) throw new InvalidInputError("peer", `the ${options.table} table belongs to a peer: name its address`);
      name = checkAddress(options.peer, "peer");
    }
    const prefixes = (options.prefixes ?? []).map((p, i) => ({ prefix: formatCidr(parsePrefix(p, family, `prefixes[${i}]`).cidr), type: "EXACT" }));
    const destinations = await this.list("ListPath", {
      tableType,
      name,
      family: apiFamily(family),
      prefixes,
      enableFiltered: options.includeFiltered === true,
    }, options.table === "global" ? "family" : "peer");
    const out: BgpPath[] = [];
    for (const d of destinations) {
      const destination = field(d, "destination");
      const prefix = str(destination, "prefix");
      for (const raw of list(destination, "paths")) {
        const path = decodePath(raw, prefix);
        if (path !== undefined) out.push(path);
      }
    }
    return out;
  }

  /**
   * Every path of the global RIB of one family, decoded lean (prefix, next hop, peer, best,
   * stale): for a full comparison, e.g. after a reconnect.
   */
  async listRoutes(family: AddressFamily): Promise<RouteUpdate[]> {
    return lean.listRoutes(this.transport, this.lean("listRoutes"), family);
  }

  /**
   * Best-path changes of every family, decoded lean, until `stop()`. Like watchBestPaths: the
   * current table comes first, and a break reports "disconnected", then "reconnected".
   */
  watchRoutes(onEvent: (event: RouteWatchEvent) => void, options: BackoffOptions = {}): WatchHandle {
    return this.track(lean.watchRoutes(this.transport, this.lean("watchRoutes"), onEvent, options));
  }

  /**
   * Every path received from a peer before the import policy (gobgpd's Adj-RIB-In, all
   * families), with the current Adj-RIBs-In first, and the sessions' state changes: to see what
   * the import policy refuses. Withdrawals come as routes with `withdrawal`.
   */
  watchReceived(onEvent: (event: RouteWatchEvent) => void, options: BackoffOptions = {}): WatchHandle {
    return this.track(lean.watchReceived(this.transport, this.lean("watchReceived"), onEvent, options));
  }

  /**
   * The sessions' state changes only, until `stop()`: no paths, so gobgpd converts nothing per
   * route for this watch (an Adj-RIB-In watch made gobgpd's work for a 10,000-route burst half
   * as much again and the agent decode every path twice; docs/bench-routes.md).
   */
  watchPeers(onEvent: (event: RouteWatchEvent) => void, options: BackoffOptions = {}): WatchHandle {
    return this.track(lean.watchPeers(this.transport, this.lean("watchPeers"), onEvent, options));
  }

  /**
   * One peer's Adj-RIB-In of one family, before the import policy (what it announced, accepted
   * or not), decoded lean.
   */
  async listReceived(peer: string, family: AddressFamily): Promise<RouteUpdate[]> {
    return lean.listReceived(this.transport, this.lean("listReceived"), peer, family);
  }

  /**
   * Streams changes of the global RIB's best paths of one family until `stop()`. The first event
   * after connecting is the current table (when BGP runs). When gobgpd goes away the watcher
   * emits "disconnected", retries with backoff, and emits "reconnected" once gobgpd answers again.
   */
  watchBestPaths(family: AddressFamily, onEvent: (event: BestPathEvent) => void, options: BackoffOptions = {}): WatchHandle {
    parseFamily(family, "family");
    return this.track(watchBestPaths(this.transport, () => this.transport.unary("GetBgp", {}), family, onEvent, options));
  }

  /** Stops `inner` with the client (close()), and forgets it when it is stopped first. */
  private track(inner: WatchHandle): WatchHandle {
    const handle: WatchHandle = {
      stop: () => {
        this.watches.delete(handle);
        inner.stop();
      },
    };
    this.watches.add(handle);
    return handle;
  }

  // --- policy -------------------------------------------------------------------------------

  /** Adds a defined set; gobgpd merges the entries into an existing set of the same name. */
  async addDefinedSet(set: DefinedSet): Promise<void> {
    await this.unary("AddDefinedSet", { definedSet: encodeDefinedSet(set) }, "name");
  }

  /** Deletes a whole set; gobgpd refuses while a statement uses it. */
  async deleteDefinedSet(type: DefinedSetType, name: string): Promise<void> {
    await this.unary("DeleteDefinedSet", {
      definedSet: { definedType: apiDefinedType(type), name: checkName(name, "name") },
      all: true,
    }, "name");
  }

  async listDefinedSets(type: DefinedSetType, name?: string): Promise<DefinedSet[]> {
    const request = { definedType: apiDefinedType(type), name: name === undefined ? "" : checkName(name, "name") };
    const sets = (await this.list("ListDefinedSet", request, "name")).map((r) => decodeDefinedSet(field(r, "definedSet")));
    return sets.filter((s): s is DefinedSet => s !== undefined && s.type === type);
  }

  /**
   * Makes a set hold exactly the given entries, also while policies use it (where delete and
   * re-add would be refused): adds the missing entries first, then removes the stale ones, so
   * the set is never empty in between.
   */
  async replaceDefinedSet(set: DefinedSet): Promise<void> {
    const wanted = encodeDefinedSet(set);
    const current = (await this.listDefinedSets(set.type)).find((s) => s.name === set.name);
    if (current === undefined) {
      await this.unary("AddDefinedSet", { definedSet: wanted }, "name");
      return;
    }
    const have = encodeDefinedSet(current);
    const key = (e: unknown): string => (typeof e === "string" ? e : `${str(e, "ipPrefix")} ${num(e, "maskLengthMin")}..${num(e, "maskLengthMax")}`);
    const entries = (s: Record<string, unknown>): readonly unknown[] => (set.type === "prefix" ? list(s, "prefixes") : list(s, "list"));
    const wantedKeys = new Set(entries(wanted).map(key));
    const haveKeys = new Set(entries(have).map(key));
    const listName = set.type === "prefix" ? "prefixes" : "list";
    const missing = entries(wanted).filter((e) => !haveKeys.has(key(e)));
    const stale = entries(have).filter((e) => !wantedKeys.has(key(e)));
    if (missing.length > 0) await this.unary("AddDefinedSet", { definedSet: { ...wanted, [listName]: missing } }, "name");
    if (stale.length > 0) {
      await this.unary("DeleteDefinedSet", { definedSet: { ...wanted, [listName]: stale }, all: false }, "name");
    }
  }

  /** Removes entries from a set (the set stays, also while a policy uses it). */
  async removeDefinedSetEntries(set: DefinedSet): Promise<void> {
    const encoded = encodeDefinedSet(set);
    await this.unary("DeleteDefinedSet", { definedSet: encoded, all: false }, "name");
  }

  /** Adds a policy with its statements. */
  async addPolicy(policy: Policy): Promise<void> {
    await this.unary("AddPolicy", { policy: encodePolicy(policy), referExistingStatements: false }, "name");
  }

  /**
   * Adds statements to an existing policy (gobgpd appends them; statement names are global and
   * must be new). Takes effect for routes that arrive afterwards, even while the policy is assigned.
   */
  async addStatements(policy: string, statements: PolicyStatement[]): Promise<void> {
    await this.unary("AddPolicy", { policy: encodePolicy({ name: policy, statements }), referExistingStatements: false }, "name");
  }

  /**
   * Takes statements out of a policy (it may stay assigned) and deletes their definitions, so
   * their names can be used again.
   */
  async removeStatements(policy: string, names: readonly string[]): Promise<void> {
    if (names.length === 0) return;
    const statements = names.map((n, i) => ({ name: checkName(n, `names[${i}]`) }));
    await this.unary("DeletePolicy", { policy: { name: checkName(policy, "policy"), statements }, all: false, preserveStatements: true }, "name");
    for (const s of statements) {
      try {
        await this.unary("DeleteStatement", { statement: s, all: true }, "name");
      } catch (err) {
        if (!(err instanceof GobgpError && err.reason === "not-found")) throw err;
      }
    }
  }

  /** Deletes a policy and its statements. Unassign it first (gobgpd 3.10 does not check import use). */
  async deletePolicy(name: string): Promise<void> {
    await this.unary("DeletePolicy", { policy: { name: checkName(name, "name") }, all: true, preserveStatements: false }, "name");
  }

  async listPolicies(name?: string): Promise<Policy[]> {
    const request = { name: name === undefined ? "" : checkName(name, "name") };
    return (await this.list("ListPolicy", request, "name")).map((r) => decodePolicy(field(r, "policy")));
  }

  /** Sets the policies and default action of one direction of the global RIB, replacing what was there. */
  async setPolicyAssignment(assignment: PolicyAssignment): Promise<void> {
    await this.unary("SetPolicyAssignment", { assignment: encodeAssignment(assignment) }, "policies");
  }

  /** Appends policies to one direction of the global RIB. */
  async addPolicyAssignment(assignment: PolicyAssignment): Promise<void> {
    await this.unary("AddPolicyAssignment", { assignment: encodeAssignment(assignment) }, "policies");
  }

  /** Removes every policy of one direction of the global RIB; the default action becomes accept. */
  async deletePolicyAssignment(direction: PolicyDirection): Promise<void> {
    await this.unary("DeletePolicyAssignment", {
      assignment: { name: globalRibName, direction: apiDirection(direction) },
      all: true,
    }, "direction");
  }

  async listPolicyAssignments(): Promise<PolicyAssignment[]> {
    const answers = await this.list("ListPolicyAssignment", { name: globalRibName, direction: "UNKNOWN" });
    return answers.map((r) => decodeAssignment(field(r, "assignment"))).filter((a): a is PolicyAssignment => a !== undefined);
  }

  /** Stops this client's watches (which would otherwise retry forever) and closes the channel. */
  close(): void {
    for (const w of [...this.watches]) w.stop();
    this.transport.close();
  }
}
