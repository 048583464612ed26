/**
 * The agent's watch caches: all Nodes and PetrelNodes (mesh peers and their settings), the
 * pools, BGPConfiguration, BGPPeers, this node's IPAMBlocks in full (by the petrel.dev/node
 * label the controller sets), and every IPAMBlock's metadata only (its name is its CIDR, a label
 * its node: what route trust needs of the other nodes' blocks). Each change is reported with
 * what changed, so the agent re-checks only that. Secrets for peer passwords are read on demand.
 */
import { CoreV1Api, CustomObjectsApi, setHeaderOptions, type KubeConfig, type KubernetesListObject, type KubernetesObject, type V1Node } from "@kubernetes/client-node";
import type { BGPConfiguration, BGPPeer, IPAMBlock, IPPool, PetrelNode } from "../../../common/api/index.ts";
import { GROUP, PLURALS, VERSION } from "../../../common/api/index.ts";
import { blockNodeLabel } from "../../../common/block-name.ts";
import { WatchCache } from "../../../common/host/watch-cache.ts";
import type { Logger } from "../../../common/logger.ts";
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

const metadataListAccept = "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1";

export class AgentClusterWatch {
  readonly #nodes: WatchCache<V1Node>;
  readonly #custom: Map<string, WatchCache<KubernetesObject>>;
  readonly #allBlocks: WatchCache<KubernetesObject>;
  readonly #nodeName: string;

  constructor(kc: KubeConfig, nodeName: string, log: Logger, handlers: ClusterWatchHandlers) {
    this.#nodeName = nodeName;
    const core = kc.makeApiClient(CoreV1Api);
    const custom = kc.makeApiClient(CustomObjectsApi);
    // Only what the agent uses triggers work: with N nodes, every agent's status heartbeat would
    // otherwise make N-1 other agents run a full pass (measured: ~800 passes per new block at 20).
    this.#nodes = new WatchCache<V1Node>({
      kc,
      log,
      onChange: () => handlers.onChange("nodes"),
      path: "/api/v1/nodes",
      list: () => core.listNode(),
      fingerprint: (n) => JSON.stringify([n.metadata?.labels ?? {}, (n.status?.addresses ?? []).filter((a) => a.type === "InternalIP")]),
    });
    // Spec changes bump metadata.generation; status writes (the agents' own) do not.
    const specOnly = (o: KubernetesObject) => String(o.metadata?.generation ?? o.metadata?.resourceVersion ?? "");
    const cache = (plural: string, change: ClusterChange, labelSelector?: string) =>
      new WatchCache<KubernetesObject>({
        kc,
        log,
        onChange: () => handlers.onChange(change),
        ...(plural === PLURALS.PetrelNode || plural === PLURALS.IPAMBlock ? { fingerprint: specOnly } : {}),
        path: `/apis/${GROUP}/${VERSION}/${plural}`,
        ...(labelSelector === undefined ? {} : { labelSelector }),
        list: async () => (await custom.listClusterCustomObject({ group: GROUP, version: VERSION, plural, ...(labelSelector === undefined ? {} : { labelSelector }) })) as KubernetesListObject<KubernetesObject>,
      });
    this.#custom = new Map([
      [PLURALS.PetrelNode, cache(PLURALS.PetrelNode, "petrelnodes")],
      [PLURALS.IPPool, cache(PLURALS.IPPool, "pools")],
      [PLURALS.IPAMBlock, cache(PLURALS.IPAMBlock, "own-blocks", `${blockNodeLabel}=${nodeName}`)],
      [PLURALS.BGPConfiguration, cache(PLURALS.BGPConfiguration, "bgpconfiguration")],
      [PLURALS.BGPPeer, cache(PLURALS.BGPPeer, "bgppeers")],
    ]);
    const blockEvent = (type: "add" | "update" | "delete", o: KubernetesObject) =>
      handlers.onBlock({ type: type === "delete" ? "delete" : "upsert", name: o.metadata?.name ?? "", labels: o.metadata?.labels ?? {} });
    this.#allBlocks = new WatchCache<KubernetesObject>({
      kc,
      log,
      metadataOnly: true,
      onChange: () => {},
      onEvent: blockEvent,
      // Status writes (every agent's allocation counts) change the version, not the owner.
      fingerprint: (o) => JSON.stringify(o.metadata?.labels ?? {}),
      path: `/apis/${GROUP}/${VERSION}/${PLURALS.IPAMBlock}`,
      list: async () => (await custom.listClusterCustomObject({ group: GROUP, version: VERSION, plural: PLURALS.IPAMBlock }, setHeaderOptions("Accept", metadataListAccept))) as KubernetesListObject<KubernetesObject>,
    });
  }

  get #all(): WatchCache<KubernetesObject>[] {
    return [this.#nodes as unknown as WatchCache<KubernetesObject>, ...this.#custom.values(), this.#allBlocks];
  }

  async start(): Promise<void> {
    await Promise.all(this.#all.map((c) => c.start()));
  }

  async stop(): Promise<void> {
    await Promise.all(this.#all.map((c) => c.stop()));
  }

  synced(): boolean {
    return this.#all.every((c) => c.synced);
  }

  /** Which caches have not listed yet (for readiness messages). */
  unsynced(): string[] {
    const names = ["Nodes", "PetrelNodes", "IPPools", "own IPAMBlocks", "BGPConfigurations", "BGPPeers", "IPAMBlocks (metadata)"];
    return this.#all.flatMap((c, i) => (c.synced ? [] : [names[i] ?? "?"]));
  }

  get restarts(): number {
    return this.#all.reduce((n, c) => n + c.restarts, 0);
  }

  #list<T>(plural: string): T[] {
    return (this.#custom.get(plural)?.list() ?? []) as unknown as T[];
  }

  snapshot(): ClusterView {
    const nodes: NodeView[] = this.#nodes.list().map((n) => ({
      name: n.metadata?.name ?? "",
      labels: n.metadata?.labels ?? {},
      address: n.status?.addresses?.find((a) => a.type === "InternalIP" && !a.address.includes(":"))?.address,
    }));
    return {
      nodes,
      petrelNodes: this.#list<PetrelNode>(PLURALS.PetrelNode),
      pools: this.#list<IPPool>(PLURALS.IPPool),
      blocks: this.#list<IPAMBlock>(PLURALS.IPAMBlock).filter((b) => b.spec.node === this.#nodeName),
      bgpConfiguration: this.#list<BGPConfiguration>(PLURALS.BGPConfiguration).find((c) => c.metadata.name === "default"),
      bgpPeers: this.#list<BGPPeer>(PLURALS.BGPPeer),
    };
  }
}
