/**
 * Route trust (DESIGN.md flow 4): what a route must prove before it reaches the kernel, is
 * exported, or is reflected. A pod route is accepted only for a prefix that is exactly the CIDR
 * of an IPAMBlock owned by another node, a valid block (inside its pool, of the pool's block
 * size), with the owner's address as next hop, or the address of a peer this node is configured
 * to learn from (BGPPeer spec.learnFrom: a top-of-rack router or route reflector that sets itself
 * as next hop). Accepted service CIDRs are the only other prefixes, from a Petrel node or a
 * learn-from peer. Everything else is refused with a reason. Pure; the common case (an exact
 * block) is a map lookup, and a prefix is parsed only when it is refused.
 */
import { containsCidr, tryParseCidr, type Cidr } from "../../common/cidr.ts";
import type { RouteBounds } from "./cidr-bounds.ts";

/** Who owns a block, from the IPAMBlock's name (its CIDR) and labels. */
export interface BlockOwner {
  readonly node: string;
  readonly pool: string;
  readonly cidr: Cidr;
}

export const refusalReasons = [
  "default_route", "own_block", "wrong_next_hop", "owner_unknown", "invalid_block", "unknown_block",
  "longer_than_block", "pool_aggregate", "foreign_prefix", "kernel_route_exists",
] as const;

/** Why a route was refused (the `reason` label of petrel_agent_routes_refused_total). */
export type RefusalReason = (typeof refusalReasons)[number];

export const refusalHelp: Readonly<Record<RefusalReason, string>> = {
  default_route: "a default route: Petrel never installs or advertises one",
  own_block: "this node's own block: only this node routes it",
  wrong_next_hop: "the next hop is neither the block owner's address nor a learn-from peer (BGPPeer spec.learnFrom)",
  owner_unknown: "the block's node has no known address",
  invalid_block: "the IPAMBlock is not inside its pool at the pool's block size",
  unknown_block: "block-sized and inside a pool, but no IPAMBlock has this CIDR",
  longer_than_block: "longer than a block (e.g. one pod's /32): only whole blocks are routed",
  pool_aggregate: "shorter than a block inside a pool, or covering a pool: it would take several blocks' traffic",
  foreign_prefix: "neither inside a pool nor an accepted service CIDR",
  kernel_route_exists: "the kernel already has a route for this prefix that Petrel did not create",
};

export interface TrustInputs {
  readonly me: string;
  /** Every block of the cluster by canonical CIDR text. */
  readonly blocks: ReadonlyMap<string, BlockOwner>;
  readonly bounds: RouteBounds;
  /** A node's BGP address (with the grace memory of node-addresses.ts). */
  readonly address: (node: string) => string | undefined;
  /** Addresses of peers this node learns from: they may be the next hop of any block. */
  readonly learnFrom: ReadonlySet<string>;
  /** Addresses of every Petrel node: the accepted next hops of a service CIDR. */
  readonly nodeAddresses: ReadonlySet<string>;
  /** Accepted service CIDRs (bounds.serviceCidrs as a set). */
  readonly services: ReadonlySet<string>;
}

export type Verdict =
  | { readonly accept: true }
  | { readonly accept: false; readonly reason: RefusalReason; readonly detail: string };

const accept: Verdict = { accept: true };

function refuse(reason: RefusalReason, detail: string): Verdict {
  return { accept: false, reason, detail };
}

/** Why a block is not routable (undefined: it is). */
export function blockProblem(b: BlockOwner, bounds: RouteBounds): string | undefined {
  const pool = bounds.poolsByName.get(b.pool);
  if (pool === undefined) return `its pool ${b.pool === "" ? "(none)" : b.pool} is not an accepted IPPool`;
  if (!containsCidr(pool.cidr, b.cidr)) return `it is outside its pool ${pool.name}`;
  if (b.cidr.prefixLength !== pool.blockSize) return `it is not of its pool's block size /${pool.blockSize}`;
  return undefined;
}

/** The verdict on a route learned from a peer: `<prefix> via <nextHop>`. */
export function judgeRoute(t: TrustInputs, prefix: string, nextHop: string): Verdict {
  const block = t.blocks.get(prefix);
  if (block !== undefined) {
    if (block.node === t.me) return refuse("own_block", `${prefix} is a block of this node`);
    const problem = blockProblem(block, t.bounds);
    if (problem !== undefined) return refuse("invalid_block", `IPAMBlock ${prefix} of ${block.node}: ${problem}`);
    const owner = t.address(block.node);
    if (nextHop !== "" && (nextHop === owner || t.learnFrom.has(nextHop))) return accept;
    if (owner === undefined && t.learnFrom.size === 0) return refuse("owner_unknown", `${prefix} belongs to ${block.node}, which has no known address`);
    return refuse("wrong_next_hop", `${prefix} belongs to ${block.node} (${owner ?? "no address"}), not to next hop ${nextHop || "(none)"}`);
  }
  if (t.services.has(prefix)) {
    if (t.nodeAddresses.has(nextHop) || t.learnFrom.has(nextHop)) return accept;
    return refuse("wrong_next_hop", `service CIDR ${prefix} via ${nextHop || "(none)"}, which is neither a Petrel node nor a learn-from peer`);
  }
  return classifyStranger(t, prefix);
}

/** Why a prefix that is neither a block nor a service CIDR is refused. */
function classifyStranger(t: TrustInputs, prefix: string): Verdict {
  const c = tryParseCidr(prefix, false);
  if (c === undefined) return refuse("foreign_prefix", `${prefix} is not a CIDR`);
  if (c.prefixLength === 0) return refuse("default_route", `${prefix} is a default route`);
  for (const pool of t.bounds.pools) {
    if (containsCidr(pool.cidr, c)) {
      if (c.prefixLength > pool.blockSize) return refuse("longer_than_block", `${prefix} is longer than the /${pool.blockSize} blocks of IPPool ${pool.name}`);
      if (c.prefixLength < pool.blockSize) return refuse("pool_aggregate", `${prefix} would cover several blocks of IPPool ${pool.name}`);
      return refuse("unknown_block", `no IPAMBlock has ${prefix} (IPPool ${pool.name})`);
    }
    if (containsCidr(c, pool.cidr)) return refuse("pool_aggregate", `${prefix} covers IPPool ${pool.name}`);
  }
  return refuse("foreign_prefix", `${prefix} is in no IPPool and is no accepted service CIDR`);
}
