/**
 * `petrelctl node status`: the BGP sessions each node's agent reported in its PetrelNode.status,
 * as one table like `calicoctl node status`, plus each node's Ready condition and heartbeat age.
 * The agent rewrites its status at least once a heartbeat period (60 s by default), so a heartbeat
 * older than a few minutes means the agent is gone and the table shows its last words. Pure.
 */
import type { PetrelNode, PetrelNodeStatusBgpSession } from "../../common/api/index.ts";
import { parseAddress } from "../../common/cidr.ts";
import { ageMs, humanDuration, renderTable, wholeSeconds } from "./format.ts";
import { refusedRoutesReport, renderRefusedRoutes, type RefusedRoutesReport } from "./refused-routes.ts";

/** The default for --stale-after: three heartbeat periods of the agent's default 60 s. */
export const DEFAULT_STALE_AFTER_MS = 3 * 60_000;

export interface SessionRow {
  readonly node: string;
  readonly peerIP: string;
  readonly peerAS: number | undefined;
  readonly type: PetrelNodeStatusBgpSession["type"];
  readonly state: PetrelNodeStatusBgpSession["state"];
  readonly since: string | undefined;
  /** Seconds since `since` at the time of the report. */
  readonly sinceSeconds: number | undefined;
  readonly prefixesReceived: number | undefined;
  readonly prefixesAdvertised: number | undefined;
}

export interface NodeSummary {
  readonly name: string;
  /** The Ready condition as the agent wrote it; undefined when there is none. */
  readonly ready: { readonly status: string; readonly reason: string; readonly message: string } | undefined;
  readonly lastHeartbeatTime: string | undefined;
  readonly heartbeatAgeSeconds: number | undefined;
  /** No heartbeat at all, or one older than the stale limit. */
  readonly stale: boolean;
  readonly sessions: number;
  readonly established: number;
}

export interface NodeStatusReport {
  readonly nodes: readonly NodeSummary[];
  readonly sessions: readonly SessionRow[];
  /** Kernel routes and refused announcements (route trust) per node. */
  readonly routes: RefusedRoutesReport;
  readonly warnings: readonly string[];
}

function addressKey(text: string): [number, bigint, string] {
  try {
    const a = parseAddress(text);
    return [a.family, a.value, text];
  } catch {
    return [99, 0n, text];
  }
}

function byAddress(a: string, b: string): number {
  const [fa, va, ta] = addressKey(a);
  const [fb, vb, tb] = addressKey(b);
  if (fa !== fb) return fa - fb;
  if (va !== vb) return va < vb ? -1 : 1;
  return ta < tb ? -1 : ta > tb ? 1 : 0;
}

const byName = (a: { metadata: { name: string } }, b: { metadata: { name: string } }) =>
  a.metadata.name < b.metadata.name ? -1 : a.metadata.name > b.metadata.name ? 1 : 0;

export function nodeStatusReport(nodes: readonly PetrelNode[], now: Date, staleAfterMs = DEFAULT_STALE_AFTER_MS): NodeStatusReport {
  const summaries: NodeSummary[] = [];
  const sessions: SessionRow[] = [];
  const warnings: string[] = [];
  for (const n of [...nodes].sort(byName)) {
    const name = n.metadata.name;
    const status = n.status;
    const own = [...(status?.bgpSessions ?? [])].sort((a, b) => byAddress(a.peerIP, b.peerIP));
    for (const s of own) {
      sessions.push({
        node: name,
        peerIP: s.peerIP,
        peerAS: s.asNumber,
        type: s.type,
        state: s.state,
        since: s.since,
        sinceSeconds: wholeSeconds(ageMs(s.since, now)),
        prefixesReceived: s.prefixesReceived,
        prefixesAdvertised: s.prefixesAdvertised,
      });
    }
    const readyCondition = status?.conditions?.find((c) => c.type === "Ready");
    const ready = readyCondition === undefined ? undefined : { status: readyCondition.status, reason: readyCondition.reason, message: readyCondition.message };
    const heartbeatMs = ageMs(status?.lastHeartbeatTime, now);
    const stale = heartbeatMs === undefined || heartbeatMs > staleAfterMs;
    summaries.push({
      name,
      ready,
      lastHeartbeatTime: status?.lastHeartbeatTime,
      heartbeatAgeSeconds: wholeSeconds(heartbeatMs),
      stale,
      sessions: own.length,
      established: own.filter((s) => s.state === "Established").length,
    });

    const checkAgent = `check the petrel-agent pod on ${name} (kubectl get pods -A -o wide --field-selector spec.nodeName=${name}) and its logs`;
    if (heartbeatMs === undefined) {
      warnings.push(`${name}: no heartbeat: the node's agent has never reported its status; ${checkAgent}`);
    } else if (stale) {
      warnings.push(
        `${name}: heartbeat ${humanDuration(heartbeatMs)} ago (older than ${humanDuration(staleAfterMs)}): the node's agent is not running or cannot reach the API server, so its sessions above may be out of date; ${checkAgent}`,
      );
    }
    if (!stale && ready !== undefined && ready.status !== "True") {
      warnings.push(`${name}: not Ready (${ready.reason})${ready.message === "" ? "" : `: ${ready.message}`}`);
    }
    // Every other condition is a problem report when False (IPForwarding, and any added later).
    for (const c of status?.conditions ?? []) {
      if (stale || c.type === "Ready" || c.status !== "False") continue;
      warnings.push(`${name}: ${c.type} False (${c.reason})${c.message === "" ? "" : `: ${c.message}`}`);
    }
  }
  return { nodes: summaries, sessions, routes: refusedRoutesReport(nodes, now), warnings };
}

const orDash = (v: number | string | undefined) => (v === undefined ? "-" : String(v));

/** `wide` (-o wide) adds the peer's AS number to the sessions table. */
export function renderNodeStatus(report: NodeStatusReport, wide = false): string {
  if (report.nodes.length === 0) {
    return "No PetrelNodes found: the controller creates one per Node; check that petrel-controller is running.\n";
  }
  let out = "";
  if (report.sessions.length === 0) {
    out += "No BGP sessions reported.\n";
  } else {
    out += renderTable(
      ["NODE", "PEER ADDRESS", ...(wide ? ["PEER AS"] : []), "PEER TYPE", "STATE", "SINCE", "PREFIXES RECEIVED/ADVERTISED"],
      report.sessions.map((s) => [
        s.node,
        s.peerIP,
        ...(wide ? [orDash(s.peerAS)] : []),
        s.type,
        s.state,
        s.sinceSeconds === undefined ? "-" : humanDuration(s.sinceSeconds * 1000),
        `${orDash(s.prefixesReceived)}/${orDash(s.prefixesAdvertised)}`,
      ]),
    );
  }
  out += "\n";
  out += renderTable(
    ["NODE", "READY", "HEARTBEAT", "SESSIONS ESTABLISHED"],
    report.nodes.map((n) => [
      n.name,
      n.ready === undefined ? "Unknown" : n.ready.status === "True" ? "True" : `${n.ready.status} (${n.ready.reason})`,
      n.heartbeatAgeSeconds === undefined ? "never" : `${humanDuration(n.heartbeatAgeSeconds * 1000)} ago${n.stale ? " (stale)" : ""}`,
      `${n.established}/${n.sessions}`,
    ]),
  );
  const routes = renderRefusedRoutes(report.routes);
  if (routes !== "") out += `\n${routes}`;
  if (report.warnings.length > 0) {
    out += "\n" + report.warnings.map((w) => `WARNING: ${w}\n`).join("");
  }
  return out;
}
