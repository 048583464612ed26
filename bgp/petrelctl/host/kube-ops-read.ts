/**
 * The reads behind `ipam show --ip` and `diags` beyond KubeReader's: Petrel's own pods (by the
 * chart's labels), Nodes, the API server's version, pod logs, events, and any Petrel kind as
 * raw objects. Read-only, like the rest of petrelctl.
 */
import { AppsV1Api, CoreV1Api, CustomObjectsApi, VersionApi, type KubeConfig, type V1DaemonSet, type V1Pod } from "@kubernetes/client-node";
import { setTimeout as sleep } from "node:timers/promises";
import { GROUP, VERSION } from "../../../common/api/index.ts";
import { PetrelError } from "../../../common/errors.ts";
import { explainApiFailure } from "../api-errors.ts";
import { makeApiClient } from "./api-client.ts";
import { failureOf } from "./kube-read.ts";

/** The chart's labels on the node DaemonSet's pods (helm/petrel/templates/_helpers.tpl). */
export const NODE_POD_SELECTOR = "app.kubernetes.io/name=petrel,app.kubernetes.io/component=node";
export const PETREL_POD_SELECTOR = "app.kubernetes.io/name=petrel";

export class KubeOpsReader {
  readonly #core: CoreV1Api;
  readonly #custom: CustomObjectsApi;
  readonly #version: VersionApi;
  readonly #apps: AppsV1Api;
  readonly #server: string;

  constructor(kc: KubeConfig) {
    this.#core = makeApiClient(kc, CoreV1Api);
    this.#custom = makeApiClient(kc, CustomObjectsApi);
    this.#version = makeApiClient(kc, VersionApi);
    this.#apps = makeApiClient(kc, AppsV1Api);
    this.#server = kc.getCurrentCluster()?.server ?? "(unknown)";
  }

  #fail(what: string, err: unknown): PetrelError {
    return new PetrelError("permanent", explainApiFailure(what, this.#server, failureOf(err)), { cause: err });
  }

  /**
   * One read; 429 and 503 are retried a few times (the API server answers 429 "storage is
   * (re)initializing" for a while after a CRD is created, and under load), other errors not.
   */
  async #try<T>(what: string, f: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await f();
      } catch (err) {
        const status = failureOf(err).status;
        if ((status === 429 || status === 503) && attempt < 5) {
          await sleep(500 * attempt);
          continue;
        }
        throw this.#fail(what, err);
      }
    }
  }

  /** Petrel's pods in every namespace (or those of the node DaemonSet on one node). */
  async petrelPods(opts: { nodeOnly?: boolean; node?: string } = {}): Promise<V1Pod[]> {
    const list = await this.#try("listing Petrel's pods", () => this.#core.listPodForAllNamespaces({
      labelSelector: opts.nodeOnly === true ? NODE_POD_SELECTOR : PETREL_POD_SELECTOR,
      ...(opts.node === undefined ? {} : { fieldSelector: `spec.nodeName=${opts.node}` }),
    }));
    return list.items;
  }

  async nodeNames(): Promise<string[]> {
    const list = await this.#try("listing Nodes", () => this.#core.listNode({}));
    return list.items.map((n) => n.metadata?.name ?? "").filter((n) => n !== "");
  }

  async nodes(): Promise<unknown> {
    return this.#try("listing Nodes", () => this.#core.listNode({}));
  }

  async serverVersion(): Promise<string> {
    const v = await this.#try("reading the API server's version", () => this.#version.getCode());
    return `${v.gitVersion} (${v.platform}, go ${v.goVersion})`;
  }

  async podLog(namespace: string, name: string, container: string, previous: boolean, tailLines: number): Promise<string> {
    return this.#try(`reading the log of ${namespace}/${name} ${container}`, () =>
      this.#core.readNamespacedPodLog({ namespace, name, container, previous, tailLines, timestamps: true }));
  }

  async events(namespace: string): Promise<unknown> {
    return this.#try(`listing Events in ${namespace}`, () => this.#core.listNamespacedEvent({ namespace }));
  }

  async daemonSet(namespace: string, name: string): Promise<V1DaemonSet> {
    return this.#try(`reading DaemonSet ${namespace}/${name}`, () => this.#apps.readNamespacedDaemonSet({ namespace, name }));
  }

  async podsBySelector(namespace: string, labelSelector: string): Promise<V1Pod[]> {
    return (await this.#try(`listing pods ${labelSelector} in ${namespace}`, () => this.#core.listNamespacedPod({ namespace, labelSelector }))).items;
  }

  /** Every object of a Petrel kind, as the API returns the list. */
  async customList(plural: string): Promise<unknown> {
    return this.#try(`listing ${plural}`, () => this.#custom.listClusterCustomObject({ group: GROUP, version: VERSION, plural }));
  }
}
