/**
 * The route announcements each node's agent refused (route trust, docs/agent.md), as its
 * PetrelNode.status reports them: a table of those still in force, and each node's counts by
 * reason since its agent started. Part of `petrelctl node status`. Pure.
 */
import type { PetrelNode } from "../../common/api/index.ts";
import { ageMs, humanDuration, renderTable, wholeSeconds } from "./format.ts";

export interface RefusedRouteRow {
  readonly node: string;
  readonly peerIP: string | undefined;
  readonly prefix: string;
  readonly nextHop: string | undefined;
  readonly reason: string;
  readonly message: string | undefined;
  readonly count: number | undefined;
  readonly lastSeenSeconds: number | undefined;
}

export interface NodeRouteCounts {
  readonly node: string;
  readonly installed: number | undefined;
  readonly blackholes: number | undefined;
  readonly refused: number | undefined;
  readonly refusedByReason: Readonly<Record<string, number>>;
}

export interface RefusedRoutesReport {
  readonly refused: readonly RefusedRouteRow[];
  readonly counts: readonly NodeRouteCounts[];
}

export function refusedRoutesReport(nodes: readonly PetrelNode[], now: Date): RefusedRoutesReport {
  const refused: RefusedRouteRow[] = [];
  const counts: NodeRouteCounts[] = [];
  for (const n of [...nodes].sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : 1))) {
    const s = n.status;
    for (const r of s?.refusedRoutes ?? []) {
      refused.push({
        node: n.metadata.name, peerIP: r.peerIP, prefix: r.prefix, nextHop: r.nextHop, reason: r.reason, message: r.message,
        count: r.count, lastSeenSeconds: wholeSeconds(ageMs(r.lastSeen, now)),
      });
    }
    if (s?.routes !== undefined) {
      counts.push({ node: n.metadata.name, installed: s.routes.installed, blackholes: s.routes.blackholes, refused: s.routes.refused, refusedByReason: s.routes.refusedByReason ?? {} });
    }
  }
  return { refused, counts };
}

const orDash = (v: number | string | undefined) => (v === undefined ? "-" : String(v));

/** The two tables; empty when no node reports routes. */
export function renderRefusedRoutes(r: RefusedRoutesReport): string {
  if (r.counts.length === 0 && r.refused.length === 0) return "";
  let out = renderTable(
    ["NODE", "ROUTES", "BLACKHOLES", "REFUSED", "REFUSED BY REASON"],
    r.counts.map((c) => [
      c.node, orDash(c.installed), orDash(c.blackholes), orDash(c.refused),
      Object.entries(c.refusedByReason).filter(([, v]) => v > 0).map(([k, v]) => `${k}=${v}`).join(",") || "-",
    ]),
  );
  if (r.refused.length > 0) {
    out += "\n";
    out += renderTable(
      ["NODE", "PEER", "REFUSED PREFIX", "NEXT HOP", "REASON", "TIMES", "LAST SEEN"],
      r.refused.map((x) => [x.node, orDash(x.peerIP), x.prefix, orDash(x.nextHop), x.reason, orDash(x.count), x.lastSeenSeconds === undefined ? "-" : `${humanDuration(x.lastSeenSeconds * 1000)} ago`]),
    );
  }
  return out;
}
