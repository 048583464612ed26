/**
 * The node's configured peers joined with gobgpd's sessions: one sample per peer the node wants
 * (the desired configuration, so that a peer gobgpd has not even been told about yet shows as
 * Idle), with its state, when it reached Established and its prefix counts. What the per-peer
 * metrics (metrics.ts) and the routes view (routes-view.ts) are made of. Pure.
 */
import { sessionStates, type ViewSessionState } from "../../common/bgp-routes.ts";
import type { PeerStatus } from "../gobgp/types.ts";
import type { DesiredPeer } from "./desired-bgp.ts";

export interface PeerSample {
  readonly peer: string;
  readonly peerAs: number;
  readonly kind: string;
  readonly source: string;
  readonly state: ViewSessionState;
  /** Epoch ms when the session reached Established; undefined unless it is Established. */
  readonly establishedAtMs: number | undefined;
  /**
   * Prefixes the peer sent and did not withdraw, before the import policy (gobgpd's adj-RIB-in:
   * gobgpd's own "accepted" only leaves out AS-path loops, not what the import policy rejects),
   * the announcements of the peer that route trust refused and that are in force, and the
   * prefixes advertised to it.
   */
  readonly received: number;
  readonly refused: number;
  readonly advertised: number;
}

/** gobgpd's "Unknown" (and a session it does not have) reads as Idle, as in PetrelNode status. */
export function viewState(state: string | undefined): ViewSessionState {
  return sessionStates.find((s) => s === state) ?? "Idle";
}

/** @param refusedInForce refusals in force by the peer that sent them (refusal-log.ts) */
export function peerSamples(desired: readonly DesiredPeer[], sessions: readonly PeerStatus[], refusedInForce: ReadonlyMap<string, number> = new Map()): PeerSample[] {
  const byAddress = new Map(sessions.map((s) => [s.address, s]));
  const seen = new Set<string>();
  const out: PeerSample[] = [];
  for (const p of desired) {
    if (seen.has(p.address)) continue; // one series per address, whatever the configuration says
    seen.add(p.address);
    const s = byAddress.get(p.address);
    const state = viewState(s?.state);
    out.push({
      peer: p.address,
      peerAs: p.asn,
      kind: p.kind,
      source: p.source,
      state,
      establishedAtMs: state === "Established" ? s?.since?.getTime() : undefined,
      received: s?.prefixes.received ?? 0,
      refused: refusedInForce.get(p.address) ?? 0,
      advertised: s?.prefixes.advertised ?? 0,
    });
  }
  return out;
}

/** Whole seconds an Established session has been up at `nowMs` (0 when it is not, never negative). */
export function uptimeSeconds(s: Pick<PeerSample, "state" | "establishedAtMs">, nowMs: number): number {
  if (s.state !== "Established" || s.establishedAtMs === undefined) return 0;
  return Math.max(0, Math.floor((nowMs - s.establishedAtMs) / 1000));
}

/** The per-peer labels of every series (label `peer` the address, `peer_as` its AS). */
export function peerLabels(s: Pick<PeerSample, "peer" | "peerAs">): { peer: string; peer_as: string } {
  return { peer: s.peer, peer_as: String(s.peerAs) };
}

/** Label sets in `before` that `after` no longer has: their series are removed. */
export function goneLabelSets<T extends Readonly<Record<string, string>>>(before: readonly T[], after: readonly T[]): T[] {
  const key = (l: T) => JSON.stringify(Object.entries(l).sort(([a], [b]) => (a < b ? -1 : 1)));
  const keep = new Set(after.map(key));
  return before.filter((l) => !keep.has(key(l)));
}

/** A StateSet: 1 for the session's state, 0 for every other FSM state. */
export function stateValues(state: ViewSessionState): { state: ViewSessionState; value: 0 | 1 }[] {
  return sessionStates.map((s) => ({ state: s, value: s === state ? 1 : 0 }));
}
