/**
 * What the controller's cluster gauges say, computed from one snapshot of its caches: per pool
 * (size, blocks, free blocks, addresses in use, exhausted) and per node and pool (blocks, their
 * capacity, addresses in use), plus each agent's last heartbeat. Pure; the metrics module only
 * copies these numbers into gauges. Labels are pools and nodes, never pods or addresses, so the
 * series count stays pools × nodes.
 */
import { cidrSize, tryParseCidr } from "../../common/cidr.ts";
import type { IPAMBlock } from "../../common/api/index.ts";
import type { ClusterState } from "./cluster-state.ts";
import { poolLayout, type PoolLayout } from "./pool-layout.ts";

export interface PoolUsage {
  readonly pool: string;
  /** Blocks whose spec.pool is this pool (draining ones included). */
  readonly blocks: number;
  /** Addresses allocated to pods in those blocks, as the agents report them. */
  readonly allocationsInUse: number;
  /** Addresses in the pool's CIDR; undefined when the pool's spec is invalid. */
  readonly sizeAddresses: number | undefined;
  /** Blocks the pool can be cut into; undefined when the spec is invalid. */
  readonly sizeBlocks: number | undefined;
  /** Blocks not yet cut (never negative); undefined when the spec is invalid. */
  readonly freeBlocks: number | undefined;
  /**
   * No block left to cut, or the pool's Exhausted condition is True (a node waits for a block:
   * the planner found none free, e.g. the rest is covered by other pools' blocks). Undefined
   * when the spec is invalid.
   */
  readonly exhausted: boolean | undefined;
}

export interface NodePoolUsage {
  readonly pool: string;
  readonly node: string;
  readonly blocks: number;
  /** Addresses in the node's blocks of the pool (their capacity). */
  readonly addresses: number;
  readonly allocationsInUse: number;
}

export interface AgentHeartbeat {
  readonly node: string;
  /** status.lastHeartbeatTime of the node's PetrelNode, in seconds since the epoch. */
  readonly timestampSeconds: number;
}

export interface IpamUsage {
  readonly pools: readonly PoolUsage[];
  readonly nodes: readonly NodePoolUsage[];
  readonly heartbeats: readonly AgentHeartbeat[];
}

const byKey = <T>(key: (t: T) => string) => (a: T, b: T) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0);

function blockCapacity(b: IPAMBlock): number {
  if (b.status?.capacity !== undefined) return b.status.capacity;
  const cidr = tryParseCidr(b.spec.cidr);
  return cidr === undefined ? 0 : Number(cidrSize(cidr));
}

function layoutOf(pool: ClusterState["pools"][number]): PoolLayout | undefined {
  try {
    return poolLayout(pool);
  } catch {
    return undefined; // the pool status says why (Invalid condition); no size to report
  }
}

export function ipamUsage(state: ClusterState): IpamUsage {
  const blocksByPool = new Map<string, IPAMBlock[]>();
  const perNode = new Map<string, { pool: string; node: string; blocks: number; addresses: number; allocationsInUse: number }>();
  for (const b of state.blocks) {
    const list = blocksByPool.get(b.spec.pool);
    if (list === undefined) blocksByPool.set(b.spec.pool, [b]);
    else list.push(b);
    const key = `${b.spec.pool}\u0000${b.spec.node}`;
    const e = perNode.get(key) ?? { pool: b.spec.pool, node: b.spec.node, blocks: 0, addresses: 0, allocationsInUse: 0 };
    e.blocks++;
    e.addresses += blockCapacity(b);
    e.allocationsInUse += b.status?.allocated ?? 0;
    perNode.set(key, e);
  }
  const pools = state.pools.map((p): PoolUsage => {
    const name = p.metadata.name;
    const blocks = blocksByPool.get(name) ?? [];
    const allocationsInUse = blocks.reduce((n, b) => n + (b.status?.allocated ?? 0), 0);
    const layout = layoutOf(p);
    if (layout === undefined) {
      return { pool: name, blocks: blocks.length, allocationsInUse, sizeAddresses: undefined, sizeBlocks: undefined, freeBlocks: undefined, exhausted: undefined };
    }
    const free = layout.blockCount - BigInt(blocks.length);
    const freeBlocks = free < 0n ? 0 : Number(free);
    const conditionSaysExhausted = (p.status?.conditions ?? []).some((c) => c.type === "Exhausted" && c.status === "True");
    return {
      pool: name,
      blocks: blocks.length,
      allocationsInUse,
      sizeAddresses: Number(cidrSize(layout.cidr)),
      sizeBlocks: Number(layout.blockCount),
      freeBlocks,
      exhausted: freeBlocks === 0 || conditionSaysExhausted,
    };
  }).sort(byKey((u) => u.pool));
  const heartbeats = state.petrelNodes.flatMap((pn): AgentHeartbeat[] => {
    const at = Date.parse(pn.status?.lastHeartbeatTime ?? "");
    return Number.isNaN(at) ? [] : [{ node: pn.metadata.name, timestampSeconds: at / 1000 }];
  }).sort(byKey((h) => h.node));
  return { pools, nodes: [...perNode.values()].sort(byKey((u) => `${u.pool}\u0000${u.node}`)), heartbeats };
}
