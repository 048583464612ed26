/**
 * The controller's ClusterCache: watch caches of Nodes, IPPools, IPAMBlocks and PetrelNodes.
 * Any change calls `onChange` (the reconcile loop's trigger).
 */
import { CoreV1Api, CustomObjectsApi, type KubeConfig, type KubernetesListObject, type KubernetesObject, type V1Node } from "@kubernetes/client-node";
import type { IPAMBlock, IPPool, PetrelNode } from "../../common/api/index.ts";
import { GROUP, PLURALS, VERSION } from "../../common/api/index.ts";
import { WatchCache } from "../../common/host/watch-cache.ts";
import type { Logger } from "../../common/logger.ts";
import { WatchGroup } from "../../common/watch-group.ts";
import type { ClusterState, NodeInfo } from "../core/cluster-state.ts";
import type { ClusterCache } from "../ports.ts";

type Custom = IPPool | IPAMBlock | PetrelNode;

export class ClusterWatch implements ClusterCache {
  readonly #nodes: WatchCache<V1Node>;
  readonly #pools: WatchCache<KubernetesObject>;
  readonly #blocks: WatchCache<KubernetesObject>;
  readonly #petrelNodes: WatchCache<KubernetesObject>;
  readonly #group: WatchGroup;

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
    this.#group = new WatchGroup([
      { name: "Nodes", cache: this.#nodes }, { name: "IPPools", cache: this.#pools },
      { name: "IPAMBlocks", cache: this.#blocks }, { name: "PetrelNodes", cache: this.#petrelNodes },
    ]);
  }

  start(): Promise<void> {
    return this.#group.start();
  }

  stop(): Promise<void> {
    return this.#group.stop();
  }

  synced(): boolean {
    return this.#group.synced();
  }

  /** Watch restarts after errors, summed over the caches. */
  get restarts(): number {
    return this.#group.restarts;
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
