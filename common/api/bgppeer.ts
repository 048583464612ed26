// Generated from crds/*.yaml by `node test/scripts/gen-api-types.ts`; do not edit.
// The BGPPeer kind (`bgppeers.petrel.dev`); its group: ./v1alpha1.ts.
// Naming: nested objects are <Parent><Field> (array items: the field's singular, or <Field>Item);
// label selectors and conditions use the shared types of ./object-meta.ts. Rules:
// test/scripts/api-types/generate.ts.
import type { Condition, LabelSelector, ObjectMeta } from "./object-meta.ts";

/**
 * A BGP peer of some or all Petrel nodes.
 *
 * `bgppeers.petrel.dev` (short names: bgpp), cluster-scoped.
 */
export interface BGPPeer {
  apiVersion: "petrel.dev/v1alpha1";
  kind: "BGPPeer";
  metadata: ObjectMeta;
  spec: BGPPeerSpec;
  /** Written by the controller. */
  status?: BGPPeerStatus;
}

/** `BGPPeer.spec` */
export interface BGPPeerSpec {
  /** The peer's address (IPv4 or IPv6). */
  peerIP?: string;
  /** The peer's AS number (with spec.peerIP). */
  asNumber?: number;
  /** The name of the one node that peers. */
  node?: string;
  /** The nodes that peer, by their Node labels. */
  nodeSelector?: LabelSelector;
  /**
   * Accept this peer as the next hop of other nodes' block routes: a top-of-rack router or a route
   * reflector outside the cluster that announces the blocks with itself as next hop. Unset or
   * false: a block's route from this peer is installed only when its next hop is the block's own
   * node, and anything else it announces is refused (docs/agent.md, route trust).
   */
  learnFrom?: boolean;
  /**
   * Peer with the Petrel nodes whose Node labels match (for route reflectors), at their node
   * addresses and with their own AS numbers.
   */
  peerSelector?: LabelSelector;
  /** TCP MD5 password for the session, from a Secret in the namespace Petrel runs in. */
  password?: BGPPeerSpecPassword;
  /**
   * eBGP multihop: present when the peer is more than one hop away; ttl is the IP TTL of the
   * session's packets. Absent means a directly connected peer (TTL 1).
   */
  multihop?: BGPPeerSpecMultihop;
}

/**
 * `BGPPeer.spec.password`: TCP MD5 password for the session, from a Secret in the namespace Petrel
 * runs in.
 */
export interface BGPPeerSpecPassword {
  secretKeyRef: BGPPeerSpecPasswordSecretKeyRef;
}

/** `BGPPeer.spec.password.secretKeyRef` */
export interface BGPPeerSpecPasswordSecretKeyRef {
  name: string;
  key: string;
}

/**
 * `BGPPeer.spec.multihop`: eBGP multihop: present when the peer is more than one hop away; ttl is
 * the IP TTL of the session's packets. Absent means a directly connected peer (TTL 1).
 */
export interface BGPPeerSpecMultihop {
  ttl: number;
}

/** `BGPPeer.status`: Written by the controller. */
export interface BGPPeerStatus {
  observedGeneration?: number;
  /** Conditions reported about the peer (e.g. a missing password Secret). */
  conditions?: Condition[];
}

/** A list of BGPPeer objects, as the API server returns it. */
export interface BGPPeerList {
  apiVersion: string;
  kind: string;
  metadata: { resourceVersion?: string; continue?: string };
  items: BGPPeer[];
}
