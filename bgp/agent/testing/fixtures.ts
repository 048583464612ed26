/**
 * Builders of the cluster objects the agent's pure core reads, for its unit tests. Addresses
 * follow DESIGN.md: nodes in 192.0.2.0/24, pools inside 198.18.0.0/15, IPv6 in 2001:db8::/32.
 */
import type {
  BGPConfiguration, BGPConfigurationSpec, BGPPeer, BGPPeerSpec, IPAMBlock, IPAMBlockStatus, IPPool, IPPoolSpec,
  PetrelNode, PetrelNodeSpec, PetrelNodeStatus,
} from "../../../common/api/index.ts";
import { blockNameOf } from "../../../common/block-name.ts";
import { parseCidr } from "../../../common/cidr.ts";
import type { PeerStatus, SessionState } from "../../gobgp/types.ts";
import { routeBounds } from "../cidr-bounds.ts";
import type { ClusterView, NodeView, PasswordLookup } from "../cluster-view.ts";
import { desiredBgp, type DesiredBgp } from "../desired-bgp.ts";

export function nodeView(name: string, address: string | undefined, labels: Record<string, string> = {}): NodeView {
  return { name, address, labels };
}

export function petrelNode(name: string, spec?: PetrelNodeSpec, status?: PetrelNodeStatus): PetrelNode {
  return {
    apiVersion: "petrel.dev/v1alpha1",
    kind: "PetrelNode",
    metadata: { name },
    ...(spec === undefined ? {} : { spec }),
    ...(status === undefined ? {} : { status }),
  };
}

export function ipPool(name: string, cidr: string, spec: Omit<IPPoolSpec, "cidr"> = {}): IPPool {
  return { apiVersion: "petrel.dev/v1alpha1", kind: "IPPool", metadata: { name }, spec: { cidr, ...spec } };
}

export function ipamBlock(
  cidr: string,
  node: string,
  pool: string,
  options: { generation?: number; draining?: boolean; status?: IPAMBlockStatus } = {},
): IPAMBlock {
  return {
    apiVersion: "petrel.dev/v1alpha1",
    kind: "IPAMBlock",
    metadata: {
      name: blockNameOf(parseCidr(cidr)),
      labels: { "petrel.dev/node": node },
      ...(options.generation === undefined ? {} : { generation: options.generation }),
    },
    spec: { cidr, pool, node, ...(options.draining === undefined ? {} : { draining: options.draining }) },
    ...(options.status === undefined ? {} : { status: options.status }),
  };
}

export function bgpConfiguration(spec: BGPConfigurationSpec = {}): BGPConfiguration {
  return { apiVersion: "petrel.dev/v1alpha1", kind: "BGPConfiguration", metadata: { name: "default" }, spec };
}

export function bgpPeer(name: string, spec: BGPPeerSpec): BGPPeer {
  return { apiVersion: "petrel.dev/v1alpha1", kind: "BGPPeer", metadata: { name }, spec };
}

/** A view with nothing in it unless given. */
export function clusterView(parts: Partial<ClusterView> = {}): ClusterView {
  return {
    nodes: [],
    petrelNodes: [],
    pools: [],
    blocks: [],
    bgpConfiguration: undefined,
    bgpPeers: [],
    ...parts,
  };
}

/** No Secret can be read. */
export const noPasswords: PasswordLookup = () => undefined;

/** Passwords keyed "secretName/key". */
export function passwordsFrom(values: Readonly<Record<string, string>>): PasswordLookup {
  return (name, key) => values[`${name}/${key}`];
}

/**
 * A three-node cluster, every node a Petrel node: node-a 192.0.2.11 (rack r1), node-b 192.0.2.12
 * (rack r1), node-c 192.0.2.13 (rack r2); one IPv4 pool "default" 198.18.0.0/16, node-a owning
 * 198.18.0.0/26 and 198.18.0.64/26.
 */
export function threeNodeCluster(parts: Partial<ClusterView> = {}): ClusterView {
  return clusterView({
    nodes: [
      nodeView("node-a", "192.0.2.11", { rack: "r1" }),
      nodeView("node-b", "192.0.2.12", { rack: "r1" }),
      nodeView("node-c", "192.0.2.13", { rack: "r2" }),
    ],
    petrelNodes: [petrelNode("node-a"), petrelNode("node-b"), petrelNode("node-c")],
    pools: [ipPool("default", "198.18.0.0/16")],
    blocks: [ipamBlock("198.18.0.0/26", "node-a", "default"), ipamBlock("198.18.0.64/26", "node-a", "default")],
    ...parts,
  });
}

const zeroMessages = { total: 0, update: 0, open: 0, keepalive: 0, notification: 0, refresh: 0, discarded: 0 };

/** A gobgpd session as `GobgpClient.listPeers()` reports it. */
export function peerStatus(
  address: string,
  state: SessionState,
  options: { since?: Date; accepted?: number; advertised?: number; asn?: number } = {},
): PeerStatus {
  const accepted = options.accepted ?? 0;
  const advertised = options.advertised ?? 0;
  return {
    address,
    asn: options.asn ?? 64512,
    localAsn: 64512,
    type: "iBGP",
    description: "",
    state,
    adminDown: false,
    since: options.since,
    routerId: undefined,
    negotiatedHoldTime: 0,
    prefixes: { received: accepted, accepted, advertised },
    families: [{ family: "ipv4-unicast", received: accepted, accepted, advertised }],
    messages: { received: zeroMessages, sent: zeroMessages },
  };
}

/** desiredBgp with the bounds the agent would compute from the view (every node's address). */
export function planFor(view: ClusterView, me: string, passwords: PasswordLookup): DesiredBgp {
  const bounds = routeBounds(view.pools, view.bgpConfiguration?.spec?.serviceCIDRs, view.nodes.flatMap((n) => (n.address === undefined ? [] : [[n.name, n.address] as const])));
  return desiredBgp(view, me, passwords, bounds);
}
