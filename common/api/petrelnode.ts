// Generated from crds/*.yaml by `node test/scripts/gen-api-types.ts`; do not edit.
// The PetrelNode kind (`petrelnodes.petrel.dev`); its group: ./v1alpha1.ts.
// Naming: nested objects are <Parent><Field> (array items: the field's singular, or <Field>Item);
// label selectors and conditions use the shared types of ./object-meta.ts. Rules:
// test/scripts/api-types/generate.ts.
import type { Condition, ObjectMeta } from "./object-meta.ts";

/**
 * Petrel's per-node BGP settings and state; one per Kubernetes Node, with the Node's name.
 *
 * `petrelnodes.petrel.dev` (short names: pn), cluster-scoped.
 */
export interface PetrelNode {
  apiVersion: "petrel.dev/v1alpha1";
  kind: "PetrelNode";
  metadata: ObjectMeta;
  spec?: PetrelNodeSpec;
  /** Written by the node's agent only. */
  status?: PetrelNodeStatus;
}

/** `PetrelNode.spec` */
export interface PetrelNodeSpec {
  /** The node's AS number; unset means the cluster AS number of BGPConfiguration "default". */
  asNumber?: number;
  /** BGP router ID in dotted-quad form; unset means the node's IPv4 address. */
  routerID?: string;
  /**
   * Set to make this node a route reflector with this cluster ID (dotted-quad form); BGPPeer
   * objects with peerSelector decide who peers with it.
   */
  routeReflectorClusterID?: string;
}

/** `PetrelNode.status`: Written by the node's agent only. */
export interface PetrelNodeStatus {
  bgpSessions?: PetrelNodeStatusBgpSession[];
  /** CIDRs of the blocks this node advertises over BGP. */
  advertisedBlocks?: string[];
  /** Address usage over the node's blocks. */
  ipam?: PetrelNodeStatusIpam;
  /** Conditions such as Ready (agent and gobgpd up, routes programmed). */
  conditions?: Condition[];
  /** Refreshed by the agent periodically; a stale heartbeat means the agent is gone. */
  lastHeartbeatTime?: string;
  /** The node's Petrel kernel routes and the route announcements it refused. */
  routes?: PetrelNodeStatusRoutes;
  /** The refused announcements still in force (the most recent first, at most 32). */
  refusedRoutes?: PetrelNodeStatusRefusedRoutesItem[];
}

/** `PetrelNode.status.bgpSessions[*]` */
export interface PetrelNodeStatusBgpSession {
  /** The peer's address. */
  peerIP: string;
  /** The peer's AS number. */
  asNumber?: number;
  /**
   * NodeMesh: another Petrel node in the full mesh; NodePeer: from a BGPPeer that selects this
   * node; GlobalPeer: from a BGPPeer that applies to every node.
   */
  type: "NodeMesh" | "NodePeer" | "GlobalPeer";
  /** The BGP finite-state-machine state. */
  state: "Idle" | "Connect" | "Active" | "OpenSent" | "OpenConfirm" | "Established";
  /** When the session entered its current state. */
  since?: string;
  prefixesReceived?: number;
  prefixesAdvertised?: number;
}

/** `PetrelNode.status.ipam`: Address usage over the node's blocks. */
export interface PetrelNodeStatusIpam {
  blocks?: number;
  /** Addresses allocated to pods on this node. */
  allocated?: number;
  /** Addresses in the node's blocks. */
  capacity?: number;
}

/**
 * `PetrelNode.status.routes`: The node's Petrel kernel routes and the route announcements it
 * refused.
 */
export interface PetrelNodeStatusRoutes {
  /** Routes to other nodes' blocks (and service CIDRs) in the kernel. */
  installed?: number;
  /** Blackhole routes of the node's own blocks. */
  blackholes?: number;
  /** Route announcements refused since the agent started. */
  refused?: number;
  /** The refused announcements by reason (docs/agent.md, route trust). */
  refusedByReason?: Record<string, number>;
}

/** `PetrelNode.status.refusedRoutes[*]` */
export interface PetrelNodeStatusRefusedRoutesItem {
  /** The peer that announced it. */
  peerIP?: string;
  prefix: string;
  nextHop?: string;
  reason: "default_route" | "own_block" | "wrong_next_hop" | "owner_unknown" | "invalid_block" | "unknown_block" | "longer_than_block" | "pool_aggregate" | "foreign_prefix" | "kernel_route_exists";
  message?: string;
  firstSeen?: string;
  lastSeen?: string;
  /** Times it was announced while refused. */
  count?: number;
}

/** A list of PetrelNode objects, as the API server returns it. */
export interface PetrelNodeList {
  apiVersion: string;
  kind: string;
  metadata: { resourceVersion?: string; continue?: string };
  items: PetrelNode[];
}
