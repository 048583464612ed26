/**
 * A watch of only the Pods bound to this node (fieldSelector spec.nodeName), for the agent's
 * IPAM check: what a kubelet watches, so the load on the API server grows with the node's pods,
 * not the cluster's. Updates that change none of the fields the check reads do not trigger it.
 */
import { CoreV1Api, type KubeConfig, type V1Pod } from "@kubernetes/client-node";
import { WatchCache } from "../../common/host/watch-cache.ts";
import type { Logger } from "../../common/logger.ts";
import type { NodePod } from "../agent/ipam-consistency.ts";

export function nodePod(p: V1Pod): NodePod {
  return {
    namespace: p.metadata?.namespace ?? "",
    name: p.metadata?.name ?? "",
    uid: p.metadata?.uid ?? "",
    phase: p.status?.phase,
    hostNetwork: p.spec?.hostNetwork === true,
    ips: p.status?.podIPs?.map((x) => x.ip) ?? (p.status?.podIP === undefined ? [] : [p.status.podIP]),
  };
}

export class NodePodWatch {
  readonly #cache: WatchCache<V1Pod>;

  constructor(kc: KubeConfig, nodeName: string, log: Logger, onChange: () => void) {
    const core = kc.makeApiClient(CoreV1Api);
    const fieldSelector = `spec.nodeName=${nodeName}`;
    this.#cache = new WatchCache<V1Pod>({
      kc,
      log,
      onChange,
      // makeInformer takes no field selector: the watch URL carries it (the client keeps a query in the path).
      path: `/api/v1/pods?fieldSelector=${encodeURIComponent(fieldSelector)}`,
      list: () => core.listPodForAllNamespaces({ fieldSelector }),
      fingerprint: (p) => JSON.stringify(nodePod(p)),
    });
  }

  start(): Promise<void> {
    return this.#cache.start();
  }

  stop(): Promise<void> {
    return this.#cache.stop();
  }

  /** undefined until the first list has completed. */
  pods(): NodePod[] | undefined {
    return this.#cache.synced ? this.#cache.list().map(nodePod) : undefined;
  }
}
