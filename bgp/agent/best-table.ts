/**
 * gobgpd's best path per prefix, as the agent follows it: each best-path event updates the
 * prefixes it carries (and returns them, so that only those are re-checked), and a full listing
 * (after a reconnect, in the slow anti-entropy pass) replaces the table without losing the events
 * that arrive while the listing is in flight: a prefix touched by an event during a refresh keeps
 * the event's answer, since the event is at least as new as the listing. It also counts each
 * peer's best paths that are not stale (the received-routes audit: a peer all of whose paths are
 * best paths cannot have had one refused), and knows when those counts may be too high: from a
 * break in gobgpd's stream (a withdrawal may have been missed) until a refresh begun after it,
 * with the stream up, finished. Pure.
 */
import type { RouteUpdate } from "../gobgp/types.ts";

export interface BestRoute {
  readonly prefix: string;
  readonly nextHop: string;
  /** The neighbour it came from; undefined for a path this node originates. */
  readonly peer: string | undefined;
  readonly stale: boolean;
}

export interface Refresh {
  readonly id: number;
  /** Stream breaks and returns before it began. */
  readonly breaks: number;
}

export class BestTable {
  readonly #best = new Map<string, BestRoute>();
  /** Per peer, its best paths that are not stale. */
  readonly #fromPeer = new Map<string, number>();
  /** Every withdrawal gobgpd sent is in the table. */
  #complete = true;
  #streamIsUp = true;
  #breaks = 0;
  /** Prefixes touched by events since the current refresh began (undefined: no refresh). */
  #touched: Set<string> | undefined;
  #refreshId = 0;

  get size(): number {
    return this.#best.size;
  }

  get(prefix: string): BestRoute | undefined {
    return this.#best.get(prefix);
  }

  keys(): IterableIterator<string> {
    return this.#best.keys();
  }

  values(): IterableIterator<BestRoute> {
    return this.#best.values();
  }

  /**
   * The peer's best paths that are not stale (each one from its current session); undefined
   * while the table may lack a withdrawal.
   */
  freshFrom(peer: string): number | undefined {
    return this.#complete ? (this.#fromPeer.get(peer) ?? 0) : undefined;
  }

  /** gobgpd's best-path stream broke: events may be missed until it is back and a refresh ran. */
  streamDown(): void {
    this.#streamIsUp = false;
    this.#breaks++;
    this.#complete = false;
  }

  /** The stream is back; what it missed is known after the next refresh. */
  streamUp(): void {
    this.#streamIsUp = true;
    this.#breaks++;
    this.#complete = false;
  }

  #count(route: BestRoute | undefined, by: 1 | -1): void {
    if (route?.peer === undefined || route.stale) return;
    const n = (this.#fromPeer.get(route.peer) ?? 0) + by;
    if (n === 0) this.#fromPeer.delete(route.peer);
    else this.#fromPeer.set(route.peer, n);
  }

  #set(route: BestRoute): void {
    this.#count(this.#best.get(route.prefix), -1);
    this.#best.set(route.prefix, route);
    this.#count(route, 1);
  }

  #delete(prefix: string): void {
    this.#count(this.#best.get(prefix), -1);
    this.#best.delete(prefix);
  }

  /** Applies best-path events; returns the prefixes whose best route changed. */
  apply(updates: readonly RouteUpdate[]): string[] {
    const changed: string[] = [];
    for (const u of updates) {
      this.#touched?.add(u.prefix);
      const had = this.#best.get(u.prefix);
      if (u.withdrawal) {
        if (had !== undefined) {
          this.#delete(u.prefix);
          changed.push(u.prefix);
        }
        continue;
      }
      if (had !== undefined && had.nextHop === u.nextHop && had.peer === u.peer && had.stale === u.stale) continue;
      this.#set({ prefix: u.prefix, nextHop: u.nextHop, peer: u.peer, stale: u.stale });
      changed.push(u.prefix);
    }
    return changed;
  }

  /** Starts a refresh: from now on, events are remembered so the listing cannot overwrite them. */
  beginRefresh(): Refresh {
    this.#touched = new Set();
    return { id: ++this.#refreshId, breaks: this.#breaks };
  }

  /**
   * Ends a refresh with gobgpd's full listing (every path; only `best` ones count). Returns the
   * prefixes whose best route changed. A refresh that a newer one replaced changes nothing.
   */
  finishRefresh(r: Refresh, listing: readonly RouteUpdate[]): string[] {
    const touched = this.#touched;
    if (r.id !== this.#refreshId || touched === undefined) return [];
    this.#touched = undefined;
    const fresh = new Map<string, RouteUpdate>();
    for (const u of listing) if (u.best && !u.withdrawal) fresh.set(u.prefix, u);
    const changed: string[] = [];
    for (const [prefix, u] of fresh) {
      if (touched.has(prefix)) continue;
      const had = this.#best.get(prefix);
      if (had !== undefined && had.nextHop === u.nextHop && had.peer === u.peer && had.stale === u.stale) continue;
      this.#set({ prefix, nextHop: u.nextHop, peer: u.peer, stale: u.stale });
      changed.push(prefix);
    }
    for (const prefix of [...this.#best.keys()]) {
      if (fresh.has(prefix) || touched.has(prefix)) continue;
      this.#delete(prefix);
      changed.push(prefix);
    }
    if (this.#streamIsUp && r.breaks === this.#breaks) this.#complete = true;
    return changed;
  }

  /** Abandons a refresh whose listing failed. */
  abortRefresh(r: Refresh): void {
    if (r.id === this.#refreshId) this.#touched = undefined;
  }
}
