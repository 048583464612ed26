/**
 * Builders for the controller's unit tests: small pools, nodes and blocks with explicit names and
 * timestamps, and a `planAt` wrapper with the test settings. Test-only; not imported by the program.
 */
import type { IPAMBlock, IPPool, IPPoolStatus, LabelSelector, PetrelNode } from "../../../common/api/index.ts";
import { API_VERSION } from "../../../common/api/index.ts";
import { blockNameOf } from "../../../common/block-name.ts";
import { cidrSize, formatCidr, parseCidr } from "../../../common/cidr.ts";
import { blockNodeLabel, blockPoolLabel, poolFinalizer, type Action, type ClusterState, type NodeInfo } from "../cluster-state.ts";
import { plan, type Plan, type PlanSettings } from "../plan.ts";
import type { SinceMap } from "../since.ts";
import { hashName } from "../free-block.ts";
import { blockAt, poolLayout } from "../pool-layout.ts";

/** The tests' "now": 2026-03-01T12:00:00Z. */
export const t0 = Date.parse("2026-03-01T12:00:00Z");
export const minute = 60_000;

export const testSettings: PlanSettings = {
  nodeGracePeriodMs: 5 * minute,
  releaseGracePeriodMs: 10 * minute,
  highWater: 0.8,
  lowWater: 0.5,
  statusMinIntervalMs: 1000,
};

/** RFC 3339 without milliseconds, as the API server writes timestamps. */
export function stamp(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
}

export function node(name: string, labels: Record<string, string> = {}): NodeInfo {
  return { name, uid: `uid-${name}`, labels };
}

/** A PetrelNode; `heartbeat` (ms) sets status.lastHeartbeatTime, as the node's agent does. */
export function petrelNode(name: string, heartbeat?: number): PetrelNode {
  return {
    apiVersion: API_VERSION, kind: "PetrelNode", metadata: { name, uid: `uid-pn-${name}` }, spec: {},
    ...(heartbeat === undefined ? {} : { status: { lastHeartbeatTime: stamp(heartbeat) } }),
  };
}

export interface PoolOptions {
  readonly blockSize?: number;
  readonly nodeSelector?: LabelSelector;
  readonly disabled?: boolean;
  /** creationTimestamp; default 2026-01-01T00:00:00Z. */
  readonly createdAt?: string;
  /** deletionTimestamp; unset means not being deleted. */
  readonly deletedAt?: string;
  /** Default: just Petrel's finalizer. */
  readonly finalizers?: string[];
  readonly status?: IPPoolStatus;
  readonly resourceVersion?: string;
  readonly generation?: number;
}

export function pool(name: string, cidr: string, o: PoolOptions = {}): IPPool {
  return {
    apiVersion: API_VERSION,
    kind: "IPPool",
    metadata: {
      name,
      uid: `uid-${name}`,
      generation: o.generation ?? 1,
      resourceVersion: o.resourceVersion ?? "100",
      creationTimestamp: o.createdAt ?? "2026-01-01T00:00:00Z",
      finalizers: o.finalizers ?? [poolFinalizer],
      ...(o.deletedAt === undefined ? {} : { deletionTimestamp: o.deletedAt }),
    },
    spec: {
      cidr,
      ...(o.blockSize === undefined ? {} : { blockSize: o.blockSize }),
      ...(o.nodeSelector === undefined ? {} : { nodeSelector: o.nodeSelector }),
      ...(o.disabled === undefined ? {} : { disabled: o.disabled }),
    },
    ...(o.status === undefined ? {} : { status: o.status }),
  };
}

export interface BlockOptions {
  /** status.allocated; with it (or observedGeneration) the block has a status. */
  readonly allocated?: number;
  /** status.capacity; default the block's size. */
  readonly capacity?: number;
  readonly observedGeneration?: number;
  readonly draining?: boolean;
  readonly generation?: number;
  /** creationTimestamp; default 2026-02-01T00:00:00Z. */
  readonly createdAt?: string;
  /** metadata.uid; default uid-<name>. */
  readonly uid?: string;
}

export function block(cidr: string, poolName: string, nodeName: string, o: BlockOptions = {}): IPAMBlock {
  const parsed = parseCidr(cidr);
  const hasStatus = o.allocated !== undefined || o.observedGeneration !== undefined;
  return {
    apiVersion: API_VERSION,
    kind: "IPAMBlock",
    metadata: {
      name: blockNameOf(parsed),
      uid: o.uid ?? `uid-${blockNameOf(parsed)}`,
      generation: o.generation ?? 1,
      creationTimestamp: o.createdAt ?? "2026-02-01T00:00:00Z",
      labels: { [blockNodeLabel]: nodeName, [blockPoolLabel]: poolName },
    },
    spec: { cidr, pool: poolName, node: nodeName, ...(o.draining === undefined ? {} : { draining: o.draining }) },
    ...(hasStatus
      ? {
        status: {
          allocated: o.allocated ?? 0,
          capacity: o.capacity ?? Number(cidrSize(parsed)),
          ...(o.observedGeneration === undefined ? {} : { observedGeneration: o.observedGeneration }),
        },
      }
      : {}),
  };
}

/** A cluster snapshot; by default every Node already has its PetrelNode. */
export function cluster(parts: Partial<ClusterState>): ClusterState {
  const nodes = parts.nodes ?? [];
  return {
    nodes,
    pools: parts.pools ?? [],
    blocks: parts.blocks ?? [],
    petrelNodes: parts.petrelNodes ?? nodes.map((n) => petrelNode(n.name)),
  };
}

export interface PlanAt {
  readonly now?: number;
  readonly since?: SinceMap;
  readonly lastStatusWrite?: ReadonlyMap<string, number>;
  readonly settings?: Partial<PlanSettings>;
}

export function planAt(state: ClusterState, o: PlanAt = {}): Plan {
  return plan({
    state,
    since: o.since ?? new Map(),
    lastStatusWrite: o.lastStatusWrite ?? new Map(),
    now: o.now ?? t0,
    settings: { ...testSettings, ...o.settings },
  });
}

export type ActionOf<K extends Action["kind"]> = Extract<Action, { kind: K }>;

/** The actions of one kind, typed. */
export function ofKind<K extends Action["kind"]>(actions: readonly Action[], kind: K): ActionOf<K>[] {
  return actions.filter((a): a is ActionOf<K> => a.kind === kind);
}

/** The planned new blocks as "node cidr" strings, sorted: easy to compare. */
export function createdBlocks(actions: readonly Action[]): string[] {
  return ofKind(actions, "createBlock").map((a) => `${a.block.node} ${a.block.cidr}`).sort();
}

/** Fails the test with `message` (for narrowing without non-null assertions). */
export function fail(message: string): never {
  throw new Error(message);
}

/** The status a plan wants for `poolName`, or a test failure when it plans none. */
export function plannedStatus(p: Plan, poolName: string): IPPoolStatus {
  return ofKind(p.actions, "updatePoolStatus").find((a) => a.pool === poolName)?.status ?? fail(`no status update for ${poolName}`);
}

/** A pool whose status is already what the plan would write (so status noise disappears). */
export function withSettledStatus(state: ClusterState, now = t0): ClusterState {
  const p = planAt(state, { now });
  return {
    ...state,
    pools: state.pools.map((pl) => {
      const status = ofKind(p.actions, "updatePoolStatus").find((a) => a.pool === pl.metadata.name)?.status;
      return status === undefined ? pl : { ...pl, status };
    }),
  };
}

// pool-a: 198.18.0.0/24 cut into /26 blocks, i.e. four blocks of 64 addresses.
export const poolA = () => pool("pool-a", "198.18.0.0/24", { blockSize: 26 });
export const blocksOfPoolA = ["198.18.0.0/26", "198.18.0.64/26", "198.18.0.128/26", "198.18.0.192/26"];

/** The block pickFreeBlock starts at for `nodeName` in pool-a (the hashed index). */
export function hashedBlockOfPoolA(nodeName: string, offset = 0n): string {
  const layout = poolLayout(poolA());
  return formatCidr(blockAt(layout, (hashName(`pool-a/${nodeName}`) + offset) % layout.blockCount));
}
