/**
 * Refusals of what peers send, found without watching every path twice. gobgpd's import policy
 * drops what route trust refuses before best-path selection, so those routes never reach the
 * best-path stream; to make each one visible the agent used to watch the whole Adj-RIB-In too,
 * which made gobgpd convert every received path a second time (its CPU for a 10,000-route
 * burst 0.34 → 0.50 s, the last best path 30-50 % later; docs/bench-routes.md) and the agent
 * decode it twice.
 *
 * Instead, on a timer and when a session changes, the agent reads each peer's UPDATE counter
 * (one ListPeer). A peer that sent UPDATEs since its last listing has its Adj-RIB-In listed and
 * judged once its counter has stood still between two looks, so a burst is judged once, after
 * it (listing while the burst still arrives cost gobgpd and the agent a second listing of the
 * whole table 15 s later: agent idle CPU 2.4 % and RSS 158 MiB with 10,000 routes, bench:routes).
 * A peer that never stops sending is listed at most once per `busyIntervalMs` regardless, and
 * no peer more often than `minIntervalMs`. (gobgpd 3.10's per-peer "accepted" count does not
 * reflect the import policy, only AS-loop and originator checks, so it cannot tell which peers
 * had paths refused.) A peer to be listed all of whose received paths are best paths is not
 * listed (`allBest`): nothing of it can have been refused. A refused path is counted once, when it
 * is first seen (or its next hop changes); one that is gone, or accepted now, stops being in
 * force. Pure.
 */
import type { RefusalInput } from "./refusal-log.ts";
import type { Verdict } from "./route-trust.ts";

export interface PeerCounts {
  readonly address: string;
  readonly established: boolean;
  /** UPDATE messages received on the session so far. */
  readonly updates: number;
}

export interface ReceivedPath {
  readonly prefix: string;
  readonly nextHop: string;
}

export interface AuditPlan {
  /** Peers whose Adj-RIB-In to list and judge. */
  readonly list: readonly string[];
  /** Peers whose session is gone, and their prefixes whose refusals end. */
  readonly clear: readonly { readonly peer: string; readonly prefixes: readonly string[] }[];
}

export interface AuditFindings {
  /** Newly refused (counted). */
  readonly record: readonly RefusalInput[];
  /** Prefixes of this peer no longer refused. */
  readonly clear: readonly string[];
}

interface PeerMemory {
  /** The UPDATE counter at the last look (plan), to tell a still peer from a sending one. */
  seen: number;
  /** The UPDATE counter when last listed (0 before the first listing: nothing to judge). */
  listed: number;
  /** When last listed, or first seen while not yet listed (the busy fallback counts from it). */
  listedAt: number;
  /** Refused prefixes in force → next hop. */
  refused: Map<string, string>;
}

export interface AuditIntervals {
  /** No peer is listed more often than this (default 5 s). */
  readonly minIntervalMs?: number;
  /** A peer whose counter never stands still is listed this often anyway (default 60 s). */
  readonly busyIntervalMs?: number;
}

/**
 * Whether every path a peer sent is one of gobgpd's best paths, so that its import policy refused
 * none and the peer's Adj-RIB-In need not be listed: `received` is the Adj-RIB-In's size (before
 * the policy), `freshBest` the peer's best paths that are not stale (all from this session, each
 * one of its received paths). A refused path is never a best path, so with one refused there
 * are fewer best paths than received ones. A path accepted but not best (another peer's won)
 * makes them differ too, and the peer is listed as before; so is every peer while the agent's
 * best paths may lack a withdrawal (`freshBest` undefined: after a break in gobgpd's best-path
 * stream, until a full pass re-read the RIB). After a burst of 10,000 routes from
 * one peer that listing (5-10 s after the burst, with the garbage collection it caused) cost the
 * agent about 0.25 s of CPU: its idle CPU over bench:routes' 60 s window went 0.62 → 0.20 % of
 * a core without it, gobgpd's 1.00 → 0.80 % (docs/bench-routes.md).
 */
export function allBest(received: number, freshBest: number | undefined): boolean {
  return freshBest !== undefined && freshBest >= received;
}

export class ReceivedAudit {
  readonly #peers = new Map<string, PeerMemory>();
  readonly #minIntervalMs: number;
  readonly #busyIntervalMs: number;

  constructor(intervals: AuditIntervals = {}) {
    this.#minIntervalMs = intervals.minIntervalMs ?? 5_000;
    this.#busyIntervalMs = Math.max(this.#minIntervalMs, intervals.busyIntervalMs ?? 60_000);
  }

  plan(peers: readonly PeerCounts[], now: number): AuditPlan {
    const list: string[] = [];
    const clear: { peer: string; prefixes: string[] }[] = [];
    const present = new Set<string>();
    for (const p of peers) {
      present.add(p.address);
      const had = this.#peers.get(p.address);
      if (!p.established) {
        if (had !== undefined) {
          this.#peers.delete(p.address);
          if (had.refused.size > 0) clear.push({ peer: p.address, prefixes: [...had.refused.keys()] });
        }
        continue;
      }
      if (had === undefined) {
        // First look: wait for the counter to stand still before listing what it sent.
        this.#peers.set(p.address, { seen: p.updates, listed: 0, listedAt: now, refused: new Map() });
        continue;
      }
      const still = had.seen === p.updates;
      had.seen = p.updates;
      if (had.listed === p.updates) continue;
      const since = now - had.listedAt;
      if (since >= this.#minIntervalMs && (still || since >= this.#busyIntervalMs)) list.push(p.address);
    }
    for (const [address, had] of this.#peers) {
      if (present.has(address)) continue;
      this.#peers.delete(address);
      if (had.refused.size > 0) clear.push({ peer: address, prefixes: [...had.refused.keys()] });
    }
    return { list, clear };
  }

  /**
   * A peer's Adj-RIB-In as listed after `plan` asked for it (`counts`: as read before the
   * listing, so an UPDATE that races the listing is looked at again next time).
   */
  judge(counts: PeerCounts, paths: readonly ReceivedPath[], verdict: (prefix: string, nextHop: string) => Verdict, now: number): AuditFindings {
    const peer = counts.address;
    const had = this.#peers.get(peer)?.refused ?? new Map<string, string>();
    const refused = new Map<string, string>();
    const record: RefusalInput[] = [];
    for (const p of paths) {
      const v = verdict(p.prefix, p.nextHop);
      if (v.accept) continue;
      refused.set(p.prefix, p.nextHop);
      if (had.get(p.prefix) !== p.nextHop) record.push({ peer, prefix: p.prefix, nextHop: p.nextHop, reason: v.reason, detail: v.detail });
    }
    const clear = [...had.keys()].filter((prefix) => !refused.has(prefix));
    this.#peers.set(peer, { seen: this.#peers.get(peer)?.seen ?? counts.updates, listed: counts.updates, listedAt: now, refused });
    return { record, clear };
  }

  /** Forget a peer (its session went down: what it announced is gone). */
  forget(peer: string): void {
    this.#peers.delete(peer);
  }
}
