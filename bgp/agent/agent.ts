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
import type { IPAMBlock } from "../../common/api/index.ts";
import type { RoutesView } from "../../common/bgp-routes.ts";
import { errorMessage } from "../../common/errors.ts";
import type { LoopPassResult } from "../../common/reconcile-loop.ts";
import type { PeerStatus, RouteWatchEvent, WatchHandle } from "../gobgp/types.ts";
import type { AgentMetrics, AgentPorts, AgentSettings, AgentTriggers } from "./agent-ports.ts";
import { AuditPass } from "./audit-pass.ts";
import { refreshBestPaths } from "./best-refresh.ts";
import { ClusterTrust } from "./cluster-trust.ts";
import { describeIgnored, routeBounds } from "./cidr-bounds.ts";
import type { ClusterView } from "./cluster-view.ts";
import { desiredBgp, type DesiredBgp } from "./desired-bgp.ts";
import { GobgpSync } from "./gobgp-sync.ts";
import { ForwardingCheck } from "./forwarding-check.ts";
import { NatOutgoing } from "./nat-outgoing.ts";
import { NodeAddressBook } from "./node-addresses.ts";
import { RefusalLog } from "./refusal-log.ts";
import { RouteEngine } from "./route-engine.ts";
import { routesView } from "./routes-view.ts";
import { judgeRoute } from "./route-trust.ts";
import { peerSamples } from "./peer-sessions.ts";
import { SessionSettle } from "./session-settle.ts";
import { BlocksFile, readPasswords } from "./node-inputs.ts";
import { StatusReporter } from "./status-reporter.ts";

export type { AgentMetrics, AgentPorts, AgentSettings, AgentTriggers } from "./agent-ports.ts";

const noTriggers: AgentTriggers = { config: () => {}, routes: () => {}, full: () => {}, status: () => {} };

export class Agent {
  readonly #p: AgentPorts;
  readonly #s: AgentSettings;
  readonly #m: AgentMetrics | undefined;
  readonly #now: () => number;
  readonly #sync: GobgpSync;
  readonly #engine: RouteEngine;
  readonly #audit: AuditPass;
  readonly #forwardingCheck: ForwardingCheck;
  readonly #addresses: NodeAddressBook;
  readonly #refusals: RefusalLog;
  readonly #status: StatusReporter;
  readonly #cluster: ClusterTrust;
  #desired: DesiredBgp | undefined;
  #view: ClusterView | undefined;
  /**
   * The node's blocks as of the last blocks.json write (set in the same tick as the write): the
   * status pass acknowledges a drain only for a block the file already reflects.
   */
  #fileBlocks: readonly IPAMBlock[] = [];
  readonly #blocksFile: BlocksFile;
  readonly #nat: NatOutgoing;
  #notReady: { reason: string; message: string } | undefined = { reason: "Starting", message: "the agent is starting" };
  #bgpConfigured = false;
  #watches: WatchHandle[] = [];
  readonly #sessionSettle: SessionSettle;
  #startSettled = false;
  triggers: AgentTriggers = noTriggers;
  /** Set when a config pass completes cleanly (for /readyz). */
  lastCleanConfigAt: number | undefined;

  constructor(ports: AgentPorts, settings: AgentSettings, metrics?: AgentMetrics) {
    this.#p = ports;
    this.#s = settings;
    this.#m = metrics;
    this.#now = ports.now ?? Date.now;
    this.#forwardingCheck = new ForwardingCheck(ports.forwarding, ports.log, this.#now, settings.forwardingCheckMs ?? 10_000, (r) => metrics?.forwarding(r));
    this.#sync = new GobgpSync(ports.bgp, ports.log);
    this.#addresses = new NodeAddressBook(settings.nodeAddressGraceMs);
    this.#cluster = new ClusterTrust(settings.nodeName);
    this.#nat = new NatOutgoing(ports.nat, ports.log);
    this.#refusals = new RefusalLog(ports.log, {
      now: this.#now,
      onCounted: (r, peer) => metrics?.refused(r, peer),
      onChange: () => {
        this.triggers.status();
        this.#publishState();
      },
    });
    this.#audit = new AuditPass(ports.bgp, this.#refusals, this.#now, { minIntervalMs: settings.receivedAuditIntervalMs }, (peer) => this.#engine.best.freshFrom(peer));
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
      this.#engine.best.streamUp();
      this.#sync.reset();
      this.#bgpConfigured = false;
      this.#engine.setConnected(true);
      this.#settleUntilSessionsUp();
      this.#cluster.allSetsChanged();
      this.triggers.config(0);
      this.triggers.full(0);
    } else if (e.type === "disconnected") {
      this.#engine.setConnected(false);
      this.#engine.best.streamDown();
      this.#p.log.warn("lost gobgpd's best-path stream; kernel routes stay as they are", { error: e.error.message });
    }
  }

  #onPeer(e: RouteWatchEvent): void {
    if (e.type !== "peer") return;
    this.#status.sessionsChanged();
    if (e.state !== "Established") {
      this.#audit.sessionDown(e.peer);
    }
    this.triggers.status();
    this.triggers.audit?.(1000);
  }

  /** The received-routes audit (audit-pass.ts). */
  async auditPass(): Promise<LoopPassResult> {
    await this.#audit.run(this.#cluster.trust);
    return { clean: true };
  }

  // --- cluster events -------------------------------------------------------------------------

  /** A block appeared, changed or went: only its owner's prefix set and its own route are affected. */
  blockEvent(type: "upsert" | "delete", name: string, labels: Readonly<Record<string, string>>): void {
    const prefix = this.#cluster.blockEvent(type, name, labels);
    if (prefix === undefined) return;
    this.#engine.recheck([prefix]);
    this.#recheckRefusals(prefix);
    this.triggers.routes();
    this.triggers.config();
  }

  #recheckRefusals(prefix?: string): void {
    const trust = this.#cluster.trust;
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
    for (const node of this.#addresses.update(raw.nodes, now)) this.#engine.recheck(this.#cluster.prefixesOf(node));
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
    if (this.#cluster.setBounds(bounds)) {
      this.#engine.recheckAll();
      if (bounds.ignored.length > 0) log.warn("ignoring pools or service CIDRs", { ignored: describeIgnored(bounds.ignored) });
    }
    const passwords = await readPasswords(view.bgpPeers, (n, k) => this.#p.kube.secretValue(n, k), log);
    const d = desiredBgp(view, me, (name, key) => passwords.get(`${name}/${key}`), bounds);
    this.#desired = d;
    problems.push(...d.problems);
    // Route trust's inputs; a change of learn-from peers or services re-checks everything.
    const nodeAddresses = new Set(view.nodes.filter((n) => n.name !== me && n.address !== undefined).map((n) => n.address as string));
    const widened = this.#cluster.setTrust({
      address: (n: string) => this.#addresses.address(n),
      learnFrom: new Set(d.learnFrom),
      nodeAddresses,
      services: new Set(bounds.serviceCidrs),
    });
    if (widened) this.#engine.recheckAll();
    const trust = this.#cluster.trust;
    if (trust !== undefined) this.#engine.setTrust(trust);
    this.#recheckRefusals();
    this.#engine.setOwnBlocks(new Set(d.ownBlocks));
    let notReady: { reason: string; message: string } | undefined = problems.length > 0 ? { reason: "ConfigurationProblem", message: problems.join("; ") } : undefined;
    let clean = true;
    // 1. The CNI plugin's blocks first: pods can start even if BGP is not up yet.
    this.#blocksFile.update(view.blocks, new Date(now));
    this.#fileBlocks = view.blocks;
    // 2. gobgpd.
    if (d.nodeAddress !== "") {
      const policy = this.#cluster.policy({
        address: (n) => this.#addresses.address(n),
        learnFrom: d.learnFrom,
        services: bounds.serviceCidrs,
        nodeAddresses: [...nodeAddresses],
        reflector: d.reflector,
      });
      try {
        const changedSets = this.#cluster.takeChangedSets();
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
        this.#cluster.allSetsChanged();
        notReady = { reason: "GobgpdUnavailable", message: `cannot configure gobgpd: ${errorMessage(err)}` };
        log.warn("gobgpd configuration failed; retrying", { error: errorMessage(err) });
      }
    }
    // 3. Node-wide forwarding: other nodes cannot reach the pods without it (forwarding.ts).
    await this.#forwardingCheck.ifFamiliesChanged(view.blocks);
    // 4. natOutgoing.
    const natProblem = await this.#nat.apply(view.pools);
    if (natProblem !== undefined) {
      clean = false;
      notReady ??= { reason: "NatFailed", message: natProblem };
    }
    this.#notReady = notReady;
    if (clean) this.lastCleanConfigAt = now;
    this.triggers.routes();
    this.triggers.status();
    this.#publishState();
    return { clean, ...(wakeForAddresses.length > 0 ? { wakeAfterMs: Math.min(...wakeForAddresses) } : {}) };
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
    const clean = await refreshBestPaths(this.#engine, this.#p.bgp, this.#p.log);
    this.#engine.requestRelist();
    if (this.#bgpConfigured) {
      this.#sync.reset();
      this.#cluster.allSetsChanged();
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
    await this.#forwardingCheck.ifDue(view.blocks);
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
      ignoredCidrs: this.#cluster.bounds.ignored,
      ...(this.#forwardingCheck.readings === undefined ? {} : { forwarding: this.#forwardingCheck.readings }),
      bgpUp: this.#bgpConfigured,
    });
  }

  #publishState(): void {
    this.#m?.state({
      held: !this.#engine.verified,
      settling: this.#engine.settling,
      bestPaths: this.#engine.best.size,
      refusalsActive: this.#refusals.activeCount,
      cidrsIgnored: this.#cluster.bounds.ignored.length,
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
    return this.#cluster.blockProblem(prefix);
  }
}
