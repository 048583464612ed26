/**
 * Refusals of what peers send, found without watching every path twice. gobgpd's import policy
 * drops what route trust refuses before best-path selection, so those routes never reach the
 * best-path stream; to make each one visible the agent used to watch the whole Adj-RIB-In too,
 * which made gobgpd convert every received path a second time (its CPU for a 10,000-route
 * burst 0.34 → 0.50 s, the last best path 30-50 % later; docs/bench-routes.md) and the agent
 * decode it twice.
 *
 * Instead, on a timer and when a session changes, the agent reads each peer's UPDATE counter
 * (one ListPeer). A peer that sent UPDATEs since the last look has its Adj-RIB-In listed and
 * judged, at most once per `minIntervalMs` per peer, so a burst is judged once, after it, and a
 * busy peer costs one listing per interval. (gobgpd 3.10's per-peer "accepted" count does not
 * reflect the import policy, only AS-loop and originator checks, so it cannot tell which peers
 * had paths refused.) A refused path is counted once, when it is first seen (or its next hop
 * changes); one that is gone, or accepted now, stops being in force. Pure.
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
  /** The UPDATE counter when last listed. */
  updates: number;
  listedAt: number;
  /** Refused prefixes in force → next hop. */
  refused: Map<string, string>;
}

export class ReceivedAudit {
  readonly #peers = new Map<string, PeerMemory>();
  readonly #minIntervalMs: number;

  constructor(minIntervalMs = 15_000) {
    this.#minIntervalMs = minIntervalMs;
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
      if (had === undefined ? p.updates > 0 : had.updates !== p.updates && now - had.listedAt >= this.#minIntervalMs) list.push(p.address);
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
    this.#peers.set(peer, { updates: counts.updates, listedAt: now, refused });
    return { record, clear };
  }

  /** Forget a peer (its session went down: what it announced is gone). */
  forget(peer: string): void {
    this.#peers.delete(peer);
  }
}
