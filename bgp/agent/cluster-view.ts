/**
 * What the agent's pure core sees of the cluster (a snapshot of its watch caches). The agent
 * watches every Node and PetrelNode (for mesh peers), its own IPAMBlocks (by label), the pools,
 * BGPConfiguration and BGPPeers.
 */
import type { BGPConfiguration, BGPPeer, IPAMBlock, IPPool, PetrelNode } from "../../common/api/index.ts";

/** The parts of a core/v1 Node the agent uses. */
export interface NodeView {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  /** The Node's InternalIP (IPv4), its BGP address and next hop. */
  readonly address: string | undefined;
}

export interface ClusterView {
  readonly nodes: readonly NodeView[];
  readonly petrelNodes: readonly PetrelNode[];
  readonly pools: readonly IPPool[];
  /** This node's blocks (spec.node == this node). */
  readonly blocks: readonly IPAMBlock[];
  readonly bgpConfiguration: BGPConfiguration | undefined;
  readonly bgpPeers: readonly BGPPeer[];
}

/** Passwords of BGPPeers, resolved from Secrets by the edge: "secretName/key" → value. */
export type PasswordLookup = (secretName: string, key: string) => string | undefined;

export const defaultClusterAsn = 64512;
