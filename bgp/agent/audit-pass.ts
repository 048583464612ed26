/**
 * The received-routes audit's pass: the refusals of what peers send that gobgpd's import policy
 * dropped. Peers' UPDATE counters every pass (one ListPeer); a peer's Adj-RIB-In once it sent
 * UPDATEs since its last listing and then stood still for a pass, unless every path it sent is
 * a best path (received-audit.ts decides, this lists and records).
 */
import type { GobgpClient } from "../gobgp/client.ts";
import { ReceivedAudit, allBest, type AuditIntervals } from "./received-audit.ts";
import type { RefusalLog } from "./refusal-log.ts";
import { judgeRoute, type TrustInputs } from "./route-trust.ts";

export class AuditPass {
  readonly #audit: ReceivedAudit;
  readonly #bgp: Pick<GobgpClient, "listPeers" | "listReceived">;
  readonly #refusals: RefusalLog;
  readonly #now: () => number;
  readonly #freshBest: (peer: string) => number | undefined;

  /**
   * `freshBest`: the peer's best paths that are not stale, as the agent follows them (BestTable);
   * undefined while the agent may have missed some of gobgpd's withdrawals.
   */
  constructor(bgp: Pick<GobgpClient, "listPeers" | "listReceived">, refusals: RefusalLog, now: () => number, intervals: AuditIntervals, freshBest: (peer: string) => number | undefined) {
    this.#audit = new ReceivedAudit(intervals);
    this.#bgp = bgp;
    this.#refusals = refusals;
    this.#now = now;
    this.#freshBest = freshBest;
  }

  /** A session left Established: what the peer announced is gone, and so are its refusals. */
  sessionDown(peer: string): void {
    this.#refusals.clearPeer(peer);
    this.#audit.forget(peer);
  }

  /** One pass; nothing to judge against before the first config pass (`trust` undefined). */
  async run(trust: TrustInputs | undefined): Promise<void> {
    if (trust === undefined) return;
    const peers = await this.#bgp.listPeers();
    const now = this.#now();
    const counts = new Map(peers.map((p) => [p.address, { address: p.address, established: p.state === "Established", updates: p.messages.received.update }]));
    const plan = this.#audit.plan([...counts.values()], now);
    for (const c of plan.clear) for (const prefix of c.prefixes) this.#refusals.clear(c.peer, prefix, "received");
    for (const address of plan.list) {
      const peer = peers.find((p) => p.address === address);
      const c = counts.get(address);
      if (peer === undefined || c === undefined) continue;
      const paths = [];
      if (!allBest(peer.prefixes.received, this.#freshBest(address))) {
        for (const f of peer.families) if (f.received > 0) paths.push(...(await this.#bgp.listReceived(address, f.family)));
      }
      const found = this.#audit.judge(c, paths.filter((r) => !r.withdrawal), (prefix, nextHop) => judgeRoute(trust, prefix, nextHop), now);
      for (const prefix of found.clear) this.#refusals.clear(address, prefix, "received");
      for (const r of found.record) this.#refusals.record(r, "received");
    }
  }
}
