// Generated from crds/*.yaml by `node test/scripts/gen-api-types.ts`; do not edit.
// The IPPool kind (`ippools.petrel.dev`); its group: ./v1alpha1.ts.
// Naming: nested objects are <Parent><Field> (array items: the field's singular, or <Field>Item);
// label selectors and conditions use the shared types of ./object-meta.ts. Rules:
// test/scripts/api-types/generate.ts.
import type { Condition, LabelSelector, ObjectMeta } from "./object-meta.ts";

/**
 * A range of pod addresses, cut into blocks of 2^(bits - blockSize) addresses that nodes own.
 *
 * `ippools.petrel.dev` (short names: ipp), cluster-scoped.
 */
export interface IPPool {
  apiVersion: "petrel.dev/v1alpha1";
  kind: "IPPool";
  metadata: ObjectMeta;
  spec: IPPoolSpec;
  /** Written by the controller only. */
  status?: IPPoolStatus;
}

/** `IPPool.spec` */
export interface IPPoolSpec {
  /**
   * The pool's range as a network address and prefix length, e.g. 198.18.0.0/16 or 2001:db8:1::/48.
   * Immutable: to renumber, create a new pool and disable this one.
   */
  cidr: string;
  /**
   * Prefix length of the blocks the pool is cut into: 20-32 for IPv4 (default 26, 64 addresses),
   * 116-128 for IPv6 (default 122). Must be at least the prefix length of spec.cidr. Unset means
   * the family default. Immutable.
   */
  blockSize?: number;
  /**
   * Which Nodes get blocks from this pool, by their labels. Unset selects every node; an empty
   * selector ({}) also selects every node.
   */
  nodeSelector?: LabelSelector;
  /** Masquerade traffic from this pool's pods to destinations outside every pool. */
  natOutgoing?: boolean;
  /** No new blocks are cut from a disabled pool; existing blocks and their addresses stay. */
  disabled?: boolean;
  /** Do not advertise this pool's blocks to BGP peers outside the cluster. */
  disableBGPExport?: boolean;
}

/** `IPPool.status`: Written by the controller only. */
export interface IPPoolStatus {
  observedGeneration?: number;
  /** The effective block size (spec.blockSize or the family default). */
  blockSize?: number;
  /** Number of IPAMBlocks cut from this pool. */
  blocks?: number;
  /**
   * Blocks that can still be cut from the pool, as a decimal string (an IPv6 pool can hold more
   * than 2^63 blocks).
   */
  freeBlocks?: string;
  /** Addresses in the blocks cut so far (blocks x block capacity). */
  blockAddresses?: number;
  /** Addresses allocated to pods, summed over the pool's IPAMBlock statuses. */
  usedAddresses?: number;
  /**
   * Conditions such as Overlapping (the pool overlaps another pool) and Exhausted (no free blocks).
   */
  conditions?: Condition[];
}

/** A list of IPPool objects, as the API server returns it. */
export interface IPPoolList {
  apiVersion: string;
  kind: string;
  metadata: { resourceVersion?: string; continue?: string };
  items: IPPool[];
}
