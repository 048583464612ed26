/**
 * What the agent removes from its node when the release is gone (`helm uninstall`; the decision
 * is common/release-gone.ts), and what it leaves, by owner:
 *  - removed: every route of the agent's protocol (common/route-protocols.ts, 88) in the main
 *    table, IPv4 and IPv6 — the other nodes' blocks and service CIDRs via their next hops, and
 *    the blackholes of the node's own blocks — and the natOutgoing nft table (nat-plan.ts).
 *    The listing is the kernel's, not the agent's memory, so a route left by an earlier agent
 *    goes too.
 *  - kept: the CNI plugin's `<pod>/32 dev <veth>` routes (protocol 89), the veths and the
 *    allocation records. They belong to pods that still run; removing them would cut the node
 *    (the kubelet's probes, hostNetwork clients) off from those pods, which a CNI must never do
 *    to a live pod. They go with their pods: CNI DEL removes veth and route when a pod is
 *    deleted. A node torn down as a whole takes everything along, with nothing for Petrel to do.
 *  - kept: the forwarding sysctls (other things on the node may rely on them) and the state
 *    directory (as the CNI installer keeps it).
 * The BGP picture needs nothing: gobgpd dies with the pod and keeps no state.
 */
import { errorMessage } from "../../common/errors.ts";
import { natRuleset } from "./nat-plan.ts";
import type { KernelPort, KernelRoute, RouteChange } from "./route-plan.ts";

export interface NodeCleanupPorts {
  readonly kernel: KernelPort;
  readonly nat: { apply(script: string): Promise<void> };
}

export interface NodeCleanupResult {
  readonly removed: { readonly via: number; readonly blackhole: number };
  /** Petrel routes still there after the removal (with the errors that kept them). */
  readonly left: readonly string[];
  readonly natRemoved: boolean;
  readonly errors: readonly string[];
}

/** Every Petrel route listed goes; the listing holds the agent's protocol only (kernel-routes.ts). */
export function cleanupChanges(routes: readonly KernelRoute[]): RouteChange[] {
  return routes.map((r) => ({ op: "remove", prefix: r.prefix }));
}

/** Removes the agent's routes and nft table; never throws (the caller is exiting anyway). */
export async function cleanNode(p: NodeCleanupPorts): Promise<NodeCleanupResult> {
  const errors: string[] = [];
  let removed = { via: 0, blackhole: 0 };
  let left: string[] = [];
  try {
    const before = (await p.kernel.list()).petrel;
    const result = await p.kernel.apply(cleanupChanges(before));
    for (const f of result.failed) errors.push(`${f.prefix}: ${f.error}`);
    // Listed again: what is left is what the kernel says, not what the batch claimed.
    const after = new Set((await p.kernel.list()).petrel.map((r) => r.prefix));
    left = [...after].sort();
    const gone = before.filter((r) => !after.has(r.prefix));
    removed = { via: gone.filter((r) => r.kind === "via").length, blackhole: gone.filter((r) => r.kind === "blackhole").length };
  } catch (err) {
    errors.push(`routes: ${errorMessage(err)}`);
  }
  let natRemoved = false;
  try {
    // The ruleset without natOutgoing pools deletes the table whether or not it exists.
    await p.nat.apply(natRuleset([]));
    natRemoved = true;
  } catch (err) {
    errors.push(`nft table: ${errorMessage(err)}`);
  }
  return { removed, left, natRemoved, errors };
}
