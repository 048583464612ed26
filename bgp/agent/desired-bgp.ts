/**
 * The gobgpd configuration one node should have, from the cluster's resources: global AS and
 * router ID, peers (full mesh, route reflectors, external peers), the paths it originates, and
 * the prefixes its import and export policies let through. Pure; the same function serves the
 * agent's reconcile and `petrelctl`.
 */
import type { BGPPeer, PetrelNode } from "../../common/api/index.ts";
import { parseCidr, familyBits, formatCidr } from "../../common/cidr.ts";
import type { PathInput, PeerConfig, PrefixMatch } from "../gobgp/types.ts";
import { defaultClusterAsn, type ClusterView, type NodeView, type PasswordLookup } from "./cluster-view.ts";
import { selectorMatches } from "../../common/label-selector.ts";

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
  /** Paths this node originates: its blocks, and the configured service CIDRs. */
  readonly paths: PathInput[];
  /** Prefixes accepted from peers and installed in the kernel: inside a pool or a service CIDR. */
  readonly allowedPrefixes: PrefixMatch[];
  /**
   * Prefixes announced to peers: the node's own paths only, so that a top-of-rack router reaches
   * each block through its owner, not through a node that re-announces it. A route reflector
   * announces every allowed prefix (reflecting is its job).
   */
  readonly exportPrefixes: PrefixMatch[];
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
 * Prefix matches for the routes a node accepts and announces: inside a pool, from the pool's
 * block size down to a host route (a pool's aggregate or anything shorter than a block is
 * refused: no peer can draw traffic for a whole pool), and inside a service CIDR from its own
 * length down.
 */
export function allowedPrefixes(view: ClusterView): PrefixMatch[] {
  const out: PrefixMatch[] = [];
  const add = (text: string, minLength: (c: ReturnType<typeof parseCidr>) => number) => {
    try {
      const c = parseCidr(text);
      out.push({ prefix: formatCidr(c), maskLengthMin: Math.max(c.prefixLength, minLength(c)), maskLengthMax: familyBits(c.family) });
    } catch {
      // An invalid pool is reported by the controller; it simply allows nothing here.
    }
  };
  for (const p of view.pools) add(p.spec.cidr, (c) => p.spec.blockSize ?? (c.family === 4 ? 26 : 122));
  for (const s of view.bgpConfiguration?.spec?.serviceCIDRs ?? []) add(s, (c) => c.prefixLength);
  return out;
}

export function desiredBgp(view: ClusterView, me: string, passwords: PasswordLookup): DesiredBgp {
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
  const gr = spec.gracefulRestart?.enabled ?? true ? { enabled: true, restartTime: spec.gracefulRestart?.restartTimeSeconds ?? 120 } : { enabled: false };
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
          if (p !== undefined) addPeer(p);
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
  if (address !== undefined) {
    const addressFamily = address.includes(":") ? 6 : 4;
    // Canonical prefixes: gobgpd reports its paths that way, and the comparison must match.
    const add = (text: string, extra: readonly string[], what: string) => {
      let c;
      try {
        c = parseCidr(text);
      } catch {
        return;
      }
      if (c.family !== addressFamily) {
        problems.push(`${what} ${text} is IPv${c.family} but the node's address ${address} is IPv${addressFamily}: it is not advertised (dual-stack needs a node address of each family)`);
        return;
      }
      paths.push({ prefix: formatCidr(c), nextHop: address, communities: [...communities, ...extra], largeCommunities });
    };
    for (const b of [...view.blocks].sort((x, y) => (x.spec.cidr < y.spec.cidr ? -1 : 1))) {
      if (b.spec.node !== me) continue;
      // disableBGPExport: well-known NO_EXPORT keeps the block inside the AS (mesh, reflectors)
      // and off eBGP sessions such as the top-of-rack router.
      const noExport = poolsByName.get(b.spec.pool)?.spec.disableBGPExport === true;
      add(b.spec.cidr, noExport ? ["no-export"] : [], "block");
    }
    for (const s of spec.serviceCIDRs ?? []) add(s, [], "service CIDR");
  }
  return {
    asn,
    routerId,
    listenPort: spec.listenPort ?? 179,
    nodeAddress: address ?? "",
    peers: [...peers.values()].sort((a, b) => (a.address < b.address ? -1 : 1)),
    paths,
    allowedPrefixes: allowedPrefixes(view),
    exportPrefixes: myCluster !== undefined ? allowedPrefixes(view) : paths.map((p) => {
      const c = parseCidr(p.prefix);
      return { prefix: formatCidr(c), maskLengthMin: c.prefixLength, maskLengthMax: c.prefixLength };
    }),
    problems,
  };
}
