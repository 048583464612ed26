/** Events about pods, in the pod's namespace (the agent tells there why it freed an address). */
import { CoreV1Api, type KubeConfig } from "@kubernetes/client-node";
import { kubeError } from "../../common/host/kube-errors.ts";

export class PodEvents {
  readonly #core: CoreV1Api;
  readonly #component: string;
  readonly #node: string;

  constructor(kc: KubeConfig, node: string, component = "petrel-agent") {
    this.#core = kc.makeApiClient(CoreV1Api);
    this.#node = node;
    this.#component = component;
  }

  async record(pod: { namespace: string; name: string; uid?: string }, reason: string, message: string): Promise<void> {
    const now = new Date();
    try {
      await this.#core.createNamespacedEvent({
        namespace: pod.namespace,
        body: {
          metadata: { generateName: `${pod.name}.` },
          involvedObject: { apiVersion: "v1", kind: "Pod", namespace: pod.namespace, name: pod.name, ...(pod.uid === undefined ? {} : { uid: pod.uid }) },
          type: "Warning",
          reason,
          message: message.slice(0, 1000),
          source: { component: this.#component, host: this.#node },
          reportingComponent: this.#component,
          reportingInstance: `${this.#component}-${this.#node}`,
          firstTimestamp: now,
          lastTimestamp: now,
          count: 1,
        },
      });
    } catch (err) {
      throw kubeError(`recording Event ${reason} for Pod ${pod.namespace}/${pod.name}`, err);
    }
  }
}
