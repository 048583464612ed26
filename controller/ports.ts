/**
 * The edges the controller's logic needs, declared by the code that uses them. The real ones
 * (controller/host/) talk to the API server; unit tests pass in-memory fakes.
 */
import type { IPAMBlock, IPPoolStatus, PetrelNode } from "../common/api/index.ts";
import type { ClusterState, EventSubject, FinalizerAction, NewBlock, NodeInfo } from "./core/cluster-state.ts";

/** The controller's view of the cluster: watch caches (list + watch, re-listed on 410 Gone). */
export interface ClusterCache {
  snapshot(): ClusterState;
  /** True once every cache has completed its first list. */
  synced(): boolean;
}

/**
 * The outcome of one write. "exists": a create found the name taken (`existing` is what the API
 * server holds); "missing": the object was already gone (or, for a conditional delete, is no
 * longer the object the plan saw). Other failures throw a PetrelError
 * (transient for timeouts, 5xx, 429 and conflicts; permanent for rejections).
 */
export type WriteResult<T = undefined> =
  | { readonly outcome: "done"; readonly object?: T }
  | { readonly outcome: "exists"; readonly existing?: T }
  | { readonly outcome: "missing" };

export interface ClusterWriter {
  createPetrelNode(node: NodeInfo): Promise<WriteResult<PetrelNode>>;
  /** Deletes the PetrelNode if it still has `uid` (undefined: whatever it is); "missing" otherwise. */
  deletePetrelNode(name: string, uid: string | undefined): Promise<WriteResult>;
  createBlock(block: NewBlock): Promise<WriteResult<IPAMBlock>>;
  drainBlock(name: string): Promise<WriteResult<IPAMBlock>>;
  /**
   * Deletes the block if it still has `uid` (a precondition the API server checks): a block
   * deleted and re-created under the same name meanwhile is "missing" to this call, never deleted.
   */
  deleteBlock(name: string, uid: string | undefined): Promise<WriteResult>;
  /** Marks the block (of `uid`) abandoned, so that the protection policy lets it be deleted undrained. */
  abandonBlock(name: string, uid: string | undefined, reason: string): Promise<WriteResult>;
  /** Sets the pool's finalizers to `change.finalizers`, failing with a conflict on a stale resourceVersion. */
  setPoolFinalizers(change: FinalizerAction): Promise<WriteResult>;
  updatePoolStatus(pool: string, status: IPPoolStatus): Promise<WriteResult>;
  recordEvent(subject: EventSubject, type: "Normal" | "Warning", reason: string, message: string): Promise<WriteResult>;
}

/** A coordination.k8s.io Lease as the leader elector sees it. */
export interface LeaseRecord {
  readonly holderIdentity?: string;
  readonly leaseDurationSeconds?: number;
  readonly acquireTime?: string;
  readonly renewTime?: string;
  readonly leaseTransitions?: number;
  /** Optimistic concurrency: an update carries the version it read. */
  readonly resourceVersion?: string;
}

export interface LeaseStore {
  get(): Promise<LeaseRecord | undefined>;
  /** "conflict" when someone else created or changed the lease first. */
  create(record: LeaseRecord): Promise<"ok" | "conflict">;
  update(record: LeaseRecord): Promise<"ok" | "conflict">;
}
