/**
 * The agent's writes: its PetrelNode's status and its IPAMBlocks' status (merge patches on the
 * status subresource; DESIGN.md: the agent owns exactly these), and Secret reads for passwords.
 */
import type { IPAMBlockStatus, PetrelNodeStatus } from "../../../common/api/index.ts";
import { GROUP, PLURALS, VERSION } from "../../../common/api/index.ts";
import type { KubeRest } from "../../../common/host/kube-rest.ts";
import { statusFailure } from "../../../common/kube-failure.ts";

export class AgentKubeWriter {
  readonly #rest: KubeRest;
  readonly #namespace: string;

  constructor(rest: KubeRest, secretNamespace: string) {
    this.#rest = rest;
    this.#namespace = secretNamespace;
  }

  async #patchStatus(plural: string, name: string, status: unknown): Promise<boolean> {
    // A merge patch replaces lists whole: sessions that ended disappear from the status.
    const r = await this.#rest.request(`/apis/${GROUP}/${VERSION}/${plural}/${encodeURIComponent(name)}/status`, {
      method: "PATCH", body: { status }, contentType: "application/merge-patch+json",
    });
    if (r.status === 200) return true;
    if (r.status === 404) return false;
    throw statusFailure(`updating ${plural}/${name}/status`, r.status, r.body);
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
    const r = await this.#rest.request(`/api/v1/namespaces/${encodeURIComponent(this.#namespace)}/secrets/${encodeURIComponent(name)}`);
    if (r.status === 404) return undefined;
    if (r.status !== 200) throw statusFailure(`reading Secret ${this.#namespace}/${name}`, r.status, r.body);
    const v = (r.body as { data?: Record<string, string> }).data?.[key];
    return v === undefined ? undefined : Buffer.from(v, "base64").toString("utf8");
  }
}
