/**
 * `petrelctl bgp routes`: per node, its sessions, what it advertises, what it learned (and whether
 * its kernel has it), and what it refused and why, from each agent's routes view
 * (common/bgp-routes.ts). The report, its parser (what petrelctl --local printed on the node,
 * untrusted like any input) and its text form. Pure.
 */
import { parseRoutesView, type RoutesView } from "../../common/bgp-routes.ts";
import { InvalidInputError } from "../../common/errors.ts";
import { humanDuration, renderTable } from "./format.ts";

export interface NodeRoutes {
  readonly node: string;
  /** The agent's view, when the node could be asked. */
  readonly routes?: RoutesView;
  /** Why the node could not be asked. */
  readonly unavailable?: string;
}

export interface BgpRoutesReport {
  readonly nodes: readonly NodeRoutes[];
}

/** The agent's default --health-address port (bgp/agent/options.ts; the chart's node.healthPort). */
export const defaultAgentPort = 9095;

/**
 * Where a client on the node reaches the agent, from the agent's --health-address: a wildcard
 * address is reached on loopback, a specific one as it is.
 */
export function agentClientAddress(healthAddress: string | undefined): string {
  if (healthAddress === undefined || healthAddress === "") return `127.0.0.1:${defaultAgentPort}`;
  const colon = healthAddress.lastIndexOf(":");
  const host = colon > 0 ? healthAddress.slice(0, colon) : "";
  const port = healthAddress.slice(colon + 1);
  if (host === "" || host === "0.0.0.0") return `127.0.0.1:${port}`;
  if (host === "[::]" || host === "::") return `[::1]:${port}`;
  return healthAddress;
}

/** --agent-address: host:port (IPv6 in brackets). */
export function parseAgentAddress(value: unknown): string {
  const text = typeof value === "string" ? value : "";
  const m = /^(\[[0-9a-fA-F:.]+\]|[^\s:[\]/]+):(\d{1,5})$/.exec(text);
  if (m === null || Number(m[2]) < 1 || Number(m[2]) > 65535) {
    throw new InvalidInputError("--agent-address", `"${text}" is not host:port; pass the agent's --health-address as seen from here, e.g. 127.0.0.1:${defaultAgentPort}`);
  }
  return text;
}

/** What `bgp routes --local -o json` printed on a node: a report of that one node. */
export function parseNodeReport(raw: unknown, where: string): NodeRoutes {
  const o = raw as { nodes?: unknown } | null;
  if (typeof o !== "object" || o === null || !Array.isArray(o.nodes) || o.nodes.length !== 1) {
    throw new InvalidInputError(where, "expected a report of one node ({\"nodes\":[{\"node\":…,\"routes\":{…}}]})");
  }
  const n = o.nodes[0] as { node?: unknown; routes?: unknown; unavailable?: unknown } | null;
  if (typeof n !== "object" || n === null || typeof n.node !== "string") throw new InvalidInputError(`${where}: nodes[0]`, "expected {\"node\":…,\"routes\":{…}}");
  if (typeof n.unavailable === "string") return { node: n.node, unavailable: n.unavailable.slice(0, 2000) };
  return { node: n.node, routes: parseRoutesView(n.routes, `${where}: nodes[0].routes`) };
}

/** 1 when some node could not be asked (or none runs Petrel), else 0. */
export function routesExitCode(r: BgpRoutesReport): 0 | 1 {
  return r.nodes.length === 0 || r.nodes.some((n) => n.routes === undefined) ? 1 : 0;
}

const dash = (v: string | number | undefined) => (v === undefined || v === "" ? "-" : String(v));

/** Seconds between two RFC 3339 times, as kubectl prints ages. */
function ago(time: string, reference: string): string {
  const ms = Date.parse(reference) - Date.parse(time);
  return Number.isNaN(ms) ? "-" : `${humanDuration(ms)} ago`;
}

function kernelText(l: RoutesView["learned"][number]): string {
  switch (l.state) {
    case "installed":
      return "installed";
    case "refused":
      return `refused (${l.reason ?? "?"})${l.kernelGateway === undefined ? "" : `, kernel still via ${l.kernelGateway}`}`;
    case "pending":
      return l.kernelGateway === undefined ? "pending" : `pending (kernel via ${l.kernelGateway})`;
    case "kept":
      return "kept (no best path)";
  }
}

export function renderBgpRoutes(r: BgpRoutesReport, wide: boolean): string {
  if (r.nodes.length === 0) return "WARNING: no node runs Petrel's node pod: kubectl get pods -A -l app.kubernetes.io/name=petrel -o wide shows where Petrel runs\n";
  const ok = r.nodes.flatMap((n) => (n.routes === undefined ? [] : [{ node: n.node, v: n.routes }]));
  const sections: string[] = [];
  const section = (rows: string[][], header: string[], none: string) => sections.push(rows.length === 0 ? `${none}\n` : renderTable(header, rows));

  section(
    ok.flatMap(({ node, v }) => v.peers.map((p) => [
      node, p.address, String(p.asn), p.kind, p.state, p.uptimeSeconds === undefined ? "-" : humanDuration(p.uptimeSeconds * 1000),
      String(p.received), String(p.refused), String(p.advertised), ...(wide ? [p.source] : []),
    ])),
    ["NODE", "PEER", "AS", "KIND", "STATE", "UPTIME", "RECEIVED", "REFUSED", "ADVERTISED", ...(wide ? ["SOURCE"] : [])],
    "No BGP peers configured.",
  );
  section(
    ok.flatMap(({ node, v }) => v.advertised.map((a) => [
      node, a.prefix, a.nextHop, a.kind, ...(wide ? [[...(a.communities ?? []), ...(a.largeCommunities ?? [])].join(",") || "-"] : []),
    ])),
    ["NODE", "ADVERTISED PREFIX", "NEXT HOP", "KIND", ...(wide ? ["COMMUNITIES"] : [])],
    "Nothing advertised.",
  );
  section(
    ok.flatMap(({ node, v }) => v.learned.map((l) => [node, l.prefix, dash(l.peer), dash(l.nextHop), kernelText(l), ...(wide ? [l.stale ? "yes" : "no"] : [])])),
    ["NODE", "LEARNED PREFIX", "PEER", "NEXT HOP", "KERNEL", ...(wide ? ["STALE"] : [])],
    "Nothing learned.",
  );
  section(
    ok.flatMap(({ node, v }) => v.refused.map((x) => [
      node, x.prefix, dash(x.peer), dash(x.nextHop), x.reason, String(x.times), ago(x.lastSeen, v.generatedAt),
      ...(wide ? [ago(x.firstSeen, v.generatedAt), x.detail.replace(/\s+/g, " ")] : []),
    ])),
    ["NODE", "REFUSED PREFIX", "PEER", "NEXT HOP", "REASON", "TIMES", "LAST SEEN", ...(wide ? ["FIRST SEEN", "DETAIL"] : [])],
    "No announcement refused (in force).",
  );
  const notes: string[] = [];
  for (const { node, v } of ok) {
    const totals = Object.entries(v.refusedTotals).filter(([, n]) => n > 0);
    if (totals.length > 0) {
      notes.push(`${node}: refused since its agent started: ${totals.map(([k, n]) => `${k}=${n}`).join(", ")}${v.refusedDropped > 0 ? ` (${v.refusedDropped} no longer listed: the agent keeps the 1000 most recent in force)` : ""}`);
    }
  }
  for (const { node, v } of ok) {
    if (!v.bgpConfigured) notes.push(`WARNING: ${node}: the agent has not configured gobgpd yet: no session is up; its Ready condition (petrelctl node status ${node}) says why`);
    if (v.gobgpdError !== undefined) notes.push(`WARNING: ${node}: ${v.gobgpdError}; the sessions above show as Idle`);
    if (v.routesHeld) notes.push(`WARNING: ${node}: the agent cannot verify routes yet (the API server is not listed): every Petrel route in its kernel is kept as it is, none added or removed`);
    else if (v.settling) notes.push(`NOTE: ${node}: BGP is settling after a start or a gobgpd restart: routes are added but none is removed until it ends`);
  }
  for (const n of r.nodes) if (n.routes === undefined) notes.push(`WARNING: ${n.node}: not asked: ${n.unavailable ?? "no answer"}`);
  const text = notes.map((l) => `${l}\n`).join("");
  // No node answered: empty tables would only suggest that there is nothing.
  if (ok.length === 0) return text;
  return sections.join("\n") + (notes.length > 0 ? `\n${text}` : "");
}
