// Generated from crds/*.yaml by `node test/scripts/gen-api-types.ts`; do not edit.
// The IPAMBlock kind (`ipamblocks.petrel.dev`); its group: ./v1alpha1.ts.
// Naming: nested objects are <Parent><Field> (array items: the field's singular, or <Field>Item);
// label selectors and conditions use the shared types of ./object-meta.ts. Rules:
// test/scripts/api-types/generate.ts.
import type { ObjectMeta } from "./object-meta.ts";

/**
 * One block of an IPPool, owned by one node. Its name is derived from spec.cidr.
 *
 * `ipamblocks.petrel.dev` (short names: ipb), cluster-scoped.
 */
export interface IPAMBlock {
  apiVersion: "petrel.dev/v1alpha1";
  kind: "IPAMBlock";
  metadata: ObjectMeta;
  spec: IPAMBlockSpec;
  /** Written by the agent on spec.node only. */
  status?: IPAMBlockStatus;
}

/** `IPAMBlock.spec` */
export interface IPAMBlockSpec {
  /**
   * The block, in canonical form (network address, lower-case, shortest IPv6 form), e.g.
   * 198.18.0.64/26 or 2001:db8::40/122. Must lie inside spec.pool's CIDR (checked by the
   * controller). Immutable.
   */
  cidr: string;
  /** Name of the IPPool the block was cut from. Immutable. */
  pool: string;
  /**
   * Name of the Node that owns the block and allocates its addresses. Immutable: a block never
   * moves while the old node may still hold addresses from it; the controller deletes a departed
   * node's block and creates it again for another.
   */
  node: string;
  /**
   * Set by the controller to take the block back (an empty extra block, a departed pool, a node
   * that left the pool's selector). The node's agent stops allocating from a draining block, and
   * the controller deletes the block once the agent reports status.allocated 0 for this generation
   * (status.observedGeneration). A draining block never becomes active again.
   */
  draining?: boolean;
}

/** `IPAMBlock.status`: Written by the agent on spec.node only. */
export interface IPAMBlockStatus {
  /** Addresses of the block allocated to pods on the node. */
  allocated?: number;
  /** Addresses in the block that the node may allocate. */
  capacity?: number;
  /**
   * The metadata.generation the agent acted on when it wrote this status; with spec.draining it
   * acknowledges that the agent no longer allocates from the block.
   */
  observedGeneration?: number;
  /** When the agent last wrote this status. */
  lastUpdate?: string;
}

/** A list of IPAMBlock objects, as the API server returns it. */
export interface IPAMBlockList {
  apiVersion: string;
  kind: string;
  metadata: { resourceVersion?: string; continue?: string };
  items: IPAMBlock[];
}
