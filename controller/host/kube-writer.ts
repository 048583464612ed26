/**
 * The controller's writes to the API server (ClusterWriter), on @kubernetes/client-node.
 * Creates report AlreadyExists as "exists" with the object the server holds (the block name is
 * the lock); deletes report NotFound as "missing"; everything else maps to transient/permanent
 * errors. Every request is counted, for the "writes per node" goal.
 */
import { CoreV1Api, CustomObjectsApi, PatchStrategy, setHeaderOptions, type KubeConfig } from "@kubernetes/client-node";
import type { IPAMBlock, IPPoolStatus, PetrelNode } from "../../common/api/index.ts";
import { API_VERSION, GROUP, PLURALS, VERSION } from "../../common/api/index.ts";
import { kubeError, statusCodeOf } from "../../common/host/kube-errors.ts";
import { abandonedAnnotation, blockNodeLabel, blockPoolLabel, type EventSubject, type FinalizerAction, type NewBlock, type NodeInfo } from "../core/cluster-state.ts";
import type { ClusterWriter, WriteResult } from "../ports.ts";

export type CountRequest = (verb: "create" | "patch" | "delete" | "get", resource: string) => void;

const mergePatch = setHeaderOptions("Content-Type", PatchStrategy.MergePatch);

export class KubeWriter implements ClusterWriter {
  readonly #custom: CustomObjectsApi;
  readonly #core: CoreV1Api;
  readonly #count: CountRequest;
  readonly #eventNamespace: string;
  readonly #component: string;

  constructor(kc: KubeConfig, count: CountRequest, eventNamespace: string, component = "petrel-controller") {
    this.#custom = kc.makeApiClient(CustomObjectsApi);
    this.#core = kc.makeApiClient(CoreV1Api);
    this.#count = count;
    this.#eventNamespace = eventNamespace;
    this.#component = component;
  }

  async #create<T>(plural: string, name: string, body: unknown): Promise<WriteResult<T>> {
    this.#count("create", plural);
    try {
      const object = (await this.#custom.createClusterCustomObject({ group: GROUP, version: VERSION, plural, body })) as T;
      return { outcome: "done", object };
    } catch (err) {
      if (statusCodeOf(err) !== 409) throw kubeError(`creating ${plural}/${name}`, err);
      this.#count("get", plural);
      try {
        const existing = (await this.#custom.getClusterCustomObject({ group: GROUP, version: VERSION, plural, name })) as T;
        return { outcome: "exists", existing };
      } catch (getErr) {
        // Created and deleted again in between: let the next pass look again.
        if (statusCodeOf(getErr) === 404) return { outcome: "exists" };
        throw kubeError(`reading ${plural}/${name}`, getErr);
      }
    }
  }

  /**
   * A delete conditional on the object's uid: 409 (precondition failed) means the name now
   * belongs to another object, which is "missing" to the caller and stays.
   */
  async #delete(plural: string, name: string, uid: string | undefined): Promise<WriteResult> {
    this.#count("delete", plural);
    try {
      await this.#custom.deleteClusterCustomObject({ group: GROUP, version: VERSION, plural, name, ...(uid === undefined ? {} : { body: { preconditions: { uid } } }) });
      return { outcome: "done" };
    } catch (err) {
      const code = statusCodeOf(err);
      if (code === 404 || (code === 409 && uid !== undefined)) return { outcome: "missing" };
      throw kubeError(`deleting ${plural}/${name}`, err);
    }
  }

  async #patch<T>(plural: string, name: string, body: unknown, status = false, uid?: string): Promise<WriteResult<T>> {
    this.#count("patch", status ? `${plural}/status` : plural);
    const param = { group: GROUP, version: VERSION, plural, name, body };
    try {
      const object = (status
        ? await this.#custom.patchClusterCustomObjectStatus(param, mergePatch)
        : await this.#custom.patchClusterCustomObject(param, mergePatch)) as T;
      return { outcome: "done", object };
    } catch (err) {
      const code = statusCodeOf(err);
      // With a uid in the patch, the API server refuses a patch of another object of that name:
      // 409 (precondition) or 422 (metadata.uid is immutable), depending on the version.
      if (code === 404 || ((code === 409 || code === 422) && uid !== undefined)) return { outcome: "missing" };
      throw kubeError(`updating ${plural}/${name}${status ? "/status" : ""}`, err);
    }
  }

  createPetrelNode(node: NodeInfo): Promise<WriteResult<PetrelNode>> {
    const body: PetrelNode = {
      apiVersion: API_VERSION,
      kind: "PetrelNode",
      // No owner reference to the Node: the PetrelNode carries the agent's heartbeat, which must
      // outlive a deleted Node while the agent still runs (its blocks stay while it reports). The
      // controller deletes it once the Node is gone, its blocks are released and the heartbeat
      // has stopped.
      metadata: { name: node.name },
      spec: {},
    };
    return this.#create(PLURALS.PetrelNode, node.name, body);
  }

  deletePetrelNode(name: string, uid: string | undefined): Promise<WriteResult> {
    return this.#delete(PLURALS.PetrelNode, name, uid);
  }

  createBlock(block: NewBlock): Promise<WriteResult<IPAMBlock>> {
    const body: IPAMBlock = {
      apiVersion: API_VERSION,
      kind: "IPAMBlock",
      metadata: { name: block.name, labels: { [blockNodeLabel]: block.node, [blockPoolLabel]: block.pool } },
      spec: { cidr: block.cidr, pool: block.pool, node: block.node },
    };
    return this.#create(PLURALS.IPAMBlock, block.name, body);
  }

  drainBlock(name: string): Promise<WriteResult<IPAMBlock>> {
    return this.#patch(PLURALS.IPAMBlock, name, { spec: { draining: true } });
  }

  deleteBlock(name: string, uid: string | undefined): Promise<WriteResult> {
    return this.#delete(PLURALS.IPAMBlock, name, uid);
  }

  abandonBlock(name: string, uid: string | undefined, reason: string): Promise<WriteResult> {
    // metadata.uid in a patch is a precondition: a re-created block of that name is left alone.
    const metadata = { annotations: { [abandonedAnnotation]: reason.slice(0, 1000) }, ...(uid === undefined ? {} : { uid }) };
    return this.#patch(PLURALS.IPAMBlock, name, { metadata }, false, uid);
  }

  setPoolFinalizers(change: FinalizerAction): Promise<WriteResult> {
    // resourceVersion in a merge patch makes it conditional: a stale list fails with 409.
    return this.#patch(PLURALS.IPPool, change.pool, { metadata: { finalizers: change.finalizers, resourceVersion: change.resourceVersion } });
  }

  updatePoolStatus(pool: string, status: IPPoolStatus): Promise<WriteResult> {
    // A merge patch replaces lists whole, so conditions that went away go away.
    return this.#patch(PLURALS.IPPool, pool, { status }, true);
  }

  async recordEvent(subject: EventSubject, type: "Normal" | "Warning", reason: string, message: string): Promise<WriteResult> {
    this.#count("create", "events");
    const now = new Date();
    try {
      await this.#core.createNamespacedEvent({
        namespace: this.#eventNamespace,
        body: {
          metadata: { generateName: `${subject.name}.` },
          involvedObject: { apiVersion: subject.kind === "Node" ? "v1" : API_VERSION, kind: subject.kind, name: subject.name, ...(subject.uid === undefined ? {} : { uid: subject.uid }) },
          type,
          reason,
          message: message.slice(0, 1000),
          source: { component: this.#component },
          reportingComponent: this.#component,
          reportingInstance: this.#component,
          firstTimestamp: now,
          lastTimestamp: now,
          count: 1,
        },
      });
      return { outcome: "done" };
    } catch (err) {
      throw kubeError(`recording Event ${reason} for ${subject.kind} ${subject.name}`, err);
    }
  }
}
