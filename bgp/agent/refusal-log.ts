/**
 * Every refused route, made visible: a count by reason (petrel_agent_routes_refused_total), the
 * refusals in force (for PetrelNode status and petrelctl), and a log line naming peer, prefix
 * and reason, at most one per peer and reason per interval, with the number held back.
 *
 * Two sources report: the received-routes audit (what peers send that gobgpd's import policy
 * dropped, received-audit.ts; this is where almost all refusals are seen), and the route engine (a
 * best path that passed gobgpd but not the agent's own check, e.g. in the moment before gobgpd's
 * policy catches up with a deleted block, or a prefix the kernel holds for another route). The
 * same refusal seen by both is counted once. Pure (the caller passes time and logger).
 */
import type { Logger } from "../../common/logger.ts";
import type { RefusalReason } from "./route-trust.ts";

export type RefusalSource = "received" | "best";

export interface RefusalInput {
  /** The peer that sent it; "" when unknown. */
  readonly peer: string;
  readonly prefix: string;
  readonly nextHop: string;
  readonly reason: RefusalReason;
  readonly detail: string;
}

export interface ActiveRefusal extends RefusalInput {
  readonly firstSeen: number;
  readonly lastSeen: number;
  /** Announcements refused for this peer and prefix while it has been in force. */
  readonly times: number;
}

interface Entry {
  value: ActiveRefusal;
  sources: Set<RefusalSource>;
}

export interface RefusalLogOptions {
  readonly now?: () => number;
  /** Refusals kept in force at most (the oldest go first); the counts are never capped. Default 1000. */
  readonly maxActive?: number;
  /** At most one log line per peer and reason this often. Default 60 s. */
  readonly logIntervalMs?: number;
  /** A refusal was counted (for the metrics: by reason, and by peer; peer "" when unknown). */
  readonly onCounted?: (reason: RefusalReason, peer: string) => void;
  /** The refusals in force changed (for status). */
  readonly onChange?: () => void;
}

export class RefusalLog {
  readonly #log: Logger;
  readonly #now: () => number;
  readonly #maxActive: number;
  readonly #logIntervalMs: number;
  readonly #onCounted: RefusalLogOptions["onCounted"];
  readonly #onChange: RefusalLogOptions["onChange"];
  readonly #active = new Map<string, Entry>();
  readonly #totals = new Map<RefusalReason, number>();
  readonly #lastLine = new Map<string, { at: number; held: number }>();
  #dropped = 0;

  constructor(log: Logger, options: RefusalLogOptions = {}) {
    this.#log = log;
    this.#now = options.now ?? Date.now;
    this.#maxActive = options.maxActive ?? 1000;
    this.#logIntervalMs = options.logIntervalMs ?? 60_000;
    this.#onCounted = options.onCounted;
    this.#onChange = options.onChange;
  }

  record(r: RefusalInput, source: RefusalSource): void {
    const key = `${r.peer} ${r.prefix}`;
    const now = this.#now();
    const had = this.#active.get(key);
    // The engine seeing what the received-routes audit already counted is the same refusal.
    const duplicate = source === "best" && had !== undefined && had.value.reason === r.reason && had.value.nextHop === r.nextHop;
    if (had !== undefined) {
      this.#active.delete(key); // re-inserted last: the map stays in order of last sighting
      had.sources.add(source);
      had.value = { ...r, firstSeen: had.value.reason === r.reason ? had.value.firstSeen : now, lastSeen: now, times: duplicate ? had.value.times : had.value.times + 1 };
      this.#active.set(key, had);
    } else {
      this.#active.set(key, { value: { ...r, firstSeen: now, lastSeen: now, times: 1 }, sources: new Set([source]) });
      if (this.#active.size > this.#maxActive) {
        const oldest = this.#active.keys().next().value;
        if (oldest !== undefined) this.#active.delete(oldest);
        this.#dropped++;
      }
    }
    if (!duplicate) {
      this.#totals.set(r.reason, (this.#totals.get(r.reason) ?? 0) + 1);
      this.#onCounted?.(r.reason, r.peer);
      this.#maybeLog(r, now);
    }
    this.#onChange?.();
  }

  #maybeLog(r: RefusalInput, now: number): void {
    const key = `${r.peer} ${r.reason}`;
    const last = this.#lastLine.get(key);
    if (last !== undefined && now - last.at < this.#logIntervalMs) {
      last.held++;
      return;
    }
    this.#log.warn("route refused", {
      peer: r.peer || "(unknown)", prefix: r.prefix, nextHop: r.nextHop || "(none)", reason: r.reason, detail: r.detail,
      ...(last !== undefined && last.held > 0 ? { heldBack: last.held, heldBackSince: new Date(last.at).toISOString() } : {}),
    });
    this.#lastLine.set(key, { at: now, held: 0 });
  }

  /** A refused announcement was withdrawn (received) or the engine no longer refuses it (best). */
  clear(peer: string, prefix: string, source: RefusalSource): void {
    const key = `${peer} ${prefix}`;
    const had = this.#active.get(key);
    if (had === undefined || !had.sources.delete(source)) return;
    if (had.sources.size === 0) {
      this.#active.delete(key);
      this.#onChange?.();
    }
  }

  /**
   * Re-judges the refusals in force (all, or those of `prefix`) after route trust's inputs changed:
   * a route that arrived a moment before its IPAMBlock was refused then, and is accepted now.
   * `judge` returns undefined for an accepted route.
   */
  recheck(judge: (prefix: string, nextHop: string) => RefusalReason | undefined, prefix?: string): void {
    let changed = false;
    for (const [key, e] of this.#active) {
      if (prefix !== undefined && e.value.prefix !== prefix) continue;
      if (e.value.reason === "kernel_route_exists") continue; // the engine's own finding
      if (judge(e.value.prefix, e.value.nextHop) !== undefined) continue;
      this.#active.delete(key);
      changed = true;
    }
    if (changed) this.#onChange?.();
  }

  /** A session went down: what that peer announced is gone. */
  clearPeer(peer: string): void {
    let changed = false;
    for (const [key, e] of this.#active) {
      if (e.value.peer !== peer) continue;
      this.#active.delete(key);
      changed = true;
    }
    if (changed) this.#onChange?.();
  }

  /** Refusals counted since the agent started, by reason. */
  totals(): ReadonlyMap<RefusalReason, number> {
    return this.#totals;
  }

  /** The refusals in force, most recent first (at most `limit`). */
  active(limit = Infinity): ActiveRefusal[] {
    const all = [...this.#active.values()].map((e) => e.value);
    all.reverse();
    return all.slice(0, limit);
  }

  /** Refusals in force by the peer that sent them (those of an unknown sender left out). */
  activeByPeer(): Map<string, number> {
    const out = new Map<string, number>();
    for (const e of this.#active.values()) if (e.value.peer !== "") out.set(e.value.peer, (out.get(e.value.peer) ?? 0) + 1);
    return out;
  }

  get activeCount(): number {
    return this.#active.size;
  }

  /** Refusals no longer kept in force because of maxActive (still counted). */
  get dropped(): number {
    return this.#dropped;
  }
}
