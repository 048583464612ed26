// Generated from crds/*.yaml by `node test/scripts/gen-api-types.ts`; do not edit.
// common/api/v1alpha1.test.ts fails when this file and the CRDs disagree. Naming: nested objects
// are <Parent><Field> (array items: the field's singular, or <Field>Item); label selectors and
// conditions use the shared types of ./object-meta.ts. Rules: test/scripts/api-types/generate.ts.
import type { Condition, LabelSelector, ObjectMeta } from "./object-meta.ts";

export const GROUP = "petrel.dev";
export const VERSION = "v1alpha1";
export const API_VERSION = "petrel.dev/v1alpha1";

/** Resource names (`kubectl get <plural>`, the path segment of the REST API) by kind. */
export const PLURALS = {
  BGPConfiguration: "bgpconfigurations",
  BGPPeer: "bgppeers",
  IPAMBlock: "ipamblocks",
  IPPool: "ippools",
  PetrelNode: "petrelnodes",
} as const;

/**
 * Cluster-wide BGP settings. A singleton; its name must be "default".
 *
 * `bgpconfigurations.petrel.dev` (short names: bgpc), cluster-scoped.
 */
export interface BGPConfiguration {
  apiVersion: "petrel.dev/v1alpha1";
  kind: "BGPConfiguration";
  metadata: ObjectMeta;
  spec?: BGPConfigurationSpec;
  /** Written by the controller. */
  status?: BGPConfigurationStatus;
}

/** `BGPConfiguration.spec` */
export interface BGPConfigurationSpec {
  /** The cluster's AS number, used by every node without its own PetrelNode spec.asNumber. */
  asNumber?: number;
  /**
   * Peer every Petrel node with every other (full iBGP mesh). Turn off when route reflectors are
   * configured.
   */
  nodeToNodeMesh?: boolean;
  /** TCP port gobgpd listens on for BGP. */
  listenPort?: number;
  timers?: BGPConfigurationSpecTimers;
  gracefulRestart?: BGPConfigurationSpecGracefulRestart;
  /**
   * Service address ranges (cluster IPs, external or load-balancer IPs) that every node advertises,
   * and accepts from the other nodes, exactly as written. Never a default route; admission
   * (crds/admission/cidr-bounds.yaml) also refuses one that overlaps an IPPool or contains a Node's
   * address, and the agents ignore such a CIDR if it is stored anyway.
   */
  serviceCIDRs?: string[];
  /**
   * BGP communities attached to every route Petrel advertises: standard ("65000:100", two 16-bit
   * numbers) or large ("65000:1:2", three 32-bit numbers).
   */
  communities?: string[];
}

/** `BGPConfiguration.spec.timers` */
export interface BGPConfigurationSpecTimers {
  /** BGP hold time; 0 disables keepalives, otherwise at least 3 (RFC 4271). */
  holdTimeSeconds?: number;
  /** Interval between keepalives; must be below the hold time (usually a third of it). */
  keepaliveIntervalSeconds?: number;
  /** Wait before retrying a failed connection; unset means gobgpd's default. */
  connectRetrySeconds?: number;
}

/** `BGPConfiguration.spec.gracefulRestart` */
export interface BGPConfigurationSpecGracefulRestart {
  /** Keep forwarding on routes learned from a restarting peer (RFC 4724) while it comes back. */
  enabled?: boolean;
  /** Restart time announced to peers. */
  restartTimeSeconds?: number;
}

/** `BGPConfiguration.status`: Written by the controller. */
export interface BGPConfigurationStatus {
  observedGeneration?: number;
  /** Conditions reported about the configuration. */
  conditions?: Condition[];
}

/** A list of BGPConfiguration objects, as the API server returns it. */
export interface BGPConfigurationList {
  apiVersion: string;
  kind: string;
  metadata: { resourceVersion?: string; continue?: string };
  items: BGPConfiguration[];
}

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
