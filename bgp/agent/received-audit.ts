/**
 * Refusals of what peers send, found without watching every path twice. gobgpd's import policy
 * drops what route trust refuses before best-path selection, so those routes never reach the
 * best-path stream; to make each one visible the agent used to watch the whole Adj-RIB-In too,
 * which made gobgpd convert every received path a second time (its CPU for a 10,000-route
 * burst 0.34 → 0.50 s, the last best path 30-50 % later; docs/bench-routes.md) and the agent
 * decode it twice.
 *
 * Instead, on a timer and when a session changes, the agent reads each peer's counters: a peer
 * that has sent nothing (received == 0) has no refused routes; otherwise, and only when the peer
 * has sent UPDATEs since the last look (or its counters moved), its Adj-RIB-In is listed and
 * judged. gobgpd's own "accepted" counter cannot say that nothing was refused: in gobgpd 3.10 it
 * leaves out only paths with an AS-path loop, not what the import policy rejects (gobgp v3 applies
 * that on the way to the global RIB, after the Adj-RIB-In count), so a rogue peer whose every
 * path is rejected shows received == accepted (test/e2e/routed-ops.test.ts). A refused path is counted once, when it is first seen (or
 * its next hop changes); one that is gone, or accepted now, stops being in force. Pure.
 */
import type { RefusalInput } from "./refusal-log.ts";
import type { Verdict } from "./route-trust.ts";

export interface PeerCounts {
  readonly address: string;
  readonly established: boolean;
  readonly received: number;
  readonly accepted: number;
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
  /** Peers with nothing refused any more, and their prefixes whose refusals end. */
  readonly clear: readonly { readonly peer: string; readonly prefixes: readonly string[] }[];
}

export interface AuditFindings {
  /** Newly refused (counted). */
  readonly record: readonly RefusalInput[];
  /** Prefixes of this peer no longer refused. */
  readonly clear: readonly string[];
}

interface PeerMemory {
  /** The counters when last listed: UPDATEs, received, accepted (a policy change moves accepted only). */
  signature: string;
  /** Refused prefixes in force → next hop. */
  refused: Map<string, string>;
}

export class ReceivedAudit {
  readonly #peers = new Map<string, PeerMemory>();

  plan(peers: readonly PeerCounts[]): AuditPlan {
    const list: string[] = [];
    const clear: { peer: string; prefixes: string[] }[] = [];
    const present = new Set<string>();
    for (const p of peers) {
      present.add(p.address);
      const had = this.#peers.get(p.address);
      if (!p.established || p.received === 0) {
        if (had !== undefined) {
          this.#peers.delete(p.address);
          if (had.refused.size > 0) clear.push({ peer: p.address, prefixes: [...had.refused.keys()] });
        }
        continue;
      }
      if (had === undefined || had.signature !== signatureOf(p)) list.push(p.address);
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
  judge(counts: PeerCounts, paths: readonly ReceivedPath[], verdict: (prefix: string, nextHop: string) => Verdict): AuditFindings {
    const peer = counts.address;
    const had = this.#peers.get(peer)?.refused ?? new Map<string, string>();
    const now = new Map<string, string>();
    const record: RefusalInput[] = [];
    for (const p of paths) {
      const v = verdict(p.prefix, p.nextHop);
      if (v.accept) continue;
      now.set(p.prefix, p.nextHop);
      if (had.get(p.prefix) !== p.nextHop) record.push({ peer, prefix: p.prefix, nextHop: p.nextHop, reason: v.reason, detail: v.detail });
    }
    const clear = [...had.keys()].filter((prefix) => !now.has(prefix));
    this.#peers.set(peer, { signature: signatureOf(counts), refused: now });
    return { record, clear };
  }

  /** Forget a peer (its session went down: what it announced is gone). */
  forget(peer: string): void {
    this.#peers.delete(peer);
  }
}

function signatureOf(p: PeerCounts): string {
  return `${p.updates}/${p.received}/${p.accepted}`;
}
