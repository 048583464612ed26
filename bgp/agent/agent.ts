/**
 * The node agent: cluster and BGP events in, gobgpd configuration, kernel routes and status out.
 * Four kinds of work, each on its own loop (main.ts), each proportional to what changed:
 * - config pass (cluster changes): the desired gobgpd configuration, applied as a diff; route
 *   trust's inputs; the blocks file; natOutgoing. A block event touches only its owner's prefix
 *   set and its own prefix.
 * - route pass (best-path events, re-checks): the route engine programs the dirty prefixes.
 * - full pass (slow anti-entropy, and after gobgpd comes back): gobgpd's RIB listed and merged
 *   into the best-path table, the kernel listed, gobgpd's configuration read back, drift repaired.
 * - status pass: its own timer and triggers (status-reporter.ts).
 */
import type { IPAMBlock, PetrelNodeStatus } from "../../common/api/index.ts";
import type { RoutesView } from "../../common/bgp-routes.ts";
import { blockNodeLabel, blockPoolLabel, cidrOfBlockName } from "../../common/block-name.ts";
import { canonicalJson } from "../../common/canonical-json.ts";
import { formatCidr } from "../../common/cidr.ts";
import { errorMessage } from "../../common/errors.ts";
import type { Logger } from "../../common/logger.ts";
import type { LoopPassResult } from "../../common/reconcile-loop.ts";
import type { GobgpClient } from "../gobgp/client.ts";
import { GobgpError } from "../gobgp/grpc-error.ts";
import type { PeerStatus, RouteUpdate, RouteWatchEvent, WatchHandle } from "../gobgp/types.ts";
import { BlockIndex } from "./block-index.ts";
import { describeIgnored, routeBounds, type RouteBounds } from "./cidr-bounds.ts";
import type { ClusterView } from "./cluster-view.ts";
import { desiredBgp, type DesiredBgp } from "./desired-bgp.ts";
import { GobgpSync } from "./gobgp-sync.ts";
import { forwardingFamilies, forwardingSysctl, type ForwardingReading } from "./forwarding.ts";
import { desiredPolicy, ownerSetName } from "./import-policy.ts";
import { natRuleset } from "./nat-plan.ts";
import { NodeAddressBook } from "./node-addresses.ts";
import { RefusalLog } from "./refusal-log.ts";
import { ReceivedAudit } from "./received-audit.ts";
import { RouteEngine, type RouteEngineMetrics } from "./route-engine.ts";
import { routesView } from "./routes-view.ts";
import type { KernelPort } from "./route-plan.ts";
import { blockProblem, judgeRoute, type RefusalReason, type TrustInputs } from "./route-trust.ts";
import { peerSamples, type PeerSample } from "./peer-sessions.ts";
import { SessionSettle } from "./session-settle.ts";
import { BlocksFile, readPasswords } from "./node-inputs.ts";
import { StatusReporter } from "./status-reporter.ts";

export interface AgentPorts {
  readonly cluster: { snapshot(): ClusterView; synced(): boolean; unsynced(): string[] };
  readonly bgp: GobgpClient;
  readonly kernel: KernelPort;
  readonly state: {
    writeBlocks(content: string): void;
    /** What blocks.json holds now (undefined when unreadable): a hand-edited file is rewritten. */
    readBlocks?(): string | undefined;
    allocated(): string[];
    /**
     * The same count, taken after every CNI ADD that may have read an older blocks.json has
     * finished (the plugin's locks, held exclusively): the count that acknowledges a drain.
     */
    allocatedAfterBarrier?(): Promise<string[]>;
  };
  /** Applies an nftables script (natOutgoing). */
  readonly nat: { apply(script: string): Promise<void> };
  /** Reads node-wide forwarding for these families and turns it on where it is off and can be. */
  readonly forwarding: { ensure(families: readonly (4 | 6)[]): Promise<ForwardingReading[]> };
  readonly kube: {
    patchNodeStatus(node: string, status: PetrelNodeStatus): Promise<boolean>;
    patchBlockStatus(block: string, status: NonNullable<IPAMBlock["status"]>): Promise<boolean>;
    secretValue(name: string, key: string): Promise<string | undefined>;
  };
  readonly log: Logger;
  readonly now?: () => number;
}

export interface AgentSettings {
  readonly nodeName: string;
  /** No route removals for this long after start or a gobgpd restart. */
  readonly routeSettleMs: number;
  /** Minimum time between two status writes of one object. */
  readonly statusIntervalMs: number;
  /** The node status is rewritten at least this often (heartbeat). */
  readonly heartbeatMs: number;
  /** How long a Node without an InternalIP keeps its last address. */
  readonly nodeAddressGraceMs: number;
  /**
   * Status passes check node forwarding at most this often (default 10 s). A status pass can run
   * every couple of seconds; where a node is a network namespace (tests, the demo) each check
   * spawns `ip netns exec … sysctl`, which was the largest part of an idle agent's CPU in
   * bench:routes (6 s of 36 s over a 6-minute run).
   */
  readonly forwardingCheckMs?: number;
  /** The received-routes audit lists a peer's Adj-RIB-In at most this often (default 5 s), once its UPDATE counter stands still. */
  readonly receivedAuditIntervalMs?: number;
}

export interface AgentMetrics extends RouteEngineMetrics {
  sessions(states: readonly string[]): void;
  kubeWrite(kind: "node-status" | "block-status"): void;
  /** A refusal counted, by reason and by the peer that sent it ("" when unknown). */
  refused(reason: RefusalReason, peer: string): void;
  /** The configured peers and their sessions, after every status pass. */
  peers(samples: readonly PeerSample[]): void;
  state(s: { held: boolean; settling: boolean; bestPaths: number; refusalsActive: number; cidrsIgnored: number }): void;
  forwarding(readings: readonly ForwardingReading[]): void;
  pass(kind: "config" | "route" | "full" | "status"): void;
}

/** The work the agent asks its loops for (main.ts wires them). */
export interface AgentTriggers {
  config(delayMs?: number): void;
  routes(delayMs?: number): void;
  full(delayMs?: number): void;
  status(delayMs?: number): void;
  /** The received-routes audit (received-audit.ts). */
  audit?(delayMs?: number): void;
}

const noTriggers: AgentTriggers = { config: () => {}, routes: () => {}, full: () => {}, status: () => {} };

export class Agent {
  readonly #p: AgentPorts;
  readonly #s: AgentSettings;
  readonly #m: AgentMetrics | undefined;
  readonly #now: () => number;
  readonly #sync: GobgpSync;
  readonly #engine: RouteEngine;
  readonly #audit: ReceivedAudit;
  #forwardingCheckedAt = -Infinity;
  readonly #addresses: NodeAddressBook;
  readonly #refusals: RefusalLog;
  readonly #status: StatusReporter;
  #blocks: BlockIndex;
  #bounds: RouteBounds = { pools: [], poolsByName: new Map(), serviceCidrs: [], ignored: [] };
  #boundsKey = "";
  #trust: TrustInputs | undefined;
  #desired: DesiredBgp | undefined;
  #view: ClusterView | undefined;
  /**
   * The node's blocks as of the last blocks.json write (set in the same tick as the write): the
   * status pass acknowledges a drain only for a block the file already reflects.
   */
  #fileBlocks: readonly IPAMBlock[] = [];
  /** Owner prefix sets whose contents may have changed since the last gobgpd apply. */
  readonly #changedSets = new Set<string>();
  #allSetsChanged = true;
  readonly #blocksFile: BlocksFile;
  #lastNat: string | undefined;
  #notReady: { reason: string; message: string } | undefined = { reason: "Starting", message: "the agent is starting" };
  #bgpConfigured = false;
  #watches: WatchHandle[] = [];
  readonly #sessionSettle: SessionSettle;
  #startSettled = false;
  /** The last forwarding check, and for which families (checked again when they change). */
  #forwarding: ForwardingReading[] | undefined;
  #forwardingFamilies = "";
  triggers: AgentTriggers = noTriggers;
  /** Set when a config pass completes cleanly (for /readyz). */
  lastCleanConfigAt: number | undefined;

  constructor(ports: AgentPorts, settings: AgentSettings, metrics?: AgentMetrics) {
    this.#p = ports;
    this.#s = settings;
    this.#m = metrics;
    this.#now = ports.now ?? Date.now;
    this.#audit = new ReceivedAudit({ minIntervalMs: settings.receivedAuditIntervalMs });
    this.#sync = new GobgpSync(ports.bgp, ports.log);
    this.#addresses = new NodeAddressBook(settings.nodeAddressGraceMs);
    this.#blocks = new BlockIndex(this.#bounds);
    this.#refusals = new RefusalLog(ports.log, {
      now: this.#now,
      onCounted: (r, peer) => metrics?.refused(r, peer),
      onChange: () => {
        this.triggers.status();
        this.#publishState();
      },
    });
    this.#engine = new RouteEngine(ports.kernel, ports.log, {
      now: this.#now,
      keepWithdrawn: (peers) => this.#peersGobgpdLost(peers),
      keepWithdrawnMs: Math.max(settings.routeSettleMs, 10_000),
      ...(metrics === undefined ? {} : { metrics }),
      onRefusal: (prefix, r, previous) => {
        if (r === undefined) {
          if (previous !== undefined) this.#refusals.clear(previous.peer ?? "", prefix, "best");
        } else {
          this.#refusals.record({ peer: r.peer ?? "", prefix, nextHop: r.nextHop, reason: r.reason, detail: r.detail }, "best");
        }
      },
    });
    this.#blocksFile = new BlocksFile(settings.nodeName, {
      write: (text) => ports.state.writeBlocks(text),
      ...(ports.state.readBlocks === undefined ? {} : { read: ports.state.readBlocks.bind(ports.state) }),
    }, ports.log);
    this.#engine.settle(settings.routeSettleMs);
    this.#sessionSettle = new SessionSettle({
      sessions: () => ports.bgp.listPeers(),
      wanted: () => this.#desired?.peers.map((p) => p.address),
      settle: (ms) => this.#engine.settle(ms),
      wake: (ms) => this.triggers.routes(ms),
      log: ports.log,
      now: this.#now,
    });
    this.#status = new StatusReporter({
      bgp: ports.bgp,
      kube: ports.kube,
      allocated: () => ports.state.allocated(),
      ...(ports.state.allocatedAfterBarrier === undefined ? {} : { allocatedAfterBarrier: ports.state.allocatedAfterBarrier.bind(ports.state) }),
      log: ports.log,
      now: this.#now,
      onWrite: (k) => metrics?.kubeWrite(k),
      onSessions: (s) => metrics?.sessions(s),
      onPeers: (peers, sessions) => metrics?.peers(peerSamples(peers, sessions, this.#refusals.activeByPeer())),
    }, { nodeName: settings.nodeName, statusIntervalMs: settings.statusIntervalMs, heartbeatMs: settings.heartbeatMs, countsRefreshMs: Math.min(30_000, settings.heartbeatMs) });
  }

  /**
   * Of these peers, the ones the node still wants but gobgpd no longer has: gobgpd stopping (or
   * restarted) withdrew their routes because it deleted them, not because they withdrew.
   */
  async #peersGobgpdLost(peers: readonly string[]): Promise<ReadonlySet<string>> {
    const wanted = new Set((this.#desired?.peers ?? []).map((p) => p.address));
    let present: Set<string>;
    try {
      present = new Set((await this.#p.bgp.listPeers()).map((p) => p.address));
    } catch {
      present = new Set(); // gobgpd does not answer: it is going away
    }
    return new Set(peers.filter((p) => wanted.has(p) && !present.has(p)));
  }

  #settleUntilSessionsUp(): void {
    const gr = this.#view?.bgpConfiguration?.spec?.gracefulRestart;
    this.#sessionSettle.start(this.#s.routeSettleMs, (gr?.enabled ?? true) ? (gr?.restartTimeSeconds ?? 120) * 1000 : 0);
  }

  /** Why the agent is not ready, or undefined (for /readyz). */
  readiness(): string | undefined {
    if (!this.#p.cluster.synced()) {
      const kept = this.#engine.kernelListed ? `the ${this.#engine.kernelRoutes} Petrel routes already in the kernel are kept` : "the Petrel routes already in the kernel are kept";
      return `waiting for the API server: ${this.#p.cluster.unsynced().join(", ")} not listed yet, so routes cannot be verified; ${kept} and none is removed`;
    }
    if (this.#notReady !== undefined) return `${this.#notReady.reason}: ${this.#notReady.message}`;
    if (this.lastCleanConfigAt === undefined) return "no clean configuration pass yet";
    return undefined;
  }

  // --- BGP events -----------------------------------------------------------------------------

  /**
   * Follows gobgpd's best paths (for the kernel) and its sessions (for status and the
   * received-routes audit). What peers send that gobgpd's import policy drops is found by the
   * audit pass, not by watching every received path (received-audit.ts).
   */
  watchBgp(): void {
    this.#watches.push(this.#p.bgp.watchRoutes((e) => this.#onBest(e)));
    this.#watches.push(this.#p.bgp.watchPeers((e) => this.#onPeer(e)));
  }

  stopWatching(): void {
    for (const w of this.#watches.splice(0)) w.stop();
    this.#sessionSettle.stop();
  }

  #onBest(e: RouteWatchEvent): void {
    if (e.type === "routes") {
      if (this.#engine.onBestPaths(e.routes) > 0) this.triggers.routes();
    } else if (e.type === "reconnected") {
      this.#p.log.warn("gobgpd is back after a break; reading its state and reconfiguring it");
      this.#sync.reset();
      this.#bgpConfigured = false;
      this.#engine.setConnected(true);
      this.#settleUntilSessionsUp();
      this.#allSetsChanged = true;
      this.triggers.config(0);
      this.triggers.full(0);
    } else if (e.type === "disconnected") {
      this.#engine.setConnected(false);
      this.#p.log.warn("lost gobgpd's best-path stream; kernel routes stay as they are", { error: e.error.message });
    }
  }

  #onPeer(e: RouteWatchEvent): void {
    if (e.type !== "peer") return;
    this.#status.sessionsChanged();
    if (e.state !== "Established") {
      this.#refusals.clearPeer(e.peer);
      this.#audit.forget(e.peer);
    }
    this.triggers.status();
    this.triggers.audit?.(1000);
  }

  /**
   * The received-routes audit: the refusals of what peers send that gobgpd's import policy
   * dropped (received-audit.ts). Peers' UPDATE counters every pass; a peer's Adj-RIB-In once it
   * sent UPDATEs since its last listing and then stood still for a pass (one listing per burst).
   */
  async auditPass(): Promise<LoopPassResult> {
    const trust = this.#trust;
    if (trust === undefined) return { clean: true };
    const peers = await this.#p.bgp.listPeers();
    const now = this.#now();
    const counts = new Map(peers.map((p) => [p.address, { address: p.address, established: p.state === "Established", updates: p.messages.received.update }]));
    const plan = this.#audit.plan([...counts.values()], now);
    for (const c of plan.clear) for (const prefix of c.prefixes) this.#refusals.clear(c.peer, prefix, "received");
    for (const address of plan.list) {
      const peer = peers.find((p) => p.address === address);
      const c = counts.get(address);
      if (peer === undefined || c === undefined) continue;
      const paths = [];
      for (const f of peer.families) if (f.received > 0) paths.push(...(await this.#p.bgp.listReceived(address, f.family)));
      const found = this.#audit.judge(c, paths.filter((r) => !r.withdrawal), (prefix, nextHop) => judgeRoute(trust, prefix, nextHop), now);
      for (const prefix of found.clear) this.#refusals.clear(address, prefix, "received");
      for (const r of found.record) this.#refusals.record(r, "received");
    }
    return { clean: true };
  }

  // --- cluster events -------------------------------------------------------------------------

  /** A block appeared, changed or went: only its owner's prefix set and its own route are affected. */
  blockEvent(type: "upsert" | "delete", name: string, labels: Readonly<Record<string, string>>): void {
    const cidr = cidrOfBlockName(name);
    if (cidr === undefined) return;
    const prefix = formatCidr(cidr);
    const node = labels[blockNodeLabel];
    const affected = type === "delete" || node === undefined
      ? this.#blocks.remove(prefix)
      : this.#blocks.upsert(prefix, { node, pool: labels[blockPoolLabel] ?? "", cidr });
    if (affected.length === 0) return;
    for (const owner of affected) {
      this.#changedSets.add(ownerSetName(owner, "ipv4-unicast"));
      this.#changedSets.add(ownerSetName(owner, "ipv6-unicast"));
    }
    this.#engine.recheck([prefix]);
    this.#recheckRefusals(prefix);
    this.triggers.routes();
    this.triggers.config();
  }

  #recheckRefusals(prefix?: string): void {
    const trust = this.#trust;
    if (trust === undefined) return;
    this.#refusals.recheck((p, nextHop) => {
      const v = judgeRoute(trust, p, nextHop);
      return v.accept ? undefined : v.reason;
    }, prefix);
  }

  // --- config pass ----------------------------------------------------------------------------

  async configPass(): Promise<LoopPassResult> {
    this.#m?.pass("config");
    const { cluster, log } = this.#p;
    if (!cluster.synced()) {
      this.#publishState();
      return { clean: true };
    }
    const now = this.#now();
    const raw = cluster.snapshot();
    const me = this.#s.nodeName;
    for (const node of this.#addresses.update(raw.nodes, now)) this.#engine.recheck(this.#blocks.prefixesOf(node));
    const view: ClusterView = { ...raw, nodes: this.#addresses.apply(raw.nodes) };
    this.#view = view;
    const problems: string[] = [];
    for (const r of this.#addresses.remembered(now)) {
      if (r.node === me) problems.push(`Node ${me} has no InternalIP: the agent keeps using ${r.address} for ${Math.round(r.forgetInMs / 1000)} s more`);
      else log.warn("a node has no InternalIP; its last address is kept for now", { node: r.node, address: r.address, forgetInMs: r.forgetInMs });
    }
    const wakeForAddresses = this.#addresses.remembered(now).map((r) => r.forgetInMs + 100);
    // Bounds of what is imported and exported; a change re-checks every block and route (rare).
    const bounds = routeBounds(view.pools, view.bgpConfiguration?.spec?.serviceCIDRs, [...this.#addresses.entries()].map(([n, a]) => [n, a.address] as const));
    const boundsKey = canonicalJson({ p: bounds.pools.map((p) => [p.name, formatCidr(p.cidr), p.blockSize]), s: bounds.serviceCidrs });
    if (boundsKey !== this.#boundsKey) {
      this.#bounds = bounds;
      for (const owner of this.#blocks.revalidate(bounds)) this.#changedSets.add(ownerSetName(owner, "ipv4-unicast")).add(ownerSetName(owner, "ipv6-unicast"));
      this.#allSetsChanged = true;
      this.#engine.recheckAll();
      if (bounds.ignored.length > 0) log.warn("ignoring pools or service CIDRs", { ignored: describeIgnored(bounds.ignored) });
      this.#boundsKey = boundsKey;
    }
    this.#bounds = bounds;
    const passwords = await readPasswords(view.bgpPeers, (n, k) => this.#p.kube.secretValue(n, k), log);
    const d = desiredBgp(view, me, (name, key) => passwords.get(`${name}/${key}`), bounds);
    this.#desired = d;
    problems.push(...d.problems);
    // Route trust's inputs; a change of learn-from peers or services re-checks everything.
    const nodeAddresses = new Set(view.nodes.filter((n) => n.name !== me && n.address !== undefined).map((n) => n.address as string));
    const trust: TrustInputs = {
      me,
      blocks: this.#blocks.all,
      bounds,
      address: (n) => this.#addresses.address(n),
      learnFrom: new Set(d.learnFrom),
      nodeAddresses,
      services: new Set(bounds.serviceCidrs),
    };
    const prev = this.#trust;
    if (prev !== undefined && (canonicalJson([...prev.learnFrom]) !== canonicalJson(d.learnFrom) || canonicalJson([...prev.services]) !== canonicalJson(bounds.serviceCidrs) || canonicalJson([...prev.nodeAddresses].sort()) !== canonicalJson([...nodeAddresses].sort()))) {
      this.#engine.recheckAll();
    }
    this.#trust = trust;
    this.#engine.setTrust(trust);
    this.#recheckRefusals();
    this.#engine.setOwnBlocks(new Set(d.ownBlocks));
    let notReady: { reason: string; message: string } | undefined = problems.length > 0 ? { reason: "ConfigurationProblem", message: problems.join("; ") } : undefined;
    let clean = true;
    // 1. The CNI plugin's blocks first: pods can start even if BGP is not up yet.
    this.#blocksFile.update(view.blocks, new Date(now));
    this.#fileBlocks = view.blocks;
    // 2. gobgpd.
    if (d.nodeAddress !== "") {
      const policy = desiredPolicy({
        blocksByOwner: [...this.#blocks.validByOwner()].filter(([n]) => n !== me),
        address: (n) => this.#addresses.address(n),
        learnFrom: d.learnFrom,
        services: bounds.serviceCidrs,
        nodeAddresses: [...nodeAddresses],
        reflector: d.reflector,
      });
      try {
        const changedSets = this.#allSetsChanged ? undefined : new Set(this.#changedSets);
        this.#changedSets.clear();
        this.#allSetsChanged = false;
        await this.#sync.apply({ bgp: d, policy, ...(changedSets === undefined ? {} : { changedSets }) });
        if (!this.#bgpConfigured && !this.#startSettled) {
          // The first time gobgpd is configured: removals wait for the sessions too.
          this.#startSettled = true;
          this.#settleUntilSessionsUp();
        }
        this.#bgpConfigured = true;
        // A peer gobgpd no longer has (its BGPPeer deleted) sent its last word: gobgpd sends no
        // session event for a deleted peer, so its refusals would otherwise stay in force.
        const wantedPeers = new Set(d.peers.map((p) => p.address));
        for (const peer of this.#refusals.activeByPeer().keys()) if (!wantedPeers.has(peer)) this.#refusals.clearPeer(peer);
      } catch (err) {
        clean = false;
        this.#allSetsChanged = true;
        notReady = { reason: "GobgpdUnavailable", message: `cannot configure gobgpd: ${errorMessage(err)}` };
        log.warn("gobgpd configuration failed; retrying", { error: errorMessage(err) });
      }
    }
    // 3. Node-wide forwarding: other nodes cannot reach the pods without it (forwarding.ts).
    if (forwardingFamilies(view.blocks).join(",") !== this.#forwardingFamilies) await this.#checkForwarding(view.blocks);
    // 4. natOutgoing.
    const nat = natRuleset(view.pools);
    if (nat !== this.#lastNat) {
      try {
        await this.#p.nat.apply(nat);
        this.#lastNat = nat;
        log.info("natOutgoing rules applied", { pools: view.pools.filter((p) => p.spec.natOutgoing === true).map((p) => p.spec.cidr) });
      } catch (err) {
        clean = false;
        notReady ??= { reason: "NatFailed", message: `cannot apply the natOutgoing rules: ${errorMessage(err)}` };
        log.warn("natOutgoing rules failed; retrying", { error: errorMessage(err) });
      }
    }
    this.#notReady = notReady;
    if (clean) this.lastCleanConfigAt = now;
    this.triggers.routes();
    this.triggers.status();
    this.#publishState();
    return { clean, ...(wakeForAddresses.length > 0 ? { wakeAfterMs: Math.min(...wakeForAddresses) } : {}) };
  }

  /** Reads (and where it can, turns on) forwarding for the families of the node's blocks. */
  async #checkForwarding(blocks: readonly IPAMBlock[]): Promise<void> {
    this.#forwardingCheckedAt = this.#now();
    const families = forwardingFamilies(blocks);
    try {
      const readings = await this.#p.forwarding.ensure(families);
      this.#forwarding = readings;
      this.#forwardingFamilies = families.join(",");
      this.#m?.forwarding(readings);
      for (const r of readings) {
        if (r.turnedOn) this.#p.log.warn("IP forwarding was off on this node; turned it on", { sysctl: forwardingSysctl[r.family] });
        else if (!r.enabled) this.#p.log.debug("IP forwarding is off on this node and the agent cannot turn it on", { sysctl: forwardingSysctl[r.family], error: r.error });
      }
    } catch (err) {
      this.#p.log.warn("cannot check IP forwarding", { error: errorMessage(err) });
    }
  }

  // --- route and full passes ------------------------------------------------------------------

  async routePass(): Promise<LoopPassResult> {
    this.#m?.pass("route");
    const r = await this.#engine.pass();
    if (r.changed > 0) this.triggers.status(this.#s.statusIntervalMs);
    this.#publishState();
    return { clean: r.clean, ...(r.wakeAfterMs === undefined ? {} : { wakeAfterMs: r.wakeAfterMs }) };
  }

  /**
   * The slow full comparison: gobgpd's RIB merged into the best-path table (events during the
   * listing win), the kernel listed again, gobgpd's configuration read back on the next config
   * pass. Also what runs when gobgpd comes back.
   */
  async fullPass(): Promise<LoopPassResult> {
    this.#m?.pass("full");
    let clean = true;
    const refresh = this.#engine.best.beginRefresh();
    try {
      const listing: RouteUpdate[] = [];
      for (const f of ["ipv4-unicast", "ipv6-unicast"] as const) listing.push(...(await this.#p.bgp.listRoutes(f)));
      this.#engine.recheck(this.#engine.best.finishRefresh(refresh, listing));
    } catch (err) {
      if (err instanceof GobgpError && err.reason === "not-started") {
        // BGP not started (a fresh gobgpd the agent has not configured yet): its RIB is empty.
        this.#engine.recheck(this.#engine.best.finishRefresh(refresh, []));
      } else {
        this.#engine.best.abortRefresh(refresh);
        clean = false;
        this.#p.log.warn("cannot list gobgpd's routes for the full comparison; retrying", { error: errorMessage(err) });
      }
    }
    this.#engine.requestRelist();
    if (this.#bgpConfigured) {
      this.#sync.reset();
      this.#allSetsChanged = true;
      this.triggers.config(0);
    }
    this.triggers.routes(0);
    return { clean };
  }

  // --- status ---------------------------------------------------------------------------------

  async statusPass(): Promise<LoopPassResult> {
    this.#m?.pass("status");
    const view = this.#view;
    if (view === undefined) return { clean: true };
    const d = this.#desired;
    if (this.#now() - this.#forwardingCheckedAt >= (this.#s.forwardingCheckMs ?? 10_000)) await this.#checkForwarding(view.blocks);
    const totals = this.#refusals.totals();
    const { via: installed, blackhole: blackholes } = this.#engine.counts;
    return this.#status.pass({
      petrelNode: view.petrelNodes.find((p) => p.metadata.name === this.#s.nodeName),
      blocks: this.#fileBlocks,
      peers: d?.peers ?? [],
      advertised: this.#sync.advertised(),
      notReady: this.#notReady,
      routes: { installed, blackholes, refused: totals },
      refusals: this.#refusals.active(32),
      ignoredCidrs: this.#bounds.ignored,
      ...(this.#forwarding === undefined ? {} : { forwarding: this.#forwarding }),
      bgpUp: this.#bgpConfigured,
    });
  }

  #publishState(): void {
    this.#m?.state({
      held: !this.#engine.verified,
      settling: this.#engine.settling,
      bestPaths: this.#engine.best.size,
      refusalsActive: this.#refusals.activeCount,
      cidrsIgnored: this.#bounds.ignored.length,
    });
  }

  /**
   * What `petrelctl bgp routes` shows (served at /bgp/routes): made from what the agent already
   * holds, plus one ListPeer for the sessions' current state and counts.
   */
  async routesView(): Promise<RoutesView> {
    let sessions: PeerStatus[] = [];
    let gobgpdError: string | undefined;
    if (this.#bgpConfigured) {
      try {
        sessions = await this.#p.bgp.listPeers();
      } catch (err) {
        gobgpdError = `cannot read gobgpd's sessions: ${errorMessage(err)}`;
      }
    }
    return routesView({
      node: this.#s.nodeName,
      now: this.#now(),
      bgpConfigured: this.#bgpConfigured,
      routesHeld: !this.#engine.verified,
      settling: this.#engine.settling,
      ...(gobgpdError === undefined ? {} : { gobgpdError }),
      peers: peerSamples(this.#desired?.peers ?? [], sessions, this.#refusals.activeByPeer()),
      advertised: this.#sync.advertisedPaths(),
      ownBlocks: new Set(this.#desired?.ownBlocks ?? []),
      best: this.#engine.best.values(),
      kernel: this.#engine.kernelTable,
      engineRefusals: this.#engine.refusals(),
      refusals: this.#refusals.active(),
      refusalsDropped: this.#refusals.dropped,
      refusedTotals: this.#refusals.totals(),
    });
  }

  /** For tests and petrelctl-like views: block validity as the agent sees it. */
  blockProblem(prefix: string): string | undefined {
    const b = this.#blocks.all.get(prefix);
    return b === undefined ? "unknown" : blockProblem(b, this.#bounds);
  }
}
