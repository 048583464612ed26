/**
 * The controller's desired-state computation: from a snapshot of the cluster to the list of
 * writes that move it toward what it should be. Pure and deterministic; the reconciler runs it on
 * every event and on a periodic resync (level-triggered), so it must be safe to run any number of
 * times on any state: it never depends on having seen an earlier event.
 */
import type { IPAMBlock, IPPool } from "../../common/api/index.ts";
import { blockNameOf } from "../../common/block-name.ts";
import { cidrsOverlap, formatCidr, tryParseCidr, type Cidr } from "../../common/cidr.ts";
import { errorMessage } from "../../common/errors.ts";
import { poolFinalizer, type Action, type ClusterState, type NodeInfo } from "./cluster-state.ts";
import { pickFreeBlock } from "./free-block.ts";
import { selectorMatches } from "../../common/label-selector.ts";
import { findPoolOverlaps, type PoolOverlaps } from "./pool-overlap.ts";
import { blockIndexOf, poolLayout, type PoolLayout } from "./pool-layout.ts";
import { desiredPoolStatus, newlyTrue, sameStatus } from "./pool-status.ts";
import { SinceTracker, type SinceMap } from "./since.ts";

export interface PlanSettings {
  /** How long a departed node's blocks are kept (it may come back under the same name). */
  readonly nodeGracePeriodMs: number;
  /** How long an extra block must stay empty before it is taken back (hysteresis). */
  readonly releaseGracePeriodMs: number;
  /** Usage over a node's blocks in a pool at or above which it gets another block (0..1). */
  readonly highWater: number;
  /** An empty extra block is taken back only if usage stays below this without it (0..1). */
  readonly lowWater: number;
  /** Minimum time between two status writes of one pool. */
  readonly statusMinIntervalMs: number;
}

export const defaultPlanSettings: PlanSettings = {
  nodeGracePeriodMs: 5 * 60_000,
  releaseGracePeriodMs: 10 * 60_000,
  highWater: 0.8,
  lowWater: 0.5,
  statusMinIntervalMs: 1000,
};

export interface PlanInput {
  readonly state: ClusterState;
  readonly since: SinceMap;
  /** Pool name → time of the controller's last status write for it. */
  readonly lastStatusWrite: ReadonlyMap<string, number>;
  readonly now: number;
  readonly settings: PlanSettings;
}

/** A node that wants a block of a pool (none yet, or the high-water mark reached) and got none: no block of the pool is free. */
export interface WaitingNode {
  readonly pool: string;
  readonly node: string;
}

export interface Plan {
  readonly actions: Action[];
  /** Nodes that could not get a block they need this pass, by pool and node name. */
  readonly waiting: readonly WaitingNode[];
  readonly since: SinceMap;
  /** Run again after this long even if nothing changes (a grace period or rate limit ends). */
  readonly wakeAfterMs: number | undefined;
}

interface PoolInfo {
  readonly pool: IPPool;
  readonly layout: PoolLayout | undefined;
  readonly invalid: string | undefined;
  readonly deleting: boolean;
  /** No new blocks: disabled, deleting, invalid, or overlapping an older pool. */
  readonly closed: boolean;
  /** Blocks that overlap the pool's range without being its blocks (other pools, other sizes). */
  foreign: Cidr[] | undefined;
  taken: number;
  readonly waiting: string[];
}

function group<T>(items: readonly T[], key: (t: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const list = out.get(k);
    if (list === undefined) out.set(k, [item]);
    else list.push(item);
  }
  return out;
}

const byName = (a: { metadata: { name: string } }, b: { metadata: { name: string } }) => (a.metadata.name < b.metadata.name ? -1 : a.metadata.name > b.metadata.name ? 1 : 0);
const isDraining = (b: IPAMBlock) => b.spec.draining === true;
/** Drained: the agent acknowledged this generation of the drain and holds no address in the block. */
const drained = (b: IPAMBlock) => isDraining(b) && (b.status?.observedGeneration ?? -1) >= (b.metadata.generation ?? 0) && (b.status?.allocated ?? 0) === 0;

function describePools(state: ClusterState, blocksByPool: Map<string, IPAMBlock[]>): { pools: Map<string, PoolInfo>; overlaps: PoolOverlaps } {
  const layouts = new Map<string, { layout?: PoolLayout; invalid?: string }>();
  for (const pool of state.pools) {
    try {
      layouts.set(pool.metadata.name, { layout: poolLayout(pool) });
    } catch (err) {
      layouts.set(pool.metadata.name, { invalid: errorMessage(err) });
    }
  }
  const ranges = state.pools.flatMap((p) => {
    const layout = layouts.get(p.metadata.name)?.layout;
    return layout === undefined ? [] : [{ name: p.metadata.name, cidr: layout.cidr, createdAt: p.metadata.creationTimestamp ?? "" }];
  });
  const overlaps = findPoolOverlaps(ranges);
  const out = new Map<string, PoolInfo>();
  for (const pool of [...state.pools].sort(byName)) {
    const name = pool.metadata.name;
    const { layout, invalid } = layouts.get(name) ?? {};
    const deleting = pool.metadata.deletionTimestamp !== undefined;
    out.set(name, {
      pool,
      layout,
      invalid,
      deleting,
      closed: layout === undefined || deleting || pool.spec.disabled === true || overlaps.blocked.has(name),
      foreign: undefined,
      taken: blocksByPool.get(name)?.length ?? 0,
      waiting: [],
    });
  }
  return { pools: out, overlaps };
}

/** Blocks that overlap `info`'s range but are not among its aligned blocks (computed once per pass). */
function foreignBlocks(info: PoolInfo, blocks: readonly IPAMBlock[]): Cidr[] {
  if (info.foreign !== undefined) return info.foreign;
  const layout = info.layout;
  if (layout === undefined) return [];
  info.foreign = blocks.flatMap((b) => {
    const cidr = tryParseCidr(b.spec.cidr);
    if (cidr === undefined || !cidrsOverlap(cidr, layout.cidr)) return [];
    return b.spec.pool === info.pool.metadata.name && blockIndexOf(layout, cidr) !== undefined ? [] : [cidr];
  });
  return info.foreign;
}

/** Addresses allocated and addresses available over some blocks, from their agent-written status. */
function usage(blocks: readonly IPAMBlock[], layout: PoolLayout): { allocated: number; capacity: number } {
  let allocated = 0;
  let capacity = 0;
  for (const b of blocks) {
    allocated += b.status?.allocated ?? 0;
    capacity += b.status?.capacity ?? Number(layout.blockCapacity);
  }
  return { allocated, capacity };
}

const newestFirst = (a: IPAMBlock, b: IPAMBlock) => {
  const ta = a.metadata.creationTimestamp ?? "";
  const tb = b.metadata.creationTimestamp ?? "";
  return ta !== tb ? (ta < tb ? 1 : -1) : byName(b, a);
};

export function plan(input: PlanInput): Plan {
  const { state, settings, now } = input;
  const actions: Action[] = [];
  const since = new SinceTracker(input.since, now);
  const nodes = new Map(state.nodes.map((n) => [n.name, n]));
  const blocksByPool = group(state.blocks, (b) => b.spec.pool);
  const { pools, overlaps } = describePools(state, blocksByPool);
  const names = new Set(state.blocks.map((b) => b.metadata.name));

  // PetrelNodes: one per Node. The agent's heartbeat is its PetrelNode's status.lastHeartbeatTime;
  // it counts as stopped once its value has not changed for the node grace period, as seen on the
  // controller's own clock (the agent's clock may be off).
  const petrelNodes = new Map(state.petrelNodes.map((p) => [p.metadata.name, p]));
  for (const node of [...state.nodes].sort((a, b) => (a.name < b.name ? -1 : 1))) {
    if (!petrelNodes.has(node.name)) actions.push({ kind: "createPetrelNode", node });
  }
  const heartbeatStopped = new Map<string, boolean>();
  const blocksByNode = group(state.blocks, (b) => b.spec.node);
  for (const name of new Set([...petrelNodes.keys(), ...blocksByNode.keys()])) {
    if (nodes.has(name)) continue;
    const beat = petrelNodes.get(name)?.status?.lastHeartbeatTime ?? "none";
    heartbeatStopped.set(name, since.heldFor(`heartbeat/${name}/${beat}`, settings.nodeGracePeriodMs));
  }
  const goneNodes = new Set<string>();
  const nodeGone = (name: string) => {
    if (goneNodes.has(name)) return true;
    if (nodes.has(name) || !since.heldFor(`node-gone/${name}`, settings.nodeGracePeriodMs)) return false;
    goneNodes.add(name);
    return true;
  };

  // A departed node's blocks: drained first (an agent that still runs stops allocating from them
  // and acknowledges), deleted once drained and empty. A node whose agent still heartbeats keeps
  // its blocks, whatever happened to its Node object; only when the heartbeat has stopped too is
  // a block deleted without the acknowledgement (abandoned).
  for (const [nodeName, nodeBlocks] of [...blocksByNode].sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (nodes.has(nodeName) || !nodeGone(nodeName)) continue;
    const stopped = heartbeatStopped.get(nodeName) === true;
    for (const b of nodeBlocks.sort(byName)) {
      const uid = b.metadata.uid;
      if (!isDraining(b)) {
        actions.push({ kind: "drainBlock", name: b.metadata.name, node: nodeName, reason: `Node ${nodeName} is gone for longer than the node grace period` });
      } else if (drained(b)) {
        actions.push({ kind: "deleteBlock", name: b.metadata.name, uid, node: nodeName, reason: `Node ${nodeName} is gone and its agent drained the block` });
      } else if (stopped) {
        actions.push({
          kind: "deleteBlock", name: b.metadata.name, uid, node: nodeName, abandoned: true,
          reason: `Node ${nodeName} is gone and its agent has not reported for the node grace period; the block is abandoned with ${b.status?.allocated ?? "an unknown number of"} addresses recorded as allocated`,
        });
      }
    }
  }
  for (const pn of state.petrelNodes) {
    const name = pn.metadata.name;
    if (nodes.has(name) || !nodeGone(name) || blocksByNode.has(name) || heartbeatStopped.get(name) !== true) continue;
    actions.push({ kind: "deletePetrelNode", name, uid: pn.metadata.uid, reason: `Node ${name} is gone, holds no block, and its agent has not reported for the node grace period` });
  }

  for (const node of [...state.nodes].sort((a, b) => (a.name < b.name ? -1 : 1))) {
    planNode(node, blocksByNode.get(node.name) ?? [], pools, state.blocks, names, since, settings, actions);
  }

  // Pools: finalizer, status (rate-limited, written only when it changes), Events on transitions.
  let wakeAfterMs = since.wakeAfterMs();
  for (const info of pools.values()) {
    const name = info.pool.metadata.name;
    const finalizers = info.pool.metadata.finalizers ?? [];
    const poolBlocks = blocksByPool.get(name) ?? [];
    // Count the blocks this plan creates, so the status written with them is already true.
    const planned = actions.flatMap((a): IPAMBlock[] => a.kind === "createBlock" && a.block.pool === name
      ? [{ apiVersion: "petrel.dev/v1alpha1", kind: "IPAMBlock", metadata: { name: a.block.name }, spec: { cidr: a.block.cidr, pool: a.block.pool, node: a.block.node } }]
      : []);
    const resourceVersion = info.pool.metadata.resourceVersion;
    if (!info.deleting && !finalizers.includes(poolFinalizer)) {
      actions.push({ kind: "addPoolFinalizer", pool: name, finalizers: [...finalizers, poolFinalizer], resourceVersion });
    }
    if (info.deleting && finalizers.includes(poolFinalizer) && poolBlocks.length === 0 && planned.length === 0) {
      actions.push({ kind: "removePoolFinalizer", pool: name, finalizers: finalizers.filter((f) => f !== poolFinalizer), resourceVersion });
    }
    const status = desiredPoolStatus({
      pool: info.pool,
      layout: info.layout,
      invalid: info.invalid,
      blocks: [...poolBlocks, ...planned],
      overlapsWith: overlaps.overlapsWith.get(name) ?? [],
      blockedByOverlap: overlaps.blocked.has(name),
      waitingNodes: info.waiting,
    }, new Date(now));
    if (sameStatus(info.pool.status, status)) continue;
    const last = input.lastStatusWrite.get(name);
    if (last !== undefined && now - last < settings.statusMinIntervalMs) {
      const wait = settings.statusMinIntervalMs - (now - last);
      wakeAfterMs = wakeAfterMs === undefined ? wait : Math.min(wakeAfterMs, wait);
      continue;
    }
    actions.push({ kind: "updatePoolStatus", pool: name, status });
    for (const c of newlyTrue(info.pool.status, status)) {
      actions.push({
        kind: "event",
        subject: { kind: "IPPool", name, ...(info.pool.metadata.uid === undefined ? {} : { uid: info.pool.metadata.uid }) },
        type: c.type === "Deleting" ? "Normal" : "Warning",
        reason: c.type === "Invalid" ? "InvalidSpec" : c.type,
        message: c.message,
      });
    }
  }
  const waiting = [...pools.values()].flatMap((info) => [...info.waiting].sort().map((node) => ({ pool: info.pool.metadata.name, node })));
  return { actions, waiting, since: since.result(), wakeAfterMs };
}

/** Blocks for one present node: new ones where it has none or runs full, drains where it can give back. */
function planNode(
  node: NodeInfo,
  nodeBlocks: readonly IPAMBlock[],
  pools: Map<string, PoolInfo>,
  allBlocks: readonly IPAMBlock[],
  names: Set<string>,
  since: SinceTracker,
  settings: PlanSettings,
  actions: Action[],
): void {
  const byPool = group(nodeBlocks, (b) => b.spec.pool);
  // Draining blocks go once the agent has acknowledged the drain and holds no address in them.
  for (const b of nodeBlocks) {
    if (drained(b)) {
      actions.push({ kind: "deleteBlock", name: b.metadata.name, uid: b.metadata.uid, node: node.name, reason: "drained: the node's agent stopped allocating from it and it holds no address" });
    }
  }
  const poolNames = new Set([...pools.keys(), ...byPool.keys()]);
  for (const poolName of [...poolNames].sort()) {
    const info = pools.get(poolName);
    const active = (byPool.get(poolName) ?? []).filter((b) => !isDraining(b));
    const drain = (b: IPAMBlock, reason: string) => actions.push({ kind: "drainBlock", name: b.metadata.name, node: node.name, reason });
    if (info === undefined || info.deleting) {
      for (const b of active) drain(b, info === undefined ? `IPPool ${poolName} no longer exists` : `IPPool ${poolName} is being deleted`);
      continue;
    }
    const selected = selectorMatches(info.pool.spec.nodeSelector, node.labels);
    if (!selected) {
      // The pool's nodeSelector no longer picks this node: give each block back once it is empty.
      for (const b of active) {
        const empty = b.status !== undefined && (b.status.allocated ?? 0) === 0;
        if (empty && since.heldFor(`release/${b.metadata.name}`, settings.releaseGracePeriodMs)) {
          drain(b, `IPPool ${poolName}'s nodeSelector no longer selects node ${node.name} and the block is empty`);
        }
      }
      continue;
    }
    if (info.closed || info.layout === undefined) continue;
    const layout = info.layout;
    const { allocated, capacity } = usage(active, layout);
    const needed = active.length === 0 || allocated >= settings.highWater * capacity;
    if (needed) {
      const cidr = pickFreeBlock(layout, node.name, { names, foreign: foreignBlocks(info, allBlocks) }, info.taken);
      if (cidr === undefined) {
        info.waiting.push(node.name);
        continue;
      }
      const name = blockNameOf(cidr);
      names.add(name);
      info.taken++;
      actions.push({
        kind: "createBlock",
        block: { name, cidr: formatCidr(cidr), pool: poolName, node: node.name },
        reason: active.length === 0 ? "the node has no block of this pool" : `the node uses ${allocated} of ${capacity} addresses of this pool (high-water mark ${settings.highWater * 100}%)`,
      });
      continue;
    }
    if (active.length < 2) continue;
    // Hysteresis: an empty extra block goes back only if usage stays under the low-water mark
    // without it, and only after it has been so for the release grace period.
    const candidate = [...active].sort(newestFirst).find((b) => b.status !== undefined && (b.status.allocated ?? 0) === 0);
    if (candidate === undefined) continue;
    const remaining = capacity - (candidate.status?.capacity ?? Number(layout.blockCapacity));
    if (remaining > 0 && allocated < settings.lowWater * remaining && since.heldFor(`release/${candidate.metadata.name}`, settings.releaseGracePeriodMs)) {
      drain(candidate, `an empty extra block: the node uses ${allocated} of ${remaining} addresses without it (low-water mark ${settings.lowWater * 100}%)`);
    }
  }
}
