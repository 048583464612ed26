/** Events about pods, in the pod's namespace (the agent tells there why it freed an address). */
import type { KubeRest } from "../../../common/host/kube-rest.ts";
import { statusFailure } from "../../../common/kube-failure.ts";

export class PodEvents {
  readonly #rest: KubeRest;
  readonly #component: string;
  readonly #node: string;

  constructor(rest: KubeRest, node: string, component = "petrel-agent") {
    this.#rest = rest;
    this.#node = node;
    this.#component = component;
  }

  async record(pod: { namespace: string; name: string; uid?: string }, reason: string, message: string): Promise<void> {
    const now = new Date().toISOString();
    const what = `recording Event ${reason} for Pod ${pod.namespace}/${pod.name}`;
    const r = await this.#rest.request(`/api/v1/namespaces/${encodeURIComponent(pod.namespace)}/events`, {
      method: "POST",
      body: {
        apiVersion: "v1",
        kind: "Event",
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
    if (r.status === 201 || r.status === 200) return;
    throw statusFailure(what, r.status, r.body);
  }
}
