/**
 * What the controller's pure core sees of the cluster (a snapshot of its watch caches) and the
 * actions it asks the edges to carry out. Nothing here talks to the API server.
 */
import type { IPAMBlock, IPPool, PetrelNode } from "../../common/api/index.ts";
import type { IPPoolStatus } from "../../common/api/index.ts";

/** The parts of a core/v1 Node the controller uses. */
export interface NodeInfo {
  readonly name: string;
  readonly uid: string;
  readonly labels: Readonly<Record<string, string>>;
}

export interface ClusterState {
  readonly nodes: readonly NodeInfo[];
  readonly pools: readonly IPPool[];
  readonly blocks: readonly IPAMBlock[];
  readonly petrelNodes: readonly PetrelNode[];
}

/**
 * A pool's finalizer list, written whole with the resourceVersion it was computed from, so that
 * a stale cache makes the write fail (409) instead of dropping someone else's finalizer.
 */
export interface FinalizerAction {
  readonly kind: "addPoolFinalizer" | "removePoolFinalizer";
  readonly pool: string;
  readonly finalizers: readonly string[];
  readonly resourceVersion: string | undefined;
}

/** The object an Event is about. */
export interface EventSubject {
  readonly kind: "IPPool" | "IPAMBlock" | "PetrelNode" | "Node";
  readonly name: string;
  readonly uid?: string;
}

export interface NewBlock {
  readonly name: string;
  readonly cidr: string;
  readonly pool: string;
  readonly node: string;
}

export type Action =
  | { readonly kind: "createPetrelNode"; readonly node: NodeInfo }
  /** `uid`: the object the plan saw; the delete is conditional on it (a re-created one survives). */
  | { readonly kind: "deletePetrelNode"; readonly name: string; readonly uid: string | undefined; readonly reason: string }
  | { readonly kind: "createBlock"; readonly block: NewBlock; readonly reason: string }
  | { readonly kind: "drainBlock"; readonly name: string; readonly node: string; readonly reason: string }
  | {
    readonly kind: "deleteBlock";
    readonly name: string;
    /** The block the plan saw: the delete carries it as a precondition, so a re-created block of the same CIDR survives a stale cache. */
    readonly uid: string | undefined;
    readonly node: string;
    readonly reason: string;
    /**
     * The node is gone and its agent silent: the block is deleted without the agent's
     * acknowledgement. It is first marked with `abandonedAnnotation` (the admission policy lets
     * only drained or abandoned blocks be deleted).
     */
    readonly abandoned?: boolean;
  }
  | FinalizerAction
  | { readonly kind: "updatePoolStatus"; readonly pool: string; readonly status: IPPoolStatus }
  | {
    readonly kind: "event";
    readonly subject: EventSubject;
    readonly type: "Normal" | "Warning";
    readonly reason: string;
    readonly message: string;
  };

/** The finalizer that keeps a pool until its blocks are gone (nothing is yanked from running pods). */
export const poolFinalizer = "petrel.dev/ipam-blocks";
/** Labels on every IPAMBlock (owning node, pool): a contract with the agents, defined in common/. */
export { blockNodeLabel, blockPoolLabel } from "../../common/block-name.ts";
/**
 * Annotation the controller puts on a block of a departed node whose agent no longer reports
 * (no heartbeat for the node grace period), just before it deletes the block without the drain
 * acknowledgement. The IPAMBlock protection policy lets a block go only when it is drained (the
 * agent acknowledged and holds no address in it) or carries this annotation.
 */
export const abandonedAnnotation = "petrel.dev/abandoned";
