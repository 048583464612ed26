/**
 * `petrelctl bgp routes`: on the node (`--local`) it reads the agent's routes view from the
 * agent's health server (loopback; common/bgp-routes.ts); from anywhere else it runs that same
 * `petrelctl bgp routes --local -o json` in the agent container of each node's Petrel pod
 * through `kubectl exec` (node-exec.ts), a few nodes at a time, and checks what comes back.
 */
import { routesViewPath, type RoutesView, parseRoutesView } from "../../../common/bgp-routes.ts";
import { errorMessage, InvalidInputError } from "../../../common/errors.ts";
import { agentClientAddress, parseNodeReport, type BgpRoutesReport, type NodeRoutes } from "../bgp-routes.ts";
import type { KubeOpsReader } from "./kube-ops-read.ts";
import { kubectlExecAsync, nodePodOf, type KubectlTarget, type NodePod } from "./node-exec.ts";

/** The agent did not answer, or not with a routes view: the node cannot be asked (exit 1). */
export class AgentUnreachableError extends Error {
  override name = "AgentUnreachableError";
}

/** The agent's view, read from its health server at `address` (host:port) on this host. */
export async function fetchLocalRoutes(address: string, timeoutMs: number): Promise<RoutesView> {
  const url = `http://${address}${routesViewPath}`;
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  } catch (err) {
    throw new AgentUnreachableError(`the agent does not answer at ${url} (${fetchFailure(err, timeoutMs)}): is petrel-agent running on this node, and is --agent-address its --health-address?`);
  }
  const body = await res.text();
  if (res.status === 404) throw new AgentUnreachableError(`${url} answered 404: the agent is older than this petrelctl (no routes view); upgrade the node image`);
  if (res.status !== 200) throw new AgentUnreachableError(`${url} answered ${res.status}: ${body.trim().slice(0, 500)}`);
  let raw: unknown;
  try {
    raw = JSON.parse(body);
  } catch {
    throw new AgentUnreachableError(`${url} answered something that is not JSON: ${body.slice(0, 200)}`);
  }
  try {
    return parseRoutesView(raw, url);
  } catch (err) {
    throw new AgentUnreachableError(errorMessage(err));
  }
}

/** Why a fetch failed, in Node's and Bun's spellings: ECONNREFUSED, a timeout, or the message. */
function fetchFailure(err: unknown, timeoutMs: number): string {
  const e = err as { name?: string; code?: unknown; cause?: { code?: unknown; errors?: { code?: unknown }[] } };
  if (e.name === "TimeoutError") return `no answer within ${Math.round(timeoutMs / 1000)} s`;
  const code = [e.code, e.cause?.code, e.cause?.errors?.[0]?.code].find((c): c is string => typeof c === "string");
  return code ?? errorMessage(err);
}

export interface RemoteOptions {
  /** Only this node; undefined: every node with a Petrel node pod. */
  readonly node: string | undefined;
  readonly kubectl: KubectlTarget;
  readonly execTimeoutMs: number;
  /** Nodes asked at once. */
  readonly parallel?: number;
}

async function askNode(pod: NodePod, opts: RemoteOptions): Promise<NodeRoutes> {
  const argv = ["petrelctl", "bgp", "routes", "--local", "--agent-address", agentClientAddress(pod.healthAddress), "--node", pod.node, "-o", "json"];
  const r = await kubectlExecAsync(opts.kubectl, pod, argv, opts.execTimeoutMs);
  const where = `petrelctl in ${pod.namespace}/${pod.name}`;
  if (!r.ok) return { node: pod.node, unavailable: r.why };
  if (r.status !== 0) {
    const stderr = r.stderr.trim().slice(0, 1000);
    const old = /unknown command|unknown option/.test(stderr) ? "; the node image's petrelctl is older than this one (no bgp routes --local): upgrade the chart" : "";
    return { node: pod.node, unavailable: `${where} exited ${r.status}: ${stderr.replace(/^petrelctl: /, "")}${old}` };
  }
  let raw: unknown;
  try {
    raw = JSON.parse(r.stdout);
  } catch {
    return { node: pod.node, unavailable: `${where} printed no JSON: ${r.stdout.slice(0, 200)}` };
  }
  try {
    const n = parseNodeReport(raw, where);
    if (n.routes !== undefined && n.routes.node !== pod.node) return { node: pod.node, unavailable: `${where} answered for node ${n.routes.node}, not ${pod.node}` };
    return { ...n, node: pod.node };
  } catch (err) {
    return { node: pod.node, unavailable: errorMessage(err) };
  }
}

export async function collectRoutes(ops: KubeOpsReader, opts: RemoteOptions): Promise<BgpRoutesReport> {
  // The node list first: an unknown --node is a usage error, not a node that cannot be asked.
  if (opts.node !== undefined) {
    const names = await ops.nodeNames();
    if (!names.includes(opts.node)) {
      throw new InvalidInputError("--node", `the cluster has no Node "${opts.node}"; kubectl get nodes lists them${names.length > 0 && names.length <= 20 ? ` (${names.sort().join(", ")})` : ""}`);
    }
  }
  const pods = await ops.petrelPods({ nodeOnly: true, ...(opts.node === undefined ? {} : { node: opts.node }) });
  const nodes = opts.node !== undefined ? [opts.node] : [...new Set(pods.flatMap((p) => (p.spec?.nodeName === undefined ? [] : [p.spec.nodeName])))].sort();
  const out: NodeRoutes[] = new Array<NodeRoutes>(nodes.length);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < nodes.length; i = next++) {
      const node = nodes[i] ?? "";
      const pod = nodePodOf(pods, node);
      out[i] = pod === undefined
        ? { node, unavailable: `no Petrel node pod runs on ${node} (kubectl get pods -A -l app.kubernetes.io/name=petrel,app.kubernetes.io/component=node -o wide)` }
        : await askNode(pod, opts);
    }
  };
  await Promise.all(Array.from({ length: Math.min(opts.parallel ?? 8, Math.max(1, nodes.length)) }, worker));
  return { nodes: out };
}
