/**
 * The controller's ClusterCache: watch caches of Nodes, IPPools, IPAMBlocks and PetrelNodes.
 * Any change calls `onChange` (the reconcile loop's trigger).
 */
import { CoreV1Api, CustomObjectsApi, type KubeConfig, type KubernetesListObject, type KubernetesObject, type V1Node } from "@kubernetes/client-node";
import type { IPAMBlock, IPPool, PetrelNode } from "../../common/api/index.ts";
import { GROUP, PLURALS, VERSION } from "../../common/api/index.ts";
import { WatchCache } from "../../common/host/watch-cache.ts";
import type { Logger } from "../../common/logger.ts";
import type { ClusterState, NodeInfo } from "../core/cluster-state.ts";
import type { ClusterCache } from "../ports.ts";

type Custom = IPPool | IPAMBlock | PetrelNode;

export class ClusterWatch implements ClusterCache {
  readonly #nodes: WatchCache<V1Node>;
  readonly #pools: WatchCache<KubernetesObject>;
  readonly #blocks: WatchCache<KubernetesObject>;
  readonly #petrelNodes: WatchCache<KubernetesObject>;

  constructor(kc: KubeConfig, log: Logger, onChange: () => void, countList: (resource: string) => void) {
    const core = kc.makeApiClient(CoreV1Api);
    const custom = kc.makeApiClient(CustomObjectsApi);
    const customCache = (plural: string) =>
      new WatchCache<KubernetesObject>({
        kc,
        log,
        onChange,
        path: `/apis/${GROUP}/${VERSION}/${plural}`,
        list: async () => {
          countList(plural);
          return (await custom.listClusterCustomObject({ group: GROUP, version: VERSION, plural })) as KubernetesListObject<KubernetesObject>;
        },
      });
    this.#nodes = new WatchCache<V1Node>({
      kc,
      log,
      onChange,
      path: "/api/v1/nodes",
      list: () => {
        countList("nodes");
        return core.listNode();
      },
    });
    this.#pools = customCache(PLURALS.IPPool);
    this.#blocks = customCache(PLURALS.IPAMBlock);
    this.#petrelNodes = customCache(PLURALS.PetrelNode);
  }

  get #all() {
    return [this.#nodes, this.#pools, this.#blocks, this.#petrelNodes] as const;
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

  /** Watch restarts after errors, summed over the caches. */
  get restarts(): number {
    return this.#all.reduce((n, c) => n + c.restarts, 0);
  }

  snapshot(): ClusterState {
    const nodes: NodeInfo[] = this.#nodes.list().map((n) => ({
      name: n.metadata?.name ?? "",
      uid: n.metadata?.uid ?? "",
      labels: n.metadata?.labels ?? {},
    }));
    const custom = <T extends Custom>(c: WatchCache<KubernetesObject>) => c.list() as unknown as T[];
    return {
      nodes,
      pools: custom<IPPool>(this.#pools),
      blocks: custom<IPAMBlock>(this.#blocks),
      petrelNodes: custom<PetrelNode>(this.#petrelNodes),
    };
  }
}
