/**
 * The agent's watch caches (common/host/resource-watch.ts on KubeRest): all Nodes and PetrelNodes
 * (mesh peers and their settings), the pools, BGPConfiguration, BGPPeers, this node's IPAMBlocks
 * in full (by the petrel.dev/node label the controller sets), and every IPAMBlock's metadata only
 * (its name is its CIDR, a label its node: what route trust needs of the other nodes' blocks).
 * Each cache keeps only what the agent reads (a Node's name, labels and InternalIP; another
 * node's PetrelNode without its status), and each change is reported with what changed, so the
 * agent re-checks only that.
 */
import type { BGPConfiguration, BGPPeer, IPAMBlock, IPPool, PetrelNode } from "../../../common/api/index.ts";
import { GROUP, PLURALS, VERSION } from "../../../common/api/index.ts";
import { blockNodeLabel } from "../../../common/block-name.ts";
import type { KubeRest } from "../../../common/host/kube-rest.ts";
import { ResourceWatch, type KubeObject } from "../../../common/host/resource-watch.ts";
import type { Logger } from "../../../common/logger.ts";
import { WatchGroup } from "../../../common/watch-group.ts";
import type { ClusterView, NodeView } from "../cluster-view.ts";

/** What changed: the agent re-checks accordingly (blocks: only the block named). */
export type ClusterChange = "nodes" | "petrelnodes" | "pools" | "bgpconfiguration" | "bgppeers" | "own-blocks";

export interface BlockEvent {
  readonly type: "upsert" | "delete";
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
}

export interface ClusterWatchHandlers {
  onChange(change: ClusterChange): void;
  onBlock(event: BlockEvent): void;
}

function nodeView(o: KubeObject): NodeView {
  const addresses = ((o["status"] as { addresses?: { type: string; address: string }[] } | undefined)?.addresses ?? []);
  return {
    name: o.metadata?.name ?? "",
    labels: o.metadata?.labels ?? {},
    address: addresses.find((a) => a.type === "InternalIP" && !a.address.includes(":"))?.address,
  };
}

export class AgentClusterWatch {
  readonly #nodes: ResourceWatch<NodeView>;
  readonly #petrelNodes: ResourceWatch<PetrelNode>;
  readonly #pools: ResourceWatch<IPPool>;
  readonly #ownBlocks: ResourceWatch<IPAMBlock>;
  readonly #config: ResourceWatch<BGPConfiguration>;
  readonly #peers: ResourceWatch<BGPPeer>;
  readonly #allBlocks: ResourceWatch<{ name: string; labels: Record<string, string> }>;
  readonly #group: WatchGroup;
  readonly #nodeName: string;

  constructor(rest: KubeRest, nodeName: string, log: Logger, handlers: ClusterWatchHandlers) {
    this.#nodeName = nodeName;
    const custom = (plural: string) => `/apis/${GROUP}/${VERSION}/${plural}`;
    // Only what the agent uses triggers work: with N nodes, every agent's status heartbeat would
    // otherwise make N-1 other agents run a pass (measured: ~800 passes per new block at 20).
    this.#nodes = new ResourceWatch<NodeView>({
      rest, log, path: "/api/v1/nodes", transform: nodeView,
      fingerprint: (n) => JSON.stringify([n.labels, n.address ?? ""]),
      onChange: () => handlers.onChange("nodes"),
    });
    // Spec changes bump metadata.generation; status writes (the agents' own) do not. Only this
    // node's PetrelNode keeps its status (the agent starts its own status from it).
    this.#petrelNodes = new ResourceWatch<PetrelNode>({
      rest, log, path: custom(PLURALS.PetrelNode),
      transform: (o) => {
        const pn = o as unknown as PetrelNode;
        return pn.metadata.name === nodeName ? pn : { apiVersion: pn.apiVersion, kind: pn.kind, metadata: { name: pn.metadata.name, generation: pn.metadata.generation }, ...(pn.spec === undefined ? {} : { spec: pn.spec }) };
      },
      fingerprint: (p) => String(p.metadata.generation ?? JSON.stringify(p.spec ?? {})),
      onChange: () => handlers.onChange("petrelnodes"),
    });
    this.#pools = new ResourceWatch<IPPool>({ rest, log, path: custom(PLURALS.IPPool), transform: (o) => o as unknown as IPPool, fingerprint: (p) => JSON.stringify(p.spec), onChange: () => handlers.onChange("pools") });
    this.#ownBlocks = new ResourceWatch<IPAMBlock>({
      rest, log, path: custom(PLURALS.IPAMBlock), labelSelector: `${blockNodeLabel}=${nodeName}`,
      transform: (o) => o as unknown as IPAMBlock,
      // The status writes are the agent's own; it reads a block's spec (and generation for the drain).
      fingerprint: (b) => JSON.stringify([b.metadata.generation, b.spec]),
      onChange: () => handlers.onChange("own-blocks"),
    });
    this.#config = new ResourceWatch<BGPConfiguration>({ rest, log, path: custom(PLURALS.BGPConfiguration), transform: (o) => o as unknown as BGPConfiguration, fingerprint: (c) => JSON.stringify(c.spec ?? {}), onChange: () => handlers.onChange("bgpconfiguration") });
    this.#peers = new ResourceWatch<BGPPeer>({ rest, log, path: custom(PLURALS.BGPPeer), transform: (o) => o as unknown as BGPPeer, fingerprint: (p) => JSON.stringify(p.spec), onChange: () => handlers.onChange("bgppeers") });
    this.#allBlocks = new ResourceWatch<{ name: string; labels: Record<string, string> }>({
      rest, log, path: custom(PLURALS.IPAMBlock), metadataOnly: true,
      transform: (o) => ({ name: o.metadata?.name ?? "", labels: o.metadata?.labels ?? {} }),
      // Status writes (every agent's allocation counts) change the version, not the owner.
      fingerprint: (b) => JSON.stringify(b.labels),
      onEvent: (type, b) => handlers.onBlock({ type: type === "delete" ? "delete" : "upsert", name: b.name, labels: b.labels }),
    });
    this.#group = new WatchGroup([
      { name: "Nodes", cache: this.#nodes }, { name: "PetrelNodes", cache: this.#petrelNodes }, { name: "IPPools", cache: this.#pools },
      { name: "own IPAMBlocks", cache: this.#ownBlocks }, { name: "BGPConfigurations", cache: this.#config }, { name: "BGPPeers", cache: this.#peers },
      { name: "IPAMBlocks (metadata)", cache: this.#allBlocks },
    ]);
  }

  start(): Promise<void> {
    return this.#group.start();
  }

  /** Every cache has stopped on return (ResourceWatch stops synchronously). */
  stop(): void {
    void this.#group.stop();
  }

  synced(): boolean {
    return this.#group.synced();
  }

  /** Which caches have not listed yet (for readiness messages). */
  unsynced(): string[] {
    return this.#group.unsynced();
  }

  get restarts(): number {
    return this.#group.restarts;
  }

  snapshot(): ClusterView {
    return {
      nodes: this.#nodes.list(),
      petrelNodes: this.#petrelNodes.list(),
      pools: this.#pools.list(),
      blocks: this.#ownBlocks.list().filter((b) => b.spec.node === this.#nodeName),
      bgpConfiguration: this.#config.list().find((c) => c.metadata.name === "default"),
      bgpPeers: this.#peers.list(),
    };
  }
}
