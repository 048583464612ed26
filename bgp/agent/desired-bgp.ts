/**
 * The gobgpd configuration one node should have, from the cluster's resources: global AS and
 * router ID, peers (full mesh, route reflectors, external peers), the paths it originates, and
 * the peers it learns block routes from. The import and export policies that enforce route trust
 * are import-policy.ts's. Pure; the same function serves the agent and `petrelctl`.
 */
import type { BGPPeer, PetrelNode } from "../../common/api/index.ts";
import { formatCidr, tryParseCidr } from "../../common/cidr.ts";
import { selectorMatches } from "../../common/label-selector.ts";
import type { PathInput, PeerConfig } from "../gobgp/types.ts";
import type { RouteBounds } from "./cidr-bounds.ts";
import { defaultClusterAsn, type ClusterView, type NodeView, type PasswordLookup } from "./cluster-view.ts";
import { blockProblem } from "./route-trust.ts";

export type PeerKind = "NodeMesh" | "NodePeer" | "GlobalPeer";

export interface DesiredPeer extends PeerConfig {
  readonly kind: PeerKind;
  /** The BGPPeer or Node this peer comes from, for logs and status. */
  readonly source: string;
}

export interface DesiredBgp {
  readonly asn: number;
  readonly routerId: string;
  readonly listenPort: number;
  readonly nodeAddress: string;
  readonly peers: DesiredPeer[];
  /** Paths this node originates: its valid blocks, and the accepted service CIDRs. */
  readonly paths: PathInput[];
  /** This node's valid blocks (canonical CIDRs): advertised, and a blackhole route each. */
  readonly ownBlocks: string[];
  /** Peers that may be the next hop of other nodes' blocks (BGPPeer spec.learnFrom). */
  readonly learnFrom: string[];
  /**
   * A route reflector (PetrelNode spec.routeReflectorClusterID) passes on what it accepted; any
   * other node announces only its own paths, so that a top-of-rack router reaches each block
   * through its owner, not through a node that re-announces it.
   */
  readonly reflector: boolean;
  /** Problems an operator must fix (the node is then not Ready). */
  readonly problems: string[];
}

/** The AS of a Petrel node: its PetrelNode's, else the cluster's. */
export function nodeAsn(view: ClusterView, node: string): number {
  const pn = view.petrelNodes.find((p) => p.metadata.name === node);
  return pn?.spec?.asNumber ?? view.bgpConfiguration?.spec?.asNumber ?? defaultClusterAsn;
}

function petrelNode(view: ClusterView, name: string): PetrelNode | undefined {
  return view.petrelNodes.find((p) => p.metadata.name === name);
}

/** Whether BGPPeer `peer` applies to node `me` (spec.node, spec.nodeSelector, or every node). */
export function peerApplies(peer: BGPPeer, me: NodeView): boolean {
  if (peer.spec.node !== undefined) return peer.spec.node === me.name;
  return selectorMatches(peer.spec.nodeSelector, me.labels);
}

/**
 * `view.nodes` carry their effective addresses (node-addresses.ts); `bounds` says which pools and
 * service CIDRs are accepted (cidr-bounds.ts).
 */
export function desiredBgp(view: ClusterView, me: string, passwords: PasswordLookup, bounds: RouteBounds): DesiredBgp {
  const problems: string[] = [];
  const self = view.nodes.find((n) => n.name === me);
  const address = self?.address;
  if (self === undefined) problems.push(`Node ${me} does not exist: check --node-name`);
  else if (address === undefined) problems.push(`Node ${me} has no InternalIP address in status.addresses: the agent needs it as BGP address and next hop`);
  const spec = view.bgpConfiguration?.spec ?? {};
  const asn = nodeAsn(view, me);
  const mine = petrelNode(view, me);
  const routerId = mine?.spec?.routerID ?? address ?? "0.0.0.0";
  const myCluster = mine?.spec?.routeReflectorClusterID;
  const timers = {
    holdTime: spec.timers?.holdTimeSeconds ?? 90,
    keepaliveInterval: spec.timers?.keepaliveIntervalSeconds ?? 30,
    ...(spec.timers?.connectRetrySeconds === undefined ? {} : { connectRetry: spec.timers.connectRetrySeconds }),
  };
  // With graceful restart on, peers keep a restarting node's routes (stale) until it is back, and
  // RFC 8538 extends that to a gobgpd that stops with a Cease NOTIFICATION (it does on SIGTERM).
  const gr = spec.gracefulRestart?.enabled ?? true
    ? { enabled: true, restartTime: spec.gracefulRestart?.restartTimeSeconds ?? 120, notificationEnabled: true }
    : { enabled: false };
  const learnFrom = new Set<string>();
  const peers = new Map<string, DesiredPeer>();
  const addPeer = (p: DesiredPeer) => {
    if (p.address === address || peers.has(p.address)) return; // never ourselves; the first source wins
    peers.set(p.address, p);
  };
  const nodePeer = (n: NodeView, kind: PeerKind, source: string): DesiredPeer | undefined => {
    if (n.name === me || n.address === undefined) return undefined;
    // A route reflector treats Petrel nodes outside its cluster ID as its clients.
    const theirCluster = petrelNode(view, n.name)?.spec?.routeReflectorClusterID;
    const rrClient = myCluster !== undefined && theirCluster !== myCluster;
    return {
      kind,
      source,
      address: n.address,
      asn: nodeAsn(view, n.name),
      description: `${kind} ${n.name}`,
      timers,
      gracefulRestart: gr,
      ...(rrClient ? { routeReflector: { client: true, clusterId: myCluster } } : {}),
    };
  };
  if (self !== undefined) {
    // External and selected peers first: a BGPPeer's settings (e.g. password) win over the mesh.
    for (const bp of [...view.bgpPeers].sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : 1))) {
      if (!peerApplies(bp, self)) continue;
      const kind: PeerKind = bp.spec.node !== undefined || bp.spec.nodeSelector !== undefined ? "NodePeer" : "GlobalPeer";
      const source = `BGPPeer ${bp.metadata.name}`;
      if (bp.spec.peerIP !== undefined && bp.spec.asNumber !== undefined) {
        let password: string | undefined;
        const ref = bp.spec.password?.secretKeyRef;
        if (ref !== undefined) {
          password = passwords(ref.name, ref.key);
          if (password === undefined) {
            problems.push(`${source}: Secret ${ref.name} has no key ${ref.key} (or cannot be read); the session is not configured until it does`);
            continue;
          }
        }
        if (bp.spec.learnFrom === true && bp.spec.peerIP !== address) learnFrom.add(bp.spec.peerIP);
        addPeer({
          kind,
          source,
          address: bp.spec.peerIP,
          asn: bp.spec.asNumber,
          description: source,
          timers,
          gracefulRestart: gr,
          ...(password === undefined ? {} : { password }),
          ...(bp.spec.multihop?.ttl === undefined ? {} : { ebgpMultihopTtl: bp.spec.multihop.ttl }),
        });
      } else if (bp.spec.peerSelector !== undefined) {
        const petrelNames = new Set(view.petrelNodes.map((p) => p.metadata.name));
        for (const n of view.nodes) {
          // Only Petrel nodes (with a PetrelNode) run a BGP speaker to peer with.
          if (!petrelNames.has(n.name) || !selectorMatches(bp.spec.peerSelector, n.labels)) continue;
          const p = nodePeer(n, kind, source);
          if (p === undefined) continue;
          addPeer(p);
          if (bp.spec.learnFrom === true) learnFrom.add(p.address);
        }
      }
    }
    if (spec.nodeToNodeMesh ?? true) {
      const petrelNames = new Set(view.petrelNodes.map((p) => p.metadata.name));
      for (const n of view.nodes) {
        if (!petrelNames.has(n.name)) continue;
        const p = nodePeer(n, "NodeMesh", `Node ${n.name}`);
        if (p !== undefined) addPeer(p);
      }
    }
  }
  const poolsByName = new Map(view.pools.map((p) => [p.metadata.name, p]));
  const communities = (spec.communities ?? []).filter((c) => c.split(":").length === 2);
  const largeCommunities = (spec.communities ?? []).filter((c) => c.split(":").length === 3);
  const paths: PathInput[] = [];
  const ownBlocks: string[] = [];
  if (address !== undefined) {
    const addressFamily = address.includes(":") ? 6 : 4;
    // Canonical prefixes: gobgpd reports its paths that way, and the comparison must match.
    const add = (text: string, extra: readonly string[], what: string): boolean => {
      const c = tryParseCidr(text);
      if (c === undefined) return false;
      if (c.family !== addressFamily) {
        problems.push(`${what} ${text} is IPv${c.family} but the node's address ${address} is IPv${addressFamily}: it is not advertised (dual-stack needs a node address of each family)`);
        return false;
      }
      paths.push({ prefix: formatCidr(c), nextHop: address, communities: [...communities, ...extra], largeCommunities });
      return true;
    };
    for (const b of [...view.blocks].sort((x, y) => (x.spec.cidr < y.spec.cidr ? -1 : 1))) {
      if (b.spec.node !== me) continue;
      const cidr = tryParseCidr(b.spec.cidr);
      const problem = cidr === undefined ? "its spec.cidr is not a CIDR" : blockProblem({ node: me, pool: b.spec.pool, cidr }, bounds);
      if (problem !== undefined) {
        problems.push(`IPAMBlock ${b.metadata.name}: ${problem}; it is not advertised`);
        continue;
      }
      // disableBGPExport: well-known NO_EXPORT keeps the block inside the AS (mesh, reflectors)
      // and off eBGP sessions such as the top-of-rack router.
      const noExport = poolsByName.get(b.spec.pool)?.spec.disableBGPExport === true;
      if (add(b.spec.cidr, noExport ? ["no-export"] : [], "block") && cidr !== undefined) ownBlocks.push(formatCidr(cidr));
    }
    for (const s of bounds.serviceCidrs) add(s, [], "service CIDR");
  }
  return {
    asn,
    routerId,
    listenPort: spec.listenPort ?? 179,
    nodeAddress: address ?? "",
    peers: [...peers.values()].sort((a, b) => (a.address < b.address ? -1 : 1)),
    paths,
    ownBlocks,
    learnFrom: [...learnFrom].sort(),
    reflector: myCluster !== undefined,
    problems,
  };
}
