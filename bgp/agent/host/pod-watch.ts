/**
 * A watch of only the Pods bound to this node (fieldSelector spec.nodeName), for the agent's
 * IPAM check: what a kubelet watches, so the load on the API server grows with the node's pods,
 * not the cluster's. The cache keeps only what the check reads of a Pod (nodePod), and updates
 * that change none of it do not trigger the check.
 */
import type { KubeRest } from "../../../common/host/kube-rest.ts";
import { ResourceWatch, type KubeObject } from "../../../common/host/resource-watch.ts";
import type { Logger } from "../../../common/logger.ts";
import type { NodePod } from "../ipam-consistency.ts";

/** The fields of a v1 Pod the IPAM check reads. */
interface PodFields {
  metadata?: { namespace?: string; name?: string; uid?: string };
  spec?: { hostNetwork?: boolean };
  status?: { phase?: string; podIP?: string; podIPs?: { ip: string }[] };
}

export function nodePod(obj: KubeObject): NodePod {
  const p = obj as PodFields;
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
  readonly #cache: ResourceWatch<NodePod>;

  constructor(rest: KubeRest, nodeName: string, log: Logger, onChange: () => void) {
    this.#cache = new ResourceWatch<NodePod>({
      rest,
      log,
      path: "/api/v1/pods",
      fieldSelector: `spec.nodeName=${nodeName}`,
      transform: nodePod,
      fingerprint: (p) => JSON.stringify(p),
      onChange,
    });
  }

  start(): Promise<void> {
    return this.#cache.start();
  }

  stop(): Promise<void> {
    this.#cache.stop();
    return Promise.resolve();
  }

  /** undefined until the first list has completed. */
  pods(): NodePod[] | undefined {
    return this.#cache.synced ? this.#cache.list() : undefined;
  }
}
