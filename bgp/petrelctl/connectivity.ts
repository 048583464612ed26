/**
 * `petrelctl connectivity check`: a pod-to-pod check over the pod network, the chart's
 * `helm test`. Peer pods (a DaemonSet running `petrelctl connectivity serve`) answer a TCP
 * connection with one line naming their node; the checking pod connects to each peer and reports
 * who answered, from which node, and how fast. Pure: the probes are done by host/connectivity.ts.
 */
import { renderTable } from "./format.ts";

export interface Peer {
  readonly pod: string;
  readonly node: string;
  readonly ip: string;
}

export interface ProbeResult {
  readonly peer: Peer;
  /** The peer's greeting ("petrel-peer NODE POD"), or undefined when it did not answer. */
  readonly answer: string | undefined;
  readonly error: string | undefined;
  readonly ms: number;
}

export interface ConnectivityReport {
  readonly fromNode: string | undefined;
  readonly results: readonly (ProbeResult & { readonly crossNode: boolean; readonly ok: boolean })[];
  readonly nodesReached: number;
  readonly crossNodeChecked: boolean;
  readonly ok: boolean;
  readonly notes: readonly string[];
}

export const GREETING = "petrel-peer";

export function greeting(node: string, pod: string): string {
  return `${GREETING} ${node} ${pod}\n`;
}

export function connectivityReport(fromNode: string | undefined, results: readonly ProbeResult[]): ConnectivityReport {
  const rows = results.map((r) => {
    // The answer must come from the pod we dialled: a stale address reused by another pod fails.
    const ok = r.answer !== undefined && r.answer.trim() === greeting(r.peer.node, r.peer.pod).trim();
    return { ...r, crossNode: fromNode !== undefined && r.peer.node !== fromNode, ok };
  });
  const nodesReached = new Set(rows.filter((r) => r.ok).map((r) => r.peer.node)).size;
  const crossNodeChecked = rows.some((r) => r.crossNode);
  const notes: string[] = [];
  if (rows.length === 0) notes.push("no peer pods to check: the peer DaemonSet has no Ready pod (kubectl describe daemonset)");
  if (rows.length > 0 && !crossNodeChecked) notes.push("every peer runs on this pod's own node: pod-to-pod was checked on one node only, not across nodes (the cluster has one schedulable node)");
  for (const r of rows.filter((x) => !x.ok)) {
    notes.push(`${r.peer.pod} on ${r.peer.node} (${r.peer.ip}): ${r.answer === undefined ? (r.error ?? "no answer") : `unexpected answer "${r.answer.trim()}"`}; petrelctl ipam show --ip ${r.peer.ip} shows what the cluster and the node say about it`);
  }
  return { fromNode, results: rows, nodesReached, crossNodeChecked, ok: rows.length > 0 && rows.every((r) => r.ok), notes };
}

export function renderConnectivity(r: ConnectivityReport): string {
  let out = renderTable(
    ["PEER", "NODE", "ADDRESS", "PATH", "RESULT", "TIME"],
    r.results.map((x) => [x.peer.pod, x.peer.node, x.peer.ip, x.crossNode ? "across nodes" : "same node", x.ok ? "ok" : "FAILED", `${x.ms} ms`]),
  );
  out += `\nfrom node ${r.fromNode ?? "(unknown)"}: ${r.results.filter((x) => x.ok).length}/${r.results.length} peers answered, on ${r.nodesReached} node(s)\n`;
  out += r.notes.map((n) => `${r.ok ? "NOTE" : "ERROR"}: ${n}\n`).join("");
  return out;
}
