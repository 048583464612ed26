/**
 * IPPool.status (the controller is its only writer): counts, and the conditions an operator must
 * see. Conditions keep their lastTransitionTime while their status stays the same, so an
 * unchanged pool yields an identical status and no write.
 */
import type { Condition, IPAMBlock, IPPool, IPPoolStatus } from "../../common/api/index.ts";
import type { PoolLayout } from "./pool-layout.ts";
import { canonicalJson } from "../../common/canonical-json.ts";

export interface PoolFacts {
  readonly pool: IPPool;
  /** undefined when the pool is invalid (then `invalid` says why). */
  readonly layout: PoolLayout | undefined;
  readonly invalid: string | undefined;
  /** Blocks whose spec.pool is this pool, including those this plan creates. */
  readonly blocks: readonly IPAMBlock[];
  readonly overlapsWith: readonly string[];
  readonly blockedByOverlap: boolean;
  /** Nodes that want a block from this pool and could not get one. */
  readonly waitingNodes: readonly string[];
}

type ConditionDraft = Omit<Condition, "lastTransitionTime" | "observedGeneration">;

function listNames(names: readonly string[], max = 5): string {
  const shown = names.slice(0, max).join(", ");
  return names.length > max ? `${shown} and ${names.length - max} more` : shown;
}

function conditionDrafts(f: PoolFacts, freeBlocks: bigint | undefined): ConditionDraft[] {
  const out: ConditionDraft[] = [];
  out.push(f.overlapsWith.length > 0
    ? {
      type: "Overlapping",
      status: "True",
      reason: f.blockedByOverlap ? "OverlapsOlderPool" : "OverlappedByNewerPool",
      message: f.blockedByOverlap
        ? `spec.cidr ${f.pool.spec.cidr} overlaps IPPool ${listNames(f.overlapsWith)}; no blocks are cut from this pool until the overlap is removed: delete this pool or give it a range that overlaps no other pool`
        : `spec.cidr ${f.pool.spec.cidr} is overlapped by the newer IPPool ${listNames(f.overlapsWith)}, which gets no blocks; this pool keeps working`,
    }
    : { type: "Overlapping", status: "False", reason: "NoOverlap", message: "the pool overlaps no other pool" });
  // Nodes waiting is the operator-facing fact; free blocks can also be covered by foreign blocks.
  if (freeBlocks === 0n || f.waitingNodes.length > 0) {
    out.push({
      type: "Exhausted",
      status: "True",
      reason: "NoFreeBlocks",
      message: f.waitingNodes.length > 0
        ? `no free block in ${f.pool.spec.cidr} and ${f.waitingNodes.length} node(s) wait for one (${listNames(f.waitingNodes)}): add an IPPool or widen this pool's nodeSelector elsewhere`
        : `every block of ${f.pool.spec.cidr} is in use: add an IPPool before more nodes join`,
    });
  } else {
    out.push({ type: "Exhausted", status: "False", reason: "FreeBlocks", message: freeBlocks === undefined ? "the pool is invalid" : `${freeBlocks} free block(s)` });
  }
  if (f.invalid !== undefined) {
    out.push({ type: "Invalid", status: "True", reason: "InvalidSpec", message: f.invalid });
  }
  if (f.pool.metadata.deletionTimestamp !== undefined) {
    const inUse = f.blocks.filter((b) => (b.status?.allocated ?? 0) > 0).length;
    out.push({
      type: "Deleting",
      status: "True",
      reason: "DrainingBlocks",
      message: `the pool is being deleted: ${f.blocks.length} block(s) remain, ${inUse} with addresses in use; each is released when its pods are gone (nothing is taken from running pods)`,
    });
  }
  return out;
}

/** The status the pool should have, reusing `lastTransitionTime` of unchanged conditions. */
export function desiredPoolStatus(f: PoolFacts, now: Date): IPPoolStatus {
  const layout = f.layout;
  const rawFree = layout === undefined ? undefined : layout.blockCount - BigInt(f.blocks.length);
  // More blocks than the pool holds means hand-made or foreign blocks; never report negative.
  const freeBlocks = rawFree === undefined ? undefined : rawFree < 0n ? 0n : rawFree;
  const old = new Map((f.pool.status?.conditions ?? []).map((c) => [c.type, c]));
  const generation = f.pool.metadata.generation;
  const conditions = conditionDrafts(f, freeBlocks).map((d): Condition => {
    const prev = old.get(d.type);
    const lastTransitionTime = prev !== undefined && prev.status === d.status ? prev.lastTransitionTime : now.toISOString().replace(/\.\d{3}Z$/, "Z");
    return { ...d, lastTransitionTime, ...(generation === undefined ? {} : { observedGeneration: generation }) };
  });
  const used = f.blocks.reduce((sum, b) => sum + (b.status?.allocated ?? 0), 0);
  const status: IPPoolStatus = {
    blocks: f.blocks.length,
    usedAddresses: used,
    conditions,
  };
  if (generation !== undefined) status.observedGeneration = generation;
  if (layout !== undefined && freeBlocks !== undefined) {
    status.blockSize = layout.blockPrefix;
    status.freeBlocks = freeBlocks.toString();
    // Capped: an IPv6 pool's address count does not fit an int64, and no one has that many blocks.
    const addresses = BigInt(f.blocks.length) * layout.blockCapacity;
    status.blockAddresses = addresses > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(addresses);
  }
  return status;
}

/** Conditions that turned True between `before` and `after` (these get a Warning/Normal Event). */
export function newlyTrue(before: IPPoolStatus | undefined, after: IPPoolStatus): Condition[] {
  const was = new Map((before?.conditions ?? []).map((c) => [c.type, c.status]));
  return (after.conditions ?? []).filter((c) => c.status === "True" && was.get(c.type) !== "True");
}

/** Deep equality of two statuses as JSON values (key order does not matter). */
export function sameStatus(a: IPPoolStatus | undefined, b: IPPoolStatus): boolean {
  return canonicalJson(a ?? {}) === canonicalJson(b);
}
