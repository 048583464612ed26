/**
 * The agent's writes: its PetrelNode's status and its IPAMBlocks' status (merge patches on the
 * status subresource; DESIGN.md: the agent owns exactly these), and Secret reads for passwords.
 */
import { CoreV1Api, CustomObjectsApi, PatchStrategy, setHeaderOptions, type KubeConfig } from "@kubernetes/client-node";
import type { IPAMBlockStatus, PetrelNodeStatus } from "../../../common/api/index.ts";
import { GROUP, PLURALS, VERSION } from "../../../common/api/index.ts";
import { kubeError, statusCodeOf } from "../../../common/host/kube-errors.ts";

const mergePatch = setHeaderOptions("Content-Type", PatchStrategy.MergePatch);

export class AgentKubeWriter {
  readonly #custom: CustomObjectsApi;
  readonly #core: CoreV1Api;
  readonly #namespace: string;
  /** Writes made, for metrics. */
  writes = 0;

  constructor(kc: KubeConfig, secretNamespace: string) {
    this.#custom = kc.makeApiClient(CustomObjectsApi);
    this.#core = kc.makeApiClient(CoreV1Api);
    this.#namespace = secretNamespace;
  }

  async #patchStatus(plural: string, name: string, status: unknown): Promise<boolean> {
    this.writes++;
    try {
      // A merge patch replaces lists whole: sessions that ended disappear from the status.
      await this.#custom.patchClusterCustomObjectStatus({ group: GROUP, version: VERSION, plural, name, body: { status } }, mergePatch);
      return true;
    } catch (err) {
      if (statusCodeOf(err) === 404) return false;
      throw kubeError(`updating ${plural}/${name}/status`, err);
    }
  }

  /** false when the PetrelNode does not exist (yet): the controller creates it. */
  patchNodeStatus(node: string, status: PetrelNodeStatus): Promise<boolean> {
    return this.#patchStatus(PLURALS.PetrelNode, node, status);
  }

  patchBlockStatus(block: string, status: IPAMBlockStatus): Promise<boolean> {
    return this.#patchStatus(PLURALS.IPAMBlock, block, status);
  }

  /** The value of `key` in Secret `name` (in the agent's namespace), or undefined. */
  async secretValue(name: string, key: string): Promise<string | undefined> {
    try {
      const s = await this.#core.readNamespacedSecret({ name, namespace: this.#namespace });
      const v = s.data?.[key];
      return v === undefined ? undefined : Buffer.from(v, "base64").toString("utf8");
    } catch (err) {
      if (statusCodeOf(err) === 404) return undefined;
      throw kubeError(`reading Secret ${this.#namespace}/${name}`, err);
    }
  }
}
