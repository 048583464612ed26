/**
 * The route engine: gobgpd's best paths, judged by route trust, into the kernel, with work
 * proportional to the change. Every input marks only the prefixes it affects dirty (a best-path
 * event its prefixes, a new or deleted block its CIDR, an address change that node's blocks);
 * a pass programs the dirty prefixes against a cache of the kernel's Petrel routes in one batch.
 * A full comparison (kernel listed again, every prefix re-checked) runs only after a (re)connect
 * and in the slow anti-entropy pass, and repairs drift.
 *
 * Two holds protect traffic across restarts:
 * - Until the cluster can be read (IPAMBlocks listed), nothing is verified: the engine changes
 *   nothing, and every Petrel route already in the kernel stays (an API server that is down must
 *   not become a blackhole).
 * - While BGP settles after the agent or gobgpd (re)starts, routes are added and replaced but
 *   none is removed: the sessions are about to re-learn them.
 */
import { errorMessage } from "../../common/errors.ts";
import type { Logger } from "../../common/logger.ts";
import type { RouteUpdate } from "../gobgp/types.ts";
import { BestTable } from "./best-table.ts";
import { changePrefix, sameRoute, type KernelPort, type KernelRoute, type RouteChange } from "./route-plan.ts";
import { judgeRoute, type RefusalReason, type TrustInputs } from "./route-trust.ts";

/** A best path the engine refuses to install, and why. */
export interface EngineRefusal {
  readonly prefix: string;
  readonly peer: string | undefined;
  readonly nextHop: string;
  readonly reason: RefusalReason;
  readonly detail: string;
}

export interface RouteEngineMetrics {
  routeChanges(op: RouteChange["op"], n: number): void;
  routes(counts: { via: number; blackhole: number }): void;
}

export interface RouteEngineOptions {
  readonly now?: () => number;
  /**
   * Of the peers whose best paths were just withdrawn, those whose routes to keep for now: peers
   * the node still wants but gobgpd no longer has (gobgpd stopping with StopBgp withdraws every
   * route as it deletes its peers, and a restarted one has forgotten them). A withdrawal from a
   * peer gobgpd still has, up or down, is gobgpd's decision and is followed.
   */
  readonly keepWithdrawn?: (peers: readonly string[]) => Promise<ReadonlySet<string>>;
  /** How long such routes are kept (the gobgpd restart normally ends it sooner). */
  readonly keepWithdrawnMs?: number;
  /** A best path refused (or no longer refused: `refusal` undefined, `previous` what it was). */
  readonly onRefusal?: (prefix: string, refusal: EngineRefusal | undefined, previous: EngineRefusal | undefined) => void;
  readonly metrics?: RouteEngineMetrics;
}

export interface EnginePassResult {
  readonly clean: boolean;
  /** Run again after this long (the settle window ends, a failed change is retried). */
  readonly wakeAfterMs?: number;
  readonly changed: number;
}

export class RouteEngine {
  readonly best = new BestTable();
  readonly #kernelPort: KernelPort;
  readonly #log: Logger;
  readonly #now: () => number;
  readonly #onRefusal: RouteEngineOptions["onRefusal"];
  readonly #metrics: RouteEngineMetrics | undefined;
  /** The kernel's Petrel routes as of the last listing plus every change applied since. */
  #kernel: Map<string, KernelRoute> | undefined;
  /** Prefixes held by a route Petrel did not create (from the listing, or an add refused with EEXIST). */
  #foreign = new Set<string>();
  #trust: TrustInputs | undefined;
  /** The node's own valid blocks: a blackhole each. */
  #own: ReadonlySet<string> = new Set();
  readonly #dirty = new Set<string>();
  /** Removals held back while settling. */
  readonly #deferred = new Set<string>();
  readonly #refused = new Map<string, EngineRefusal>();
  #settleUntil = 0;
  #counts = { via: 0, blackhole: 0 };
  #relist = false;
  /** gobgpd's best-path stream is up: while it is not, no route is removed. */
  #connected = true;
  /** The peer of the best path an event withdrew, until the prefix is programmed. */
  readonly #withdrawnFrom = new Map<string, string>();
  /** Routes kept although withdrawn, until this time (keepWithdrawn). */
  readonly #keepUntil = new Map<string, number>();
  readonly #keepWithdrawn: RouteEngineOptions["keepWithdrawn"];
  readonly #keepWithdrawnMs: number;

  constructor(kernel: KernelPort, log: Logger, options: RouteEngineOptions = {}) {
    this.#kernelPort = kernel;
    this.#log = log;
    this.#now = options.now ?? Date.now;
    this.#onRefusal = options.onRefusal;
    this.#metrics = options.metrics;
    this.#keepWithdrawn = options.keepWithdrawn;
    this.#keepWithdrawnMs = options.keepWithdrawnMs ?? 30_000;
  }

  /**
   * gobgpd's best-path stream went away (false) or came back (true). While it is away nothing is
   * removed: what gobgpd said last may be all there is to route by.
   */
  setConnected(connected: boolean): void {
    this.#connected = connected;
    if (connected) for (const p of this.#deferred) this.#dirty.add(p);
  }

  /** False until trust inputs are set: the engine then holds every route as it is. */
  get verified(): boolean {
    return this.#trust !== undefined;
  }

  /** The kernel has been listed at least once. */
  get kernelListed(): boolean {
    return this.#kernel !== undefined;
  }

  /** Petrel routes in the kernel (as cached), for status and readiness. */
  get kernelRoutes(): number {
    return this.#kernel?.size ?? 0;
  }

  /** The kernel's Petrel routes by prefix (as cached; undefined before the first listing). */
  get kernelTable(): ReadonlyMap<string, KernelRoute> | undefined {
    return this.#kernel;
  }

  /** Petrel routes in the kernel by kind (as cached). */
  get counts(): { readonly via: number; readonly blackhole: number } {
    return this.#counts;
  }

  get pending(): number {
    return this.#dirty.size;
  }

  refusals(): IterableIterator<EngineRefusal> {
    return this.#refused.values();
  }

  /** No removals until `now + ms` (after the agent or gobgpd started). */
  settle(ms: number): void {
    this.#settleUntil = Math.max(this.#settleUntil, this.#now() + ms);
  }

  get settling(): boolean {
    return this.#now() < this.#settleUntil;
  }

  /** Best-path events: the prefixes they change become dirty. */
  onBestPaths(updates: readonly RouteUpdate[]): number {
    for (const u of updates) {
      const had = u.withdrawal ? this.best.get(u.prefix)?.peer : undefined;
      if (had !== undefined) this.#withdrawnFrom.set(u.prefix, had);
      else if (!u.withdrawal) {
        this.#withdrawnFrom.delete(u.prefix);
        this.#keepUntil.delete(u.prefix);
      }
    }
    const changed = this.best.apply(updates);
    for (const p of changed) this.#dirty.add(p);
    return changed.length;
  }

  /** Prefixes whose verdict may have changed (a block added or deleted, a node's address). */
  recheck(prefixes: Iterable<string>): void {
    for (const p of prefixes) this.#dirty.add(p);
  }

  /** Everything the engine knows about is re-checked (rare inputs: pools, peers, configuration). */
  recheckAll(): void {
    for (const p of this.best.keys()) this.#dirty.add(p);
    for (const p of this.#kernel?.keys() ?? []) this.#dirty.add(p);
    for (const p of this.#own) this.#dirty.add(p);
  }

  /** New trust inputs (the caller says what to re-check); the first ones end the unverified hold. */
  setTrust(trust: TrustInputs): void {
    const first = this.#trust === undefined;
    this.#trust = trust;
    if (first) this.recheckAll();
  }

  setOwnBlocks(own: ReadonlySet<string>): void {
    for (const p of this.#own) if (!own.has(p)) this.#dirty.add(p);
    for (const p of own) if (!this.#own.has(p)) this.#dirty.add(p);
    this.#own = own;
  }

  /**
   * Asks for the kernel to be listed again (start, reconnect, anti-entropy) and every prefix
   * re-checked against it, at the start of the next pass: never while a pass is applying changes,
   * whose results would otherwise land in the old copy.
   */
  requestRelist(): void {
    this.#relist = true;
  }

  /** Lists the kernel now (tests; the engine itself lists through requestRelist). */
  async relist(): Promise<void> {
    this.#relist = false;
    const { petrel, foreign } = await this.#kernelPort.list();
    this.#kernel = new Map(petrel.map((r) => [r.prefix, r]));
    this.#foreign = foreign;
    this.#recount();
    this.recheckAll();
  }

  #desired(prefix: string): KernelRoute | undefined {
    const trust = this.#trust;
    if (trust === undefined) return this.#kernel?.get(prefix);
    let refusal: EngineRefusal | undefined;
    let want: KernelRoute | undefined;
    const b = this.best.get(prefix);
    if (this.#own.has(prefix)) {
      want = { prefix, kind: "blackhole" };
    } else if (b !== undefined && b.peer !== undefined) {
      const v = judgeRoute(trust, prefix, b.nextHop);
      if (v.accept) want = { prefix, kind: "via", gateway: b.nextHop };
      else refusal = { prefix, peer: b.peer, nextHop: b.nextHop, reason: v.reason, detail: v.detail };
    }
    if (want !== undefined && this.#foreign.has(prefix)) {
      refusal = { prefix, peer: b?.peer, nextHop: b?.nextHop ?? "", reason: "kernel_route_exists", detail: `the kernel has a route for ${prefix} that Petrel did not create; it is left as it is` };
      want = undefined;
    }
    this.#noteRefusal(prefix, refusal);
    return want;
  }

  #noteRefusal(prefix: string, refusal: EngineRefusal | undefined): void {
    const had = this.#refused.get(prefix);
    if (refusal === undefined) {
      if (had === undefined) return;
      this.#refused.delete(prefix);
    } else {
      if (had !== undefined && had.reason === refusal.reason && had.nextHop === refusal.nextHop && had.peer === refusal.peer) return;
      this.#refused.set(prefix, refusal);
    }
    this.#onRefusal?.(prefix, refusal, had);
  }

  /** Programs the dirty prefixes. Never two at once (the caller's loop serializes passes). */
  async pass(): Promise<EnginePassResult> {
    if (this.#kernel === undefined || this.#relist) await this.relist();
    const kernel = this.#kernel;
    if (kernel === undefined || this.#trust === undefined) return { clean: true, changed: 0 };
    const now = this.#now();
    const settling = now < this.#settleUntil || !this.#connected;
    if (!settling && this.#deferred.size > 0) {
      for (const p of this.#deferred) this.#dirty.add(p);
      this.#deferred.clear();
    }
    const changes: RouteChange[] = [];
    const removals: string[] = [];
    for (const prefix of this.#dirty) {
      const want = this.#desired(prefix);
      const have = kernel.get(prefix);
      if (sameRoute(want, have)) continue;
      if (want === undefined) {
        if (have === undefined) continue;
        if (settling) {
          this.#deferred.add(prefix);
          continue;
        }
        removals.push(prefix);
      } else {
        changes.push({ op: have === undefined ? "add" : "replace", route: want });
      }
    }
    this.#dirty.clear();
    // Routes withdrawn because gobgpd lost its peers (it is stopping) stay for now. Asking is a
    // gRPC call: the best-path events read meanwhile mark their prefixes dirty for the next pass,
    // and stay so (clearing them here once lost hundreds of withdrawals in a 10,000-route burst
    // until the 5-minute anti-entropy pass).
    const kept = await this.#keptWithdrawals(removals, now);
    let keepWake: number | undefined;
    for (const prefix of removals) {
      // Changed again while we asked (announced anew?): the next pass decides with what is new.
      if (this.#dirty.has(prefix)) continue;
      const until = kept.get(prefix);
      if (until === undefined) {
        changes.push({ op: "remove", prefix });
        this.#withdrawnFrom.delete(prefix);
      } else {
        this.#deferred.add(prefix);
        keepWake = Math.min(keepWake ?? Infinity, until - now);
      }
    }
    let clean = true;
    let retry = false;
    let again = false;
    if (changes.length > 0) {
      let result;
      try {
        result = await this.#kernelPort.apply(changes);
      } catch (err) {
        // Nothing is known about what applied: list again next time, retry everything.
        this.#log.warn("route programming failed; the kernel is listed again and the changes retried", { error: errorMessage(err) });
        this.#kernel = undefined;
        for (const c of changes) this.#dirty.add(changePrefix(c));
        return { clean: false, changed: 0 };
      }
      const exists: ReadonlySet<string> = new Set(result.exists);
      const failed = new Map(result.failed.map((f) => [f.prefix, f.error]));
      const counts = { add: 0, replace: 0, remove: 0 };
      for (const c of changes) {
        const prefix = changePrefix(c);
        if (exists.has(prefix)) {
          // Something holds the prefix: the next pass lists the kernel to see whose route it is
          // (another protocol's is refused, never replaced).
          this.#relist = true;
          this.#dirty.add(prefix);
          again = true;
          continue;
        }
        const error = failed.get(prefix);
        if (error !== undefined) {
          this.#log.warn("route change failed; retrying", { prefix, op: c.op, error });
          this.#dirty.add(prefix);
          retry = true;
          continue;
        }
        counts[c.op]++;
        this.#setKernel(kernel, prefix, c.op === "remove" ? undefined : c.route);
      }
      this.#metrics?.routes(this.#counts);
      for (const op of ["add", "replace", "remove"] as const) if (counts[op] > 0) this.#metrics?.routeChanges(op, counts[op]);
      const applied = counts.add + counts.replace + counts.remove;
      if (applied > 0) {
        this.#log.info("routes programmed", { added: counts.add, replaced: counts.replace, removed: counts.remove, prefixes: changes.slice(0, 10).map(changePrefix) });
      }
      clean = !retry;
    }
    const wakes: number[] = [];
    if (retry) wakes.push(1000);
    if (again) wakes.push(10);
    if (this.#deferred.size > 0 && now < this.#settleUntil) wakes.push(Math.max(1, this.#settleUntil - now));
    if (keepWake !== undefined) wakes.push(Math.max(1, keepWake));
    return { clean, changed: changes.length, ...(wakes.length > 0 ? { wakeAfterMs: Math.min(...wakes) } : {}) };
  }

  /** prefix → keep-until, for the removals that keepWithdrawn says to hold back. */
  async #keptWithdrawals(removals: readonly string[], now: number): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    const byPeer = new Map<string, string[]>();
    for (const prefix of removals) {
      const until = this.#keepUntil.get(prefix);
      if (until !== undefined) {
        if (until > now) out.set(prefix, until);
        else this.#keepUntil.delete(prefix);
        continue;
      }
      // Only a route that a withdrawal took away, not one that route trust now refuses.
      if (this.best.get(prefix) !== undefined) continue;
      const peer = this.#withdrawnFrom.get(prefix);
      if (peer === undefined) continue;
      const list = byPeer.get(peer) ?? [];
      list.push(prefix);
      byPeer.set(peer, list);
    }
    if (byPeer.size === 0 || this.#keepWithdrawn === undefined) return out;
    let keep: ReadonlySet<string>;
    try {
      keep = await this.#keepWithdrawn([...byPeer.keys()]);
    } catch {
      keep = new Set(byPeer.keys());
    }
    for (const peer of keep) {
      for (const prefix of byPeer.get(peer) ?? []) {
        const until = now + this.#keepWithdrawnMs;
        this.#keepUntil.set(prefix, until);
        out.set(prefix, until);
      }
    }
    if (keep.size > 0) this.#log.warn("gobgpd withdrew the routes of peers it no longer has (is it stopping?); the kernel keeps them for now", { peers: [...keep], routes: [...keep].reduce((n, p) => n + (byPeer.get(p)?.length ?? 0), 0), keepMs: this.#keepWithdrawnMs });
    return out;
  }

  #setKernel(kernel: Map<string, KernelRoute>, prefix: string, route: KernelRoute | undefined): void {
    const had = kernel.get(prefix);
    if (had !== undefined) this.#counts[had.kind]--;
    if (route === undefined) {
      kernel.delete(prefix);
    } else {
      kernel.set(prefix, route);
      this.#counts[route.kind]++;
    }
  }

  #recount(): void {
    let via = 0;
    let blackhole = 0;
    for (const r of this.#kernel?.values() ?? []) {
      if (r.kind === "via") via++;
      else blackhole++;
    }
    this.#counts = { via, blackhole };
    this.#metrics?.routes(this.#counts);
  }
}
