/**
 * The agent's routes as an operator wants to see them (common/bgp-routes.ts, `petrelctl bgp
 * routes`): its sessions, the paths it originates, every best path learned from a peer with what
 * became of it in the kernel, the kernel routes kept without a best path, and the refusals in
 * force. Made on request from what the agent already holds (no listing of gobgpd's RIB or of
 * the kernel). Pure.
 */
import type { AdvertisedRoute, LearnedRoute, PeerRoutes, RefusedRoute, RoutesView } from "../../common/bgp-routes.ts";
import { routesViewVersion } from "../../common/bgp-routes.ts";
import { tryParseCidr } from "../../common/cidr.ts";
import type { BestRoute } from "./best-table.ts";
import type { AppliedPath } from "./gobgp-sync.ts";
import { uptimeSeconds, type PeerSample } from "./peer-sessions.ts";
import type { ActiveRefusal } from "./refusal-log.ts";
import type { EngineRefusal } from "./route-engine.ts";
import type { KernelRoute } from "./route-plan.ts";

export interface RoutesViewInputs {
  readonly node: string;
  readonly now: number;
  readonly bgpConfigured: boolean;
  readonly routesHeld: boolean;
  readonly settling: boolean;
  /** Why gobgpd's sessions could not be read for this view. */
  readonly gobgpdError?: string;
  readonly peers: readonly PeerSample[];
  readonly advertised: readonly AppliedPath[];
  /** The node's own valid blocks: an advertised prefix that is one is a block, else a service CIDR. */
  readonly ownBlocks: ReadonlySet<string>;
  readonly best: Iterable<BestRoute>;
  /** The kernel's Petrel routes (undefined before the agent first listed them). */
  readonly kernel: ReadonlyMap<string, KernelRoute> | undefined;
  /** Best paths the route engine refuses, by prefix. */
  readonly engineRefusals: Iterable<EngineRefusal>;
  /** Refusals in force, most recent first. */
  readonly refusals: readonly ActiveRefusal[];
  /** Refusals that fell out of the bounded list in force (still counted in the totals). */
  readonly refusalsDropped: number;
  readonly refusedTotals: ReadonlyMap<string, number>;
}

const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");

/** Numeric order of CIDRs (IPv4 before IPv6, then network, then length); text order for anything else. */
export function byPrefix<T>(items: readonly T[], prefixOf: (t: T) => string): T[] {
  const keyed = items.map((t) => {
    const p = prefixOf(t);
    const c = tryParseCidr(p, false);
    return c === undefined ? { t, p, f: 9, n: 0n, l: 0 } : { t, p, f: c.family, n: c.network, l: c.prefixLength };
  });
  keyed.sort((a, b) => a.f - b.f || (a.n < b.n ? -1 : a.n > b.n ? 1 : 0) || a.l - b.l || (a.p < b.p ? -1 : a.p > b.p ? 1 : 0));
  return keyed.map((k) => k.t);
}

export function routesView(i: RoutesViewInputs): RoutesView {
  const peers: PeerRoutes[] = i.peers.map((p) => ({
    address: p.peer,
    asn: p.peerAs,
    kind: p.kind,
    source: p.source,
    state: p.state,
    ...(p.state === "Established" && p.establishedAtMs !== undefined ? { uptimeSeconds: uptimeSeconds(p, i.now) } : {}),
    received: p.received,
    refused: p.refused,
    advertised: p.advertised,
  }));
  const advertised: AdvertisedRoute[] = byPrefix(i.advertised, (p) => p.prefix).map((p) => ({
    prefix: p.prefix,
    nextHop: p.nextHop,
    kind: i.ownBlocks.has(p.prefix) ? "block" : "service",
    ...(p.communities.length === 0 ? {} : { communities: [...p.communities] }),
    ...(p.largeCommunities.length === 0 ? {} : { largeCommunities: [...p.largeCommunities] }),
  }));
  const refusedBy = new Map<string, EngineRefusal>();
  for (const r of i.engineRefusals) refusedBy.set(r.prefix, r);
  const learned: LearnedRoute[] = [];
  const seen = new Set<string>();
  for (const b of i.best) {
    // The node's own paths are what it advertises; its own blocks are blackholes, not learned.
    if (b.peer === undefined || i.ownBlocks.has(b.prefix)) continue;
    seen.add(b.prefix);
    const k = i.kernel?.get(b.prefix);
    const gateway = k?.kind === "via" ? k.gateway : undefined;
    const refusal = refusedBy.get(b.prefix);
    const state = refusal !== undefined ? "refused" : gateway === b.nextHop ? "installed" : "pending";
    learned.push({
      prefix: b.prefix,
      peer: b.peer,
      nextHop: b.nextHop,
      stale: b.stale,
      state,
      ...(gateway === undefined ? {} : { kernelGateway: gateway }),
      ...(refusal === undefined ? {} : { reason: refusal.reason }),
    });
  }
  // Kernel routes without a best path: withdrawn while BGP settles, or held while routes cannot be verified.
  for (const [prefix, k] of i.kernel ?? []) {
    if (k.kind !== "via" || seen.has(prefix)) continue;
    learned.push({ prefix, nextHop: k.gateway, stale: false, state: "kept", kernelGateway: k.gateway });
  }
  const refused: RefusedRoute[] = i.refusals.map((r) => ({
    ...(r.peer === "" ? {} : { peer: r.peer }),
    prefix: r.prefix,
    ...(r.nextHop === "" ? {} : { nextHop: r.nextHop }),
    reason: r.reason,
    detail: r.detail,
    times: r.times,
    firstSeen: iso(r.firstSeen),
    lastSeen: iso(r.lastSeen),
  }));
  return {
    version: routesViewVersion,
    node: i.node,
    generatedAt: iso(i.now),
    bgpConfigured: i.bgpConfigured,
    routesHeld: i.routesHeld,
    settling: i.settling,
    ...(i.gobgpdError === undefined ? {} : { gobgpdError: i.gobgpdError }),
    peers,
    advertised,
    learned: byPrefix(learned, (r) => r.prefix),
    refused,
    refusedDropped: i.refusalsDropped,
    refusedTotals: Object.fromEntries([...i.refusedTotals].filter(([, n]) => n > 0).sort(([a], [b]) => (a < b ? -1 : 1))),
  };
}
