/**
 * The node agent's reconcile: level-triggered, like the controller. A full pass configures
 * gobgpd from the cluster, writes the node's blocks for the CNI plugin, programs routes and
 * reports status; a route pass (after every best-path change) only reprograms routes. Routes are
 * never removed while BGP is settling after a start or a gobgpd restart, so a restart does not
 * pull routes that the sessions are about to re-learn.
 */
import type { IPAMBlock, PetrelNode, PetrelNodeStatus } from "../../common/api/index.ts";
import { errorMessage } from "../../common/errors.ts";
import type { Logger } from "../../common/logger.ts";
import { renderNodeBlocksFile } from "../../common/node-blocks.ts";
import type { LoopPassResult } from "../../common/reconcile-loop.ts";
import type { GobgpClient } from "../gobgp/client.ts";
import type { AddressFamily, BestPathEvent, BgpPath, WatchHandle } from "../gobgp/types.ts";
import type { ClusterView } from "./cluster-view.ts";
import { desiredBgp, type DesiredBgp } from "./desired-bgp.ts";
import { forwardingFamilies, forwardingSysctl, type ForwardingReading } from "./forwarding.ts";
import { GobgpSync } from "./gobgp-sync.ts";
import { natRuleset } from "./nat-plan.ts";
import { desiredRoutes, routeBatch, routeChanges, routeKey, type BestRoute, type KernelRoute } from "./route-plan.ts";
import { blockStatus, blockStatusChanged, countAllocations, nodeStatusChanged, petrelNodeStatus } from "./status-plan.ts";

export interface AgentPorts {
  readonly cluster: { snapshot(): ClusterView; synced(): boolean };
  readonly bgp: GobgpClient;
  readonly kernel: { list(): Promise<KernelRoute[]>; apply(batch: string): Promise<void> };
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
}

export interface AgentMetrics {
  routes(counts: { via: number; blackhole: number }): void;
  routeChanges(replaced: number, removed: number): void;
  sessions(states: readonly string[]): void;
  kubeWrite(kind: "node-status" | "block-status"): void;
  forwarding(readings: readonly ForwardingReading[]): void;
}

export class Agent {
  readonly #p: AgentPorts;
  readonly #s: AgentSettings;
  readonly #m: AgentMetrics | undefined;
  readonly #sync: GobgpSync;
  readonly #best = new Map<string, BestRoute>();
  #desired: DesiredBgp | undefined;
  #settleUntil: number;
  #lastBlocksFile = "";
  #lastBlocksText = "";
  #lastNat: string | undefined;
  /**
   * The Petrel routes in the kernel as of the last listing plus what the agent applied since:
   * a route pass diffs against this instead of running `ip route show` each time (measured: those
   * spawns were a quarter of the agents' CPU at 20 nodes). A full pass lists the kernel again,
   * which also repairs drift (someone deleting a route by hand).
   */
  #kernel: Map<string, KernelRoute> | undefined;
  #lastNodeStatusWrite = 0;
  #lastNodeStatus: PetrelNodeStatus | undefined;
  readonly #lastBlockWrite = new Map<string, number>();
  #routeChain: Promise<unknown> = Promise.resolve();
  /** Best-path events that arrive while #refreshBest lists the RIB (undefined when not listing). */
  #duringRefresh: BgpPath[] | undefined;
  #watches: WatchHandle[] = [];
  /** Set when a full pass completes cleanly (for /readyz). */
  lastCleanFullPassAt: number | undefined;
  /** Called when best paths change (route pass) or gobgpd came back (full pass). */
  onRoutesChanged: () => void = () => {};
  onGobgpRestarted: () => void = () => {};

  constructor(ports: AgentPorts, settings: AgentSettings, metrics?: AgentMetrics) {
    this.#p = ports;
    this.#s = settings;
    this.#m = metrics;
    this.#sync = new GobgpSync(ports.bgp, ports.log);
    this.#settleUntil = this.#now() + settings.routeSettleMs;
  }

  #now(): number {
    return (this.#p.now ?? Date.now)();
  }

  /** Follows gobgpd's best paths; a reconnect means gobgpd restarted and must be reconfigured. */
  watchBestPaths(): void {
    const families: AddressFamily[] = ["ipv4-unicast", "ipv6-unicast"];
    for (const family of families) {
      this.#watches.push(this.#p.bgp.watchBestPaths(family, (e) => this.#onBestPaths(e)));
    }
  }

  stopWatching(): void {
    for (const w of this.#watches.splice(0)) w.stop();
  }

  #onBestPaths(e: BestPathEvent): void {
    if (e.type === "paths") {
      // A refresh in flight would overwrite these with its older listing: replay them after it.
      this.#duringRefresh?.push(...e.paths);
      for (const p of e.paths) {
        const k = routeKey(p.prefix);
        if (k === undefined) continue;
        if (p.withdrawal) this.#best.delete(k);
        else this.#best.set(k, { prefix: p.prefix, nextHop: p.nextHop, neighbor: p.neighborIp });
      }
      this.onRoutesChanged();
    } else if (e.type === "reconnected") {
      this.#p.log.warn("gobgpd is back after a break; reconfiguring it");
      this.#sync.reset();
      this.#settleUntil = this.#now() + this.#s.routeSettleMs;
      this.onGobgpRestarted();
    } else {
      this.#p.log.warn("lost gobgpd's best-path stream; kernel routes stay as they are", { error: e.error.message });
    }
  }

  /** Re-reads every best path from gobgpd: the authoritative table, in case an event was missed. */
  async #refreshBest(): Promise<void> {
    const fresh = new Map<string, BestRoute>();
    this.#duringRefresh = [];
    try {
      for (const family of ["ipv4-unicast", "ipv6-unicast"] as const) {
        for (const p of await this.#p.bgp.listPaths({ family, table: "global" })) {
          const k = routeKey(p.prefix);
          if (p.best && !p.withdrawal && k !== undefined) fresh.set(k, { prefix: p.prefix, nextHop: p.nextHop, neighbor: p.neighborIp });
        }
      }
      // Events that arrived while listing are newer than (or as new as) the listing: apply them on top.
      for (const p of this.#duringRefresh) {
        const k = routeKey(p.prefix);
        if (k === undefined) continue;
        if (p.withdrawal) fresh.delete(k);
        else fresh.set(k, { prefix: p.prefix, nextHop: p.nextHop, neighbor: p.neighborIp });
      }
    } finally {
      this.#duringRefresh = undefined;
    }
    this.#best.clear();
    for (const [k, v] of fresh) this.#best.set(k, v);
  }

  /** Programs the kernel from the best paths; serialized so two passes never interleave. */
  routePass(relist = false): Promise<LoopPassResult> {
    const run = this.#routeChain.then(() => this.#routes(relist));
    this.#routeChain = run.catch(() => undefined);
    return run;
  }

  async #routes(relist: boolean): Promise<LoopPassResult> {
    const d = this.#desired;
    if (d === undefined) return { clean: true };
    const ownBlocks = this.#p.cluster.snapshot().blocks.map((b) => b.spec.cidr);
    const want = desiredRoutes({ best: this.#best.values(), allowed: d.allowedPrefixes, ownBlocks, nodeAddress: d.nodeAddress });
    const now = this.#now();
    const settling = now < this.#settleUntil;
    if (relist || this.#kernel === undefined) {
      this.#kernel = new Map((await this.#p.kernel.list()).map((r) => [routeKey(r.prefix) ?? r.prefix, r]));
    }
    const kernel = this.#kernel;
    const changes = routeChanges([...kernel.values()], want, !settling);
    const batch = routeBatch(changes);
    if (batch !== "") {
      try {
        await this.#p.kernel.apply(batch);
      } catch (err) {
        this.#kernel = undefined; // part of the batch may have applied: list again next time
        throw err;
      }
      for (const r of changes.replace) kernel.set(routeKey(r.prefix) ?? r.prefix, r);
      for (const p of changes.remove) kernel.delete(routeKey(p) ?? p);
      this.#p.log.info("routes programmed", { replaced: changes.replace.length, removed: changes.remove.length, prefixes: changes.replace.slice(0, 10).map((r) => r.prefix) });
    }
    this.#m?.routeChanges(changes.replace.length, changes.remove.length);
    const all = [...want.values()];
    this.#m?.routes({ via: all.filter((r) => r.kind === "via").length, blackhole: all.filter((r) => r.kind === "blackhole").length });
    return { clean: true, ...(settling ? { wakeAfterMs: this.#settleUntil - now } : {}) };
  }

  /** The whole reconcile: gobgpd, blocks file, routes, status. */
  async fullPass(): Promise<LoopPassResult> {
    const { cluster, log } = this.#p;
    if (!cluster.synced()) return { clean: false };
    const view = cluster.snapshot();
    const me = this.#s.nodeName;
    const passwords = await this.#passwords(view);
    const d = desiredBgp(view, me, (name, key) => passwords.get(`${name}/${key}`));
    this.#desired = d;
    let notReady: { reason: string; message: string } | undefined;
    if (d.problems.length > 0) notReady = { reason: "ConfigurationProblem", message: d.problems.join("; ") };
    let clean = true;
    // 1. The CNI plugin's blocks first: pods can start even if BGP is not up yet.
    this.#writeBlocksFile(view.blocks);
    // 2. gobgpd.
    if (d.nodeAddress !== "") {
      try {
        await this.#sync.apply(d);
        await this.#refreshBest();
      } catch (err) {
        clean = false;
        notReady = { reason: "GobgpdUnavailable", message: `cannot configure gobgpd: ${errorMessage(err)}` };
        log.warn("gobgpd configuration failed; retrying", { error: errorMessage(err) });
      }
    }
    // 3. Routes, against a fresh listing of the kernel (the periodic full reconcile).
    try {
      await this.routePass(true);
    } catch (err) {
      clean = false;
      notReady ??= { reason: "RoutesFailed", message: `cannot program routes: ${errorMessage(err)}` };
      log.warn("route programming failed; retrying", { error: errorMessage(err) });
    }
    // 4. Node-wide forwarding (forwarding.ts): without it other nodes cannot reach the pods.
    let forwarding: ForwardingReading[] | undefined;
    try {
      forwarding = await this.#p.forwarding.ensure(forwardingFamilies(view.blocks));
      this.#m?.forwarding(forwarding);
      for (const r of forwarding) {
        if (r.turnedOn) log.warn("IP forwarding was off on this node; turned it on", { sysctl: forwardingSysctl[r.family] });
        else if (!r.enabled) log.warn("IP forwarding is off on this node and the agent cannot turn it on", { sysctl: forwardingSysctl[r.family], error: r.error });
      }
    } catch (err) {
      log.warn("cannot check IP forwarding", { error: errorMessage(err) });
    }
    // 5. natOutgoing.
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
    // 6. Status.
    let wake: number | undefined;
    try {
      wake = await this.#writeStatus(view, d, notReady, forwarding);
    } catch (err) {
      clean = false;
      log.warn("status write failed; retrying", { error: errorMessage(err) });
    }
    if (clean) this.lastCleanFullPassAt = this.#now();
    const settleLeft = this.#settleUntil - this.#now();
    const wakes = [wake, settleLeft > 0 ? settleLeft : undefined].filter((w): w is number => w !== undefined);
    return { clean, ...(wakes.length > 0 ? { wakeAfterMs: Math.min(...wakes) } : {}) };
  }

  async #passwords(view: ClusterView): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    for (const bp of view.bgpPeers) {
      const ref = bp.spec.password?.secretKeyRef;
      if (ref === undefined || out.has(`${ref.name}/${ref.key}`)) continue;
      try {
        const v = await this.#p.kube.secretValue(ref.name, ref.key);
        if (v !== undefined) out.set(`${ref.name}/${ref.key}`, v);
      } catch (err) {
        this.#p.log.warn("cannot read a BGP password", { secret: ref.name, error: errorMessage(err) });
      }
    }
    return out;
  }

  #writeBlocksFile(blocks: readonly IPAMBlock[]): void {
    // Draining blocks are left out: the plugin stops allocating from them (the drain handshake).
    const active = blocks.filter((b) => b.spec.draining !== true).map((b) => ({ cidr: b.spec.cidr, pool: b.spec.pool })).sort((a, b) => (a.cidr < b.cidr ? -1 : 1));
    const key = JSON.stringify(active);
    if (key === this.#lastBlocksFile && (this.#p.state.readBlocks === undefined || this.#p.state.readBlocks() === this.#lastBlocksText)) return;
    const text = renderNodeBlocksFile(this.#s.nodeName, active, new Date(this.#now()));
    this.#p.state.writeBlocks(text);
    this.#lastBlocksFile = key;
    this.#lastBlocksText = text;
    this.#p.log.info("blocks written for the CNI plugin", { node: this.#s.nodeName, blocks: active.map((b) => b.cidr) });
  }

  async #writeStatus(
    view: ClusterView,
    d: DesiredBgp,
    notReady: { reason: string; message: string } | undefined,
    forwarding: readonly ForwardingReading[] | undefined,
  ): Promise<number | undefined> {
    const now = this.#now();
    const interval = this.#s.statusIntervalMs;
    let wake: number | undefined;
    const soonest = (ms: number) => (wake = wake === undefined ? ms : Math.min(wake, ms));
    // A drain is acknowledged (observedGeneration) with a count taken behind the plugin's locks,
    // after blocks.json without the block was written in this pass: no ADD that read the old file
    // can still be about to allocate from it.
    const acking = view.blocks.some((b) => b.status?.observedGeneration !== (b.metadata.generation ?? 1));
    const names = acking && this.#p.state.allocatedAfterBarrier !== undefined ? await this.#p.state.allocatedAfterBarrier() : this.#p.state.allocated();
    const allocations = countAllocations(names, view.blocks.map((b) => b.spec.cidr));
    for (const b of view.blocks) {
      const next = blockStatus(b, allocations.get(b.spec.cidr) ?? 0, new Date(now));
      if (!blockStatusChanged(b.status, next)) continue;
      const last = this.#lastBlockWrite.get(b.metadata.name) ?? 0;
      if (now - last < interval) {
        soonest(interval - (now - last));
        continue;
      }
      await this.#p.kube.patchBlockStatus(b.metadata.name, next);
      this.#lastBlockWrite.set(b.metadata.name, now);
      this.#m?.kubeWrite("block-status");
    }
    const sessions = d.nodeAddress === "" ? [] : await this.#p.bgp.listPeers().catch(() => []);
    this.#m?.sessions(sessions.map((s) => s.state));
    const advertised = d.nodeAddress === "" ? [] : await this.#sync.advertised().catch(() => []);
    const pn: PetrelNode | undefined = view.petrelNodes.find((p) => p.metadata.name === this.#s.nodeName);
    const previous = this.#lastNodeStatus ?? pn?.status;
    const next = petrelNodeStatus({ peers: d.peers, sessions, advertised, blocks: view.blocks, allocations, notReady, forwarding, previous, now: new Date(now) });
    const due = nodeStatusChanged(previous, next) || now - this.#lastNodeStatusWrite >= this.#s.heartbeatMs;
    if (due && pn !== undefined) {
      if (now - this.#lastNodeStatusWrite < interval) {
        soonest(interval - (now - this.#lastNodeStatusWrite));
      } else if (await this.#p.kube.patchNodeStatus(this.#s.nodeName, next)) {
        this.#lastNodeStatusWrite = now;
        this.#lastNodeStatus = next;
        this.#m?.kubeWrite("node-status");
      }
    }
    soonest(Math.max(1000, this.#s.heartbeatMs - (now - this.#lastNodeStatusWrite)));
    return wake;
  }
}
